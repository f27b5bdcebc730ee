"""Double extraction, through the services: two blind entries, their comparison field by field,
the consensus taken from them (linked to both), and the rule that keeps the consensus empty
while an entry is pending."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from extraction.access import ExtractionRefused, entry_state
from extraction.consensus import RESULT, compare, consensus_take, consensus_take_agreed
from extraction.constants import OutcomeKind
from extraction.entries import (
    entry_digest_mismatches,
    entry_start,
    entry_submit,
    extraction_settings_update,
)
from extraction.export import csv_text, export_json
from extraction.models import Arm, ArmResult, Entry, Outcome
from extraction.selectors import study_data
from extraction.services import extraction_save, study_delete
from screening.constants import AuditAction
from screening.models import AuditEvent

pytestmark = pytest.mark.django_db


def extract(study, user, report, orr_ivo: str, entry=None) -> Entry:
    """The user's entry of HARMONi-A: two arms, the ORR and each arm's percentage."""
    entry = entry or entry_start(study=study, user=user)
    ivo = extraction_save(instance=Arm(study=study, entry=entry), user=user,
                          label="Ivonescimab + chemo", report=report)  # fmt: skip
    placebo = extraction_save(instance=Arm(study=study, entry=entry), user=user,
                              label="Placebo + chemo", comparator=True, report=report,
                              position=1)  # fmt: skip
    orr = extraction_save(instance=Outcome(study=study, entry=entry), user=user,
                          name="Objective response rate", kind=OutcomeKind.PROPORTION)  # fmt: skip
    for arm, value in ((ivo, orr_ivo), (placebo, "35.4")):
        extraction_save(instance=ArmResult(outcome=orr, arm=arm), user=user,
                        value=Decimal(value), report=report, page="5")  # fmt: skip
    return entry


def test_two_blind_entries_then_a_consensus_linked_to_both(
    review, owner, reviewer, second, study, included
):
    report = included[2]
    first = extract(study, reviewer, report, "50.6")
    state = entry_state(study)
    assert state.visible(reviewer.pk) == [first]
    assert state.visible(second.pk) == []  # not started, not revealed
    other = extract(study, second, report, "50.0")
    state = entry_state(study)
    assert state.visible(second.pk) == [other] and state.visible(reviewer.pk) == [first]
    assert state.visible(owner.pk) == []  # drafts are their extractor's alone
    # The consensus waits while an entry is pending: no one writes it.
    with pytest.raises(ExtractionRefused, match="waits for the 2 independent entries: 0"):
        extraction_save(instance=Arm(study=study), user=owner, label="X", report=report)
    first = entry_submit(entry=first, user=reviewer)
    with pytest.raises(ExtractionRefused, match="submitted: it cannot change"):
        extraction_save(instance=Arm(study=study, entry=first), user=reviewer, label="Y",
                        report=report)  # fmt: skip
    assert entry_state(study).visible(reviewer.pk) == [first]  # the other is still pending
    other = entry_submit(entry=other, user=second)
    state = entry_state(study)
    assert state.revealed and state.visible(owner.pk) == [first, other]

    # Side by side: the ORR of the ivonescimab arm differs, the rest agrees.
    compared = compare(study, state.submitted)
    differing = [(row.title, row.differing) for row in compared.rows if not row.agree]
    assert differing == [("Objective response rate: Ivonescimab + chemo", ["value"])]
    # A reviewer is not a resolver: the owner makes the consensus.
    with pytest.raises(ExtractionRefused, match="owners and resolvers make the consensus"):
        consensus_take_agreed(study=study, user=second)
    assert consensus_take_agreed(study=study, user=owner) == 4  # 2 arms, the outcome, 1 result
    with pytest.raises(ExtractionRefused, match="That row is in none of the entries."):
        consensus_take(study=study, user=owner, token='["arm", "<script>"]', choices={})
    row = next(r for r in compare(study, state.submitted).rows if not r.agree)
    with pytest.raises(ExtractionRefused, match="Value: the entries differ; choose"):
        consensus_take(study=study, user=owner, token=row.token, choices={})
    taken = consensus_take(study=study, user=owner, token=row.token, choices={"value": first.pk})
    assert taken.value == Decimal("50.6") and taken.entry_id is None and taken.page == "5"
    assert {source.entry_id for source in taken.sources.all()} == {first.pk, other.pk}

    data = study_data(study)  # the study's page and every export read the consensus
    assert [arm.label for arm in data.arms] == ["Ivonescimab + chemo", "Placebo + chemo"]
    assert sorted(str(r.value.normalize()) for r in data.results.values()) == ["35.4", "50.6"]
    event = AuditEvent.objects.filter(action=AuditAction.ENTRY_CONSENSUS).order_by("seq").last()
    assert event.after["taken"]["value"] == first.pk
    assert event.after["disagreed"] == ["value"]
    assert event.actor_id == owner.pk
    # The entries' values never went to the log one by one: only their digests.
    submits = AuditEvent.objects.filter(action=AuditAction.ENTRY_SUBMIT)
    assert sorted(e.after["digest"] for e in submits) == sorted([first.digest, other.digest])
    assert not AuditEvent.objects.filter(
        action=AuditAction.EXTRACTION_EDIT, after__value="50.0"
    ).exists()


def test_an_entry_starts_only_on_a_study_without_consensus(
    review, owner, reviewer, second, study, included
):
    extraction_save(instance=Arm(study=study), user=owner, label="Ivo", report=included[2])
    with pytest.raises(ExtractionRefused, match="already entered without independent entries"):
        entry_start(study=study, user=reviewer)
    assert not Entry.objects.exists()


def test_at_most_the_wanted_entries_and_once_each(review, owner, reviewer, second, study):
    first = entry_start(study=study, user=reviewer)
    assert entry_start(study=study, user=reviewer) == first  # a second click: the same entry
    entry_start(study=study, user=second)
    with pytest.raises(ExtractionRefused, match="has its 2 entries already"):
        entry_start(study=study, user=owner)
    extraction_settings_update(review=review, user=owner, extractors=1)
    with pytest.raises(ExtractionRefused, match="owners change the extraction settings"):
        extraction_settings_update(review=review, user=reviewer, extractors=2)
    with pytest.raises(ExtractionRefused, match="1 to 3 people"):
        extraction_settings_update(review=review, user=owner, extractors=4)


def test_a_study_with_entries_is_not_deleted(review, owner, reviewer, study):
    entry_start(study=study, user=reviewer)
    with pytest.raises(ExtractionRefused, match="has independent extraction entries: it stays"):
        study_delete(study=study, user=owner)
    assert Entry.objects.filter(study=study).exists()


def test_only_its_extractor_writes_an_entry(review, owner, reviewer, second, study, included):
    entry = entry_start(study=study, user=reviewer)
    with pytest.raises(ExtractionRefused, match="Only its extractor"):
        extraction_save(instance=Arm(study=study, entry=entry), user=owner, label="A",
                        report=included[2])  # fmt: skip
    with pytest.raises(ExtractionRefused, match="Only its extractor"):
        entry_submit(entry=entry, user=second)
    with pytest.raises(ExtractionRefused, match="the entry is empty"):
        entry_submit(entry=entry, user=reviewer)


def test_a_result_stays_in_its_outcomes_entry(review, reviewer, second, study, included):
    mine = extract(study, reviewer, included[2], "50.6")
    theirs = entry_start(study=study, user=second)
    outcome = Outcome.objects.get(entry=mine)
    their_arm = extraction_save(instance=Arm(study=study, entry=theirs), user=second,
                                label="Ivo", report=included[2])  # fmt: skip
    with pytest.raises(Exception, match="another entry"):
        extraction_save(instance=ArmResult(outcome=outcome, arm=their_arm), user=reviewer,
                        value=Decimal("1"), report=included[2])  # fmt: skip


def test_a_rewritten_submitted_entry_is_detected(review, reviewer, second, study, included):
    entry = extract(study, reviewer, included[2], "50.6")
    entry_submit(entry=entry, user=reviewer)
    assert entry_digest_mismatches(review) == []
    ArmResult.objects.filter(entry=entry, value=Decimal("50.6")).update(value=Decimal("60"))
    assert entry_digest_mismatches(review) == [entry]


def test_single_extraction_writes_the_consensus_directly(review, owner, reviewer, study, included):
    extraction_settings_update(review=review, user=owner, extractors=1)
    arm = extraction_save(instance=Arm(study=study), user=reviewer, label="A", report=included[2])
    assert arm.entry_id is None
    with pytest.raises(ExtractionRefused, match="extracts each study once"):
        entry_start(study=study, user=reviewer)


def test_a_row_only_one_entry_has_is_taken_from_it(
    review, owner, reviewer, second, study, included
):
    report = included[2]
    first = extract(study, reviewer, report, "50.6")
    other = extract(study, second, report, "50.6")
    extra = extraction_save(
        instance=Outcome(study=study, entry=other),
        user=second,
        name="Progression-free survival",
        kind=OutcomeKind.TIME_TO_EVENT,
    )
    entry_submit(entry=first, user=reviewer)
    entry_submit(entry=other, user=second)
    assert consensus_take_agreed(study=study, user=owner) == 5  # the lone outcome is not agreed
    compared = compare(study, [first, other])
    lone = next(row for row in compared.rows if row.consensus is None)
    assert lone.rows == [None, extra] and lone.kind != RESULT
    made = consensus_take(study=study, user=owner, token=lone.token, choices={})
    assert made.name == "Progression-free survival" and made.entry_id is None


def test_exports_give_the_consensus_and_on_request_the_revealed_entries(
    review, owner, reviewer, second, study, included
):
    report = included[2]
    first = extract(study, reviewer, report, "50.6")
    other = extract(study, second, report, "50.6")
    entry_submit(entry=first, user=reviewer)
    # One entry in: none is exported, even on request (the export is every member's).
    assert export_json(review, entries=True)["entries"] == []
    assert "50.6" not in csv_text(review, entries=True)
    entry_submit(entry=other, user=second)
    consensus_take_agreed(study=study, user=owner)
    plain = export_json(review)
    assert "entries" not in plain and len(plain["rows"]) == 2
    both = export_json(review, entries=True)
    assert [(e["extractor"], len(e["rows"])) for e in both["entries"]] == [
        ("rui-reviewer", 2),
        ("sara-second", 2),
    ]
    table = list(csv.DictReader(io.StringIO(csv_text(review, entries=True).lstrip("\ufeff"))))
    assert [row["entry"] for row in table] == ["consensus"] * 2 + [f"entry {first.pk}"] * 2 + [
        f"entry {other.pk}"
    ] * 2
    out = io.StringIO()
    call_command("export_extraction", review.slug, "--entries", "--format", "json", stdout=out)
    assert len(json.loads(out.getvalue())["entries"]) == 2
    out = io.StringIO()
    call_command("export_extraction", review.slug, stdout=out)
    assert "entry" not in out.getvalue().splitlines()[0].split(",")[:2]
