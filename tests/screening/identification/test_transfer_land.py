"""A review moved in from Rayyan, ASReview or Covidence: the records and every decision land
in one transaction, as the decisions of the members the person chose, and PRISMA, the states,
conflicts and agreement follow from them like from any other decision."""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.audit.verify import audit_verify
from screening.constants import (
    AuditAction,
    ItemState,
    JobStatus,
    ReasonStages,
    Role,
    SourceKind,
    Stage,
    Verdict,
)
from screening.decisions.agreement import agreement_by_pair
from screening.decisions.items import cache_differences
from screening.decisions.selectors import agreement_judgements
from screening.identification.import_jobs import (
    import_job_confirm,
    import_job_create,
    import_job_run,
)
from screening.identification.imports import ImportRefused
from screening.identification.transfer_land import (
    decision_mapping_save,
    reasons_plan,
    transfer_of,
)
from screening.models import (
    AuditEvent,
    Decision,
    ExclusionReason,
    FullText,
    Membership,
    Record,
    ScreeningItem,
)
from screening.permissions.blinding import VoteView
from screening.prisma.counts import prisma_report
from screening.reviews.services import review_create
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.django_db

TA, FT = Stage.TITLE_ABSTRACT, Stage.FULL_TEXT
DATA = DATA_DIR / "transfer"
COVIDENCE_EXCLUDED = "covidence/review_123456_excluded_csv_20250301101500.csv"


def upload(review, user, name: str, *, source="Rayyan export", kind=SourceKind.DATABASE):
    path = DATA / name
    return import_job_create(
        review=review,
        upload=SimpleUploadedFile(path.name, path.read_bytes()),
        source_name=source,
        source_kind=kind,
        user=user,
    )


def land(job, user, **mapping):
    """Map, confirm and run the import, as the page's buttons and the worker do."""
    decision_mapping_save(job=job, mapping=mapping)
    import_job_confirm(job=job, user=user)
    return import_job_run(job_id=job.pk)


def states(review, stage=TA) -> dict[int, str]:
    """Entry position -> the state of its reference at the stage."""
    by_reference = dict(
        ScreeningItem.objects.in_review(review)
        .filter(stage=stage)
        .values_list("reference_id", "state")
    )
    return {
        position: by_reference.get(ref_id)
        for position, ref_id in Record.objects.in_review(review).values_list(
            "position", "reference_id"
        )
    }


def test_a_review_moved_in_from_rayyan_keeps_both_reviewers_votes_their_conflict_and_reasons(
    review, owner, reviewer
):
    job = upload(review, owner, "rayyan/articles.csv")
    transfer = transfer_of(job)
    assert (transfer["tool"], transfer["decisions"], transfer["conflicts"]) == ("rayyan", 9, 1)
    plan = {reason["label"]: reason["action"] for reason in reasons_plan(review, transfer)}
    assert plan == {
        "wrong population": "create",
        "wrong study design": "use",  # the review's "Wrong study design"
        "wrong publication type": "create",
    }

    job = land(job, owner, reviewers={"Alice": owner.pk, "Bob": reviewer.pk})

    assert job.status == JobStatus.DONE, job.error
    search = job.search
    decisions = Decision.objects.in_review(review).filter(imported_from=search)
    assert decisions.count() == transfer["decisions"] == 9  # counts in = counts out
    assert decisions.filter(reviewer=owner).count() == 5
    assert decisions.filter(reviewer=reviewer).count() == 4
    assert Counter(decisions.values_list("verdict", flat=True)) == {
        Verdict.INCLUDE: 4,
        Verdict.MAYBE: 1,
        Verdict.EXCLUDE: 4,
    }
    # The review asks for two reviewers at title and abstract (its default): the states follow.
    assert states(review) == {
        1: ItemState.INCLUDED,
        2: ItemState.EXCLUDED,
        3: ItemState.CONFLICT,
        4: ItemState.INCLUDED,
        5: ItemState.AWAITING_SECOND,
        6: ItemState.AWAITING,
    }
    excluded = ScreeningItem.objects.in_review(review).get(state=ItemState.EXCLUDED, stage=TA)
    assert excluded.reason.label == "wrong population"
    bob_on_3 = decisions.get(reviewer=reviewer, reference__records__position=3)
    assert (bob_on_3.reason.label, bob_on_3.reason_label) == ("Wrong study design",) * 2
    assert "Rayyan reason: wrong study design" in bob_on_3.note  # as Rayyan wrote it
    assert "Rayyan labels: RCT" in bob_on_3.note
    assert "Rayyan note: single-arm extension, not randomised" in bob_on_3.note
    assert ExclusionReason.objects.in_review(review).filter(label="wrong population").exists()
    assert cache_differences(review) == []

    report = prisma_report(review)
    assert (report.database_results, report.records_screened, report.records_excluded) == (6, 6, 1)
    assert (report.dbr_sought_reports, report.screening_pending) == (2, 3)
    assert report.errors == []

    owner_view = VoteView.of(review, Membership.objects.get(review=review, user=owner))
    (pair,) = agreement_by_pair(agreement_judgements(review, TA, owner_view))
    assert (pair.n, pair.both_forward, pair.both_exclude) == (4, 2, 1)
    assert pair.a_forward_b_exclude + pair.a_exclude_b_forward == 1
    assert pair.percent_agreement == 75.0


def test_each_imported_decision_has_its_event_marked_and_the_file_one_event_with_its_counts(
    review, owner, reviewer
):
    job = land(
        upload(review, owner, "rayyan/articles.csv"),
        owner,
        reviewers={"Alice": owner.pk, "Bob": reviewer.pk},
    )
    events = AuditEvent.objects.in_review(review)
    decision_events = events.filter(action=AuditAction.DECISION)
    assert decision_events.count() == 9
    assert {event.after["imported_from"] for event in decision_events} == {"articles.csv"}
    (summary,) = events.filter(action=AuditAction.DECISIONS_IMPORT)
    assert summary.actor == owner
    assert summary.after["decisions"] == summary.after["read"] == 9
    assert summary.after["counts"][TA] == {"include": 4, "exclude": 4, "maybe": 1}
    assert summary.after["reviewers"] == {"Alice": owner.username, "Bob": reviewer.username}
    assert summary.object_id == str(job.search.pk)
    assert audit_verify(review).ok


def test_an_asreview_export_lands_one_reviewers_decisions_each_settling_its_reference(
    review, owner, reviewer
):
    job = upload(review, owner, "asreview/asreview_result_nsclc.csv", source="PubMed")
    assert transfer_of(job)["reviewers"] == [{"name": "ASReview", "decisions": 4}]
    job = land(job, owner, reviewers={"ASReview": reviewer.pk})

    assert job.status == JobStatus.DONE, job.error
    assert Decision.objects.in_review(review).filter(imported_from=job.search).count() == 4
    # Entries in the file's order: record ids 3, 0 relevant; 4 not seen; 1, 2 irrelevant.
    assert states(review) == {
        1: ItemState.INCLUDED,
        2: ItemState.INCLUDED,
        3: ItemState.AWAITING,
        4: ItemState.EXCLUDED,
        5: ItemState.EXCLUDED,
    }
    report = prisma_report(review)
    assert (report.records_screened, report.records_excluded, report.dbr_sought_reports) == (
        5,
        2,
        2,
    )
    assert (report.screening_pending, report.errors) == (1, [])
    assert cache_differences(review) == []


def test_a_covidence_excluded_list_lands_at_full_text_with_its_reasons(review, owner):
    job = upload(review, owner, COVIDENCE_EXCLUDED, source="Covidence")
    plan = {reason["label"]: reason["action"] for reason in reasons_plan(review, transfer_of(job))}
    assert plan == {
        "Trial registration only": "create",
        "Wrong patient population": "use",
        "Wrong study design": "use",
    }
    job = land(job, owner, reviewers={"Covidence (the team's decisions)": owner.pk})

    assert job.status == JobStatus.DONE, job.error
    assert Decision.objects.in_review(review).filter(imported_from=job.search).count() == 6
    assert set(states(review, FT).values()) == {ItemState.EXCLUDED}
    assert FullText.objects.in_review(review).count() == 3  # read in Covidence: retrieved
    created = ExclusionReason.objects.in_review(review).get(label="Trial registration only")
    assert created.usable_at(FT) and not created.usable_at(TA)
    report = prisma_report(review)
    assert (report.records_excluded, report.dbr_sought_reports, report.dbr_assessed) == (0, 3, 3)
    assert sorted((r.reason, r.n) for r in report.dbr_excluded) == [
        ("Trial registration only", 1),
        ("Wrong patient population", 1),
        ("Wrong study design", 1),
    ]
    assert report.errors == [] and cache_differences(review) == []


def test_a_reason_the_review_has_at_the_other_stage_only_is_made_usable_at_both(review, owner):
    reason = ExclusionReason.objects.in_review(review).get(label="Wrong study design")
    reason.stages = ReasonStages.TITLE_ABSTRACT
    reason.save(update_fields=["stages"])
    job = upload(review, owner, COVIDENCE_EXCLUDED, source="Covidence")
    plan = {r["label"]: r["action"] for r in reasons_plan(review, transfer_of(job))}
    assert plan["Wrong study design"] == "widen"
    job = land(job, owner, reviewers={"Covidence (the team's decisions)": owner.pk})
    assert job.status == JobStatus.DONE, job.error
    reason.refresh_from_db()
    assert reason.stages == ReasonStages.BOTH


def test_a_covidence_export_renamed_needs_its_list(review, owner):
    path = DATA / "covidence/review_123456_irrelevant_csv_20250301101500.csv"
    job = import_job_create(
        review=review,
        upload=SimpleUploadedFile("export.csv", path.read_bytes()),
        source_name="Covidence",
        source_kind=SourceKind.DATABASE,
        user=owner,
    )
    with pytest.raises(ImportRefused, match="which Covidence list"):
        import_job_confirm(job=job, user=owner)
    job = land(
        job, owner, kind="irrelevant", reviewers={"Covidence (the team's decisions)": owner.pk}
    )
    assert set(states(review).values()) == {ItemState.EXCLUDED}


def test_confirming_a_file_with_decisions_needs_the_mapping(review, owner, reviewer):
    job = upload(review, owner, "rayyan/articles.csv")
    with pytest.raises(ImportRefused, match="'Alice', 'Bob'"):
        import_job_confirm(job=job, user=owner)
    decision_mapping_save(job=job, mapping={"reviewers": {"Alice": owner.pk}})
    with pytest.raises(ImportRefused, match="'Bob'"):
        import_job_confirm(job=job, user=owner)
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED


def test_records_only_lands_the_records_and_none_of_the_decisions(review, owner):
    job = land(upload(review, owner, "rayyan/articles.csv"), owner, records_only=True)
    assert job.status == JobStatus.DONE
    assert job.search.records_count == 6
    assert not Decision.objects.in_review(review).exists()
    assert set(states(review).values()) == {ItemState.AWAITING}


def test_a_member_who_does_not_screen_cannot_be_mapped(review, owner, outsider):
    job = upload(review, owner, "rayyan/articles.csv")
    decision_mapping_save(job=job, mapping={"reviewers": {"Alice": outsider.pk, "Bob": owner.pk}})
    job.refresh_from_db()
    assert job.decision_mapping["reviewers"] == {"Bob": owner.pk}


def test_two_file_reviewers_mapped_to_one_member_keep_every_decision_in_the_log(review, owner):
    job = land(
        upload(review, owner, "rayyan/articles.csv"),
        owner,
        reviewers={"Alice": owner.pk, "Bob": owner.pk},
    )
    decisions = Decision.objects.in_review(review).filter(imported_from=job.search)
    assert decisions.count() == 9 and set(decisions.values_list("reviewer", flat=True)) == {
        owner.pk
    }
    # One member's later vote supersedes their earlier one: one live vote each, no conflict.
    assert ItemState.CONFLICT not in states(review).values()
    assert cache_differences(review) == []


def test_a_decision_that_cannot_land_fails_the_whole_import(review, owner, reviewer):
    """A website's records skip title and abstract screening, so Rayyan's title and abstract
    votes have nowhere to land: nothing of the file is imported, and the person reads why."""
    job = upload(review, owner, "rayyan/articles.csv", source="A website", kind=SourceKind.WEBSITE)
    job = land(job, owner, reviewers={"Alice": owner.pk, "Bob": reviewer.pk})
    assert job.status == JobStatus.FAILED
    assert "Entry 1's title and abstract decision by 'Alice' cannot land" in job.error
    assert not Record.objects.in_review(review).exists()
    assert not Decision.objects.in_review(review).exists()


def test_imported_votes_land_on_a_reference_already_settled_here(review, owner, reviewer):
    """One reviewer per reference here: Alice's vote settles it, and Bob's lands all the same
    (it was cast in Rayyan), turning a disagreement into a conflict."""
    review.reviewers_title_abstract = 1
    review.save(update_fields=["reviewers_title_abstract"])
    job = land(
        upload(review, owner, "rayyan/articles.csv"),
        owner,
        reviewers={"Alice": owner.pk, "Bob": reviewer.pk},
    )
    assert Decision.objects.in_review(review).filter(imported_from=job.search).count() == 9
    assert states(review)[3] == ItemState.CONFLICT
    assert states(review)[5] == ItemState.EXCLUDED


# --- Counts in = counts out, for any file ---------------------------------------------------

RAYYAN_VALUES = {"Included": Verdict.INCLUDE, "Excluded": Verdict.EXCLUDE, "Maybe": Verdict.MAYBE}
entry_decisions = st.fixed_dictionaries(
    {
        "title": st.integers(min_value=0, max_value=5),  # a small pool: duplicates in the file
        "votes": st.dictionaries(
            st.sampled_from(["Alice", "Bob", "Chen Wei"]), st.sampled_from(sorted(RAYYAN_VALUES))
        ),
        "reasons": st.lists(st.sampled_from(["wrong population", "Wrong outcomes"]), max_size=2),
    }
)


def _rayyan_csv(entries: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["key", "title", "authors", "year", "abstract", "notes"])
    for number, entry in enumerate(entries, start=1):
        parts = []
        if entry["votes"]:
            pairs = ", ".join(f'"{name}"=>"{value}"' for name, value in entry["votes"].items())
            parts.append(f"RAYYAN-INCLUSION: {{{pairs}}}")
        if entry["reasons"]:
            parts.append("RAYYAN-EXCLUSION-REASONS: " + ",".join(entry["reasons"]))
        title = f"Trial {entry['title']} of ivonescimab in lung cancer"
        writer.writerow([f"rayyan-{number}", title, "Smith, Jo", "2024", "", " | ".join(parts)])
    return out.getvalue().encode()


@settings(
    max_examples=20,
    deadline=None,  # database work: its time is not what this tests
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(entries=st.lists(entry_decisions, min_size=1, max_size=8), shared=st.booleans())
def test_every_decision_of_any_rayyan_file_lands_and_prisma_reconciles(
    entries, shared, owner, reviewer
):
    review = review_create(slug=f"moved-{uuid.uuid4().hex[:8]}", title="Moved in", owner=owner)
    Membership.objects.create(review=review, user=reviewer, role=Role.REVIEWER)
    job = import_job_create(
        review=review,
        upload=SimpleUploadedFile("articles.csv", _rayyan_csv(entries)),
        source_name="Rayyan",
        source_kind=SourceKind.DATABASE,
        user=owner,
    )
    expected = sum(len(entry["votes"]) for entry in entries)
    transfer = transfer_of(job)
    assert transfer.get("decisions", 0) == expected
    if not expected:
        return
    members = {
        "Alice": owner.pk,
        "Bob": owner.pk if shared else reviewer.pk,
        "Chen Wei": reviewer.pk,
    }
    job = land(job, owner, reviewers=members)

    assert job.status == JobStatus.DONE, job.error
    decisions = Decision.objects.in_review(review).filter(imported_from=job.search)
    assert decisions.count() == expected
    assert Counter(decisions.values_list("verdict", flat=True)) == Counter(
        RAYYAN_VALUES[value] for entry in entries for value in entry["votes"].values()
    )
    assert cache_differences(review) == []
    report = prisma_report(review)
    assert report.errors == []
    assert report.records_screened == (
        report.records_excluded + report.dbr_sought_reports + report.screening_pending
    )
    assert audit_verify(review).ok


def test_the_import_command_says_it_leaves_a_files_decisions_behind(review, capsys):
    call_command("import_references", review.slug, str(DATA / "rayyan/articles.csv"))
    said = capsys.readouterr()
    assert "articles.csv: the file carries" in said.err
    assert "decisions from rayyan" in said.err.lower()
    assert "this command imports its records only" in said.err
    assert Decision.objects.in_review(review).count() == 0
