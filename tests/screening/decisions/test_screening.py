"""Screening services: votes at both stages with one or two reviewers, conflicts and their
resolution, undo and reopening, removals, retrieval, and the cache that must agree with the log."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from screening.constants import AuditAction, ItemState, Role, SourceKind, Stage, Verdict
from screening.decisions.items import cache_differences
from screening.decisions.queue import next_item
from screening.decisions.removal import references_remove, references_restore
from screening.decisions.review_settings import reason_create, reason_update, review_settings_update
from screening.decisions.services import (
    ScreeningRefused,
    conflict_resolve,
    decision_record,
    decision_retract,
    decision_undo_last,
    stage_reopen,
)
from screening.models import (
    AuditEvent,
    Decision,
    ExclusionReason,
    Membership,
    ScreeningItem,
    StageCount,
)
from screening.retrieval.services import full_text_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TA, RETRIEVAL, FT = Stage.TITLE_ABSTRACT, Stage.RETRIEVAL, Stage.FULL_TEXT
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def ris(n: int, *, start: int = 1) -> str:
    return "\n".join(
        f"TY  - JOUR\nTI  - Ivonescimab trial report number {i} in lung cancer\n"
        f"AU  - Author{i}, A\nPY  - 2024\nDO  - 10.1000/ivo.{i}\nER  - \n"
        for i in range(start, start + n)
    )


def reason(review, label="Wrong study design"):
    return ExclusionReason.objects.get(review=review, label=label)


def item(review, reference, stage=TA) -> ScreeningItem:
    return ScreeningItem.objects.get(review=review, reference=reference, stage=stage)


def vote(review, reference, who, verdict="include", stage=TA, **kwargs):
    return decision_record(
        review=review, reference=reference, stage=stage, reviewer=who, verdict=verdict, **kwargs
    )


def include_everywhere(review, reference, a, b):
    vote(review, reference, a)
    vote(review, reference, b)
    full_text_record(
        review=review, reference=reference, user=a, status="retrieved", max_bytes=10**6
    )


# --- entering screening --------------------------------------------------------------------------


def test_imported_database_records_wait_at_title_and_abstract(review, references):
    states = set(ScreeningItem.objects.filter(review=review).values_list("stage", "state"))
    assert states == {(TA, ItemState.AWAITING)}
    assert StageCount.objects.get(review=review, stage=TA, state=ItemState.AWAITING).n == 6
    assert cache_differences(review) == []


def test_records_from_other_methods_start_at_retrieval(review, import_text):
    search = import_text(ris(2), name="akeso.ris", source="Akeso", kind=SourceKind.WEBSITE)
    for record in search.records.all():
        assert item(review, record.reference, RETRIEVAL).state == ItemState.AWAITING_RETRIEVAL


def test_a_website_record_later_found_in_a_database_enters_at_title_and_abstract(
    review, import_text
):
    search = import_text(ris(1), name="akeso.ris", source="Akeso", kind=SourceKind.WEBSITE)
    reference = search.records.get().reference
    import_text(ris(1), name="embase.ris", source="Embase")
    stages = set(
        ScreeningItem.objects.filter(review=review, reference=reference).values_list(
            "stage", flat=True
        )
    )
    assert stages == {TA}
    assert cache_differences(review) == []


def test_a_new_review_has_reasons_with_hotkeys(review):
    reasons = list(review.reasons.values_list("hotkey", "label"))
    assert reasons[0] == (1, "Wrong study design")
    assert [hotkey for hotkey, _ in reasons] == list(range(1, 8))


# --- votes -------------------------------------------------------------------------------------


def test_dual_screening_two_includes_move_it_on_to_retrieval(review, references, owner, reviewer):
    ref = references[0]
    vote(review, ref, owner)
    assert item(review, ref).state == ItemState.AWAITING_SECOND
    vote(review, ref, reviewer, "maybe")
    assert item(review, ref).state == ItemState.INCLUDED
    assert item(review, ref, RETRIEVAL).state == ItemState.AWAITING_RETRIEVAL
    assert cache_differences(review) == []


def test_disagreement_is_a_conflict_that_a_resolver_settles(review, references, owner, reviewer):
    ref = references[0]
    vote(review, ref, owner)
    vote(review, ref, reviewer, "exclude", reason=reason(review))
    assert item(review, ref).state == ItemState.CONFLICT

    with pytest.raises(ScreeningRefused, match="Only the review's owners and designated"):
        conflict_resolve(
            review=review,
            reference=ref,
            stage=TA,
            resolver=reviewer,
            verdict="exclude",
            reason=reason(review),
        )
    conflict_resolve(
        review=review, reference=ref, stage=TA, resolver=owner, verdict="exclude",
        reason=reason(review, "Wrong comparator"), note="Not head to head.",
    )  # fmt: skip

    settled = item(review, ref)
    assert (settled.state, settled.resolved, settled.reason.label) == (
        ItemState.EXCLUDED,
        True,
        "Wrong comparator",
    )
    assert Decision.objects.filter(reference=ref).count() == 3  # both votes kept
    assert AuditEvent.objects.filter(action=AuditAction.RESOLVE).count() == 1


def test_a_designated_resolver_may_resolve(review, references, owner, reviewer, second):
    Membership.objects.filter(user=second).update(can_resolve=True)
    ref = references[0]
    vote(review, ref, owner)
    vote(review, ref, reviewer, "exclude", reason=reason(review))
    conflict_resolve(review=review, reference=ref, stage=TA, resolver=second, verdict="include")
    assert item(review, ref).state == ItemState.INCLUDED


def test_no_third_reviewer_on_a_reference_that_has_its_two_votes(
    review, references, owner, reviewer, second
):
    ref = references[0]
    vote(review, ref, owner)
    vote(review, ref, reviewer)
    with pytest.raises(ScreeningRefused, match="has had the decisions it needs"):
        vote(review, ref, second)


def test_a_reviewer_changes_their_mind_until_the_reference_moves_on(
    review, references, owner, reviewer
):
    ref = references[0]
    first = vote(review, ref, owner, "exclude", reason=reason(review))
    changed = vote(review, ref, owner, "include")
    assert changed.supersedes == first
    assert item(review, ref).votes == 1
    vote(review, ref, reviewer)  # settled: included
    with pytest.raises(ScreeningRefused, match="only the review's owner can reopen it"):
        vote(review, ref, owner, "exclude", reason=reason(review))


def test_undo_withdraws_the_last_vote_and_the_reference_comes_back(review, references, reviewer):
    ref = next_item(review, reviewer, TA).reference
    vote(review, ref, reviewer, "exclude", reason=reason(review))
    assert next_item(review, reviewer, TA).reference != ref

    undone = decision_undo_last(review=review, stage=TA, reviewer=reviewer)

    assert undone == ref
    assert item(review, ref).state == ItemState.AWAITING
    assert Decision.objects.filter(reference=ref).count() == 2  # the vote and its withdrawal
    with pytest.raises(ScreeningRefused, match="no decision on this reference to undo"):
        decision_retract(review=review, reference=ref, stage=TA, reviewer=reviewer)


def test_the_same_submission_twice_is_recorded_once(review, references, reviewer):
    first = vote(review, references[0], reviewer, token="form-1")
    again = vote(review, references[0], reviewer, token="form-1")
    assert first == again
    assert Decision.objects.count() == 1


def test_excluding_needs_a_reason_at_full_text_and_where_the_review_asks(
    review, references, owner, reviewer
):
    ref = references[0]
    vote(review, ref, owner, "exclude")  # optional at title and abstract by default
    review_settings_update(review=review, user=owner, reason_required_title_abstract=True)
    with pytest.raises(ScreeningRefused, match="Choose the reason"):
        vote(review, references[1], owner, "exclude")

    include_everywhere(review, references[2], owner, reviewer)
    with pytest.raises(ScreeningRefused, match="Choose the reason"):
        vote(review, references[2], owner, "exclude", stage=FT)
    with pytest.raises(ScreeningRefused, match="A reason goes with an exclusion only"):
        vote(review, references[2], owner, "include", stage=FT, reason=reason(review))


def test_a_reason_of_the_other_stage_or_retired_is_refused(review, references, owner):
    only_ft = reason_create(
        review=review, user=owner, label="No full text in English", stages="full_text"
    )
    with pytest.raises(ScreeningRefused, match="not one of this stage's reasons"):
        vote(review, references[0], owner, "exclude", reason=only_ft)
    retired = reason_update(reason=reason(review), user=owner, retired=True)
    with pytest.raises(ScreeningRefused, match="not one of this stage's reasons"):
        vote(review, references[0], owner, "exclude", reason=retired)


def test_editing_a_reason_never_rewrites_past_decisions(review, references, owner):
    decision = vote(review, references[0], owner, "exclude", reason=reason(review))
    reason_update(reason=reason(review), user=owner, label="Not a randomised trial")
    decision.refresh_from_db()
    assert decision.reason_label == "Wrong study design"
    assert AuditEvent.objects.filter(action=AuditAction.REASON_EDIT).count() == 1


def test_two_reasons_cannot_share_a_hotkey_at_a_stage(review, owner):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="The key 1 is taken by 'Wrong study design'"):
        reason_create(review=review, user=owner, label="Animal study", hotkey=1)


def test_full_text_conflict_on_reasons_follows_the_setting(review, references, owner, reviewer):
    include_everywhere(review, references[0], owner, reviewer)
    vote(review, references[0], owner, "exclude", stage=FT, reason=reason(review))
    vote(
        review,
        references[0],
        reviewer,
        "exclude",
        stage=FT,
        reason=reason(review, "Wrong comparator"),
    )
    assert item(review, references[0], FT).state == ItemState.CONFLICT

    review_settings_update(review=review, user=owner, full_text_reasons_conflict=False)
    include_everywhere(review, references[1], owner, reviewer)
    vote(review, references[1], owner, "exclude", stage=FT, reason=reason(review))
    vote(
        review,
        references[1],
        reviewer,
        "exclude",
        stage=FT,
        reason=reason(review, "Wrong comparator"),
    )
    settled = item(review, references[1], FT)
    assert (settled.state, settled.reason.label) == (ItemState.EXCLUDED, "Wrong study design")
    assert item(review, references[0], FT).state == ItemState.CONFLICT  # settled states stay
    assert cache_differences(review) == []


def test_single_screening_settles_with_one_vote_from_then_on(review, references, owner, reviewer):
    vote(review, references[0], owner)
    review_settings_update(review=review, user=owner, reviewers_title_abstract=1)
    vote(review, references[1], owner)
    assert item(review, references[0]).state == ItemState.AWAITING_SECOND  # its rules stand
    assert item(review, references[1]).state == ItemState.INCLUDED
    event = AuditEvent.objects.get(action=AuditAction.SETTINGS)
    assert (event.before, event.after) == (
        {"reviewers_title_abstract": 2},
        {"reviewers_title_abstract": 1},
    )


def test_the_owner_reopens_a_settled_reference_and_it_is_recorded(
    review, references, owner, reviewer
):
    ref = references[0]
    vote(review, ref, owner)
    vote(review, ref, reviewer)
    with pytest.raises(ScreeningRefused, match="Only the review's owners reopen"):
        stage_reopen(review=review, reference=ref, stage=TA, owner=reviewer)
    stage_reopen(review=review, reference=ref, stage=TA, owner=owner, note="Criteria changed")
    assert item(review, ref).state == ItemState.AWAITING
    assert not ScreeningItem.objects.filter(reference=ref, stage=RETRIEVAL).exists()
    assert AuditEvent.objects.filter(action=AuditAction.REOPEN).count() == 1
    vote(review, ref, reviewer, "exclude", reason=reason(review))  # screened afresh
    assert item(review, ref).state == ItemState.AWAITING_SECOND


def test_viewers_and_outsiders_cannot_vote(review, references, outsider):
    viewer = UserFactory(username="vic-viewer")
    Membership.objects.create(review=review, user=viewer, role=Role.VIEWER)
    for who in (viewer, outsider):
        with pytest.raises(ScreeningRefused, match="Only the review's owners and reviewers"):
            vote(review, references[0], who)


# --- the queue ---------------------------------------------------------------------------------


def test_each_reviewer_gets_every_reference_once_in_their_own_order(
    review, references, owner, reviewer
):
    orders = {}
    for who in (owner, reviewer):
        seen = []
        while (current := next_item(review, who, TA)) is not None:
            seen.append(current.reference_id)
            vote(review, current.reference, who)
        orders[who.pk] = seen
    assert (
        sorted(orders[owner.pk]) == sorted(orders[reviewer.pk]) == sorted(r.pk for r in references)
    )
    assert next_item(review, owner, TA) is None
    assert set(ScreeningItem.objects.filter(stage=TA).values_list("state", flat=True)) == {
        ItemState.INCLUDED
    }


# --- removals and retrieval ---------------------------------------------------------------------


def test_references_are_removed_before_screening_and_restored(review, references, owner, reviewer):
    vote(review, references[0], reviewer)
    removed = references_remove(
        review=review, reference_ids=[r.pk for r in references[:3]], reason="language", user=owner
    )
    assert removed == 2  # not the one a reviewer has voted on
    assert item(review, references[1]).state == ItemState.REMOVED
    assert next_item(review, owner, TA).reference_id not in {references[1].pk, references[2].pk}
    assert references_restore(review=review, reference_ids=[references[1].pk], user=owner) == 1
    assert item(review, references[1]).state == ItemState.AWAITING
    assert cache_differences(review) == []


def test_removing_for_another_reason_needs_the_reason(review, references, owner):
    with pytest.raises(ScreeningRefused, match="Say why"):
        references_remove(
            review=review, reference_ids=[references[0].pk], reason="other", user=owner
        )


def test_a_retrieved_pdf_sends_the_reference_to_full_text(review, references, owner, reviewer):
    ref = references[0]
    vote(review, ref, owner)
    vote(review, ref, reviewer)
    full_text_record(
        review=review, reference=ref, user=owner, status="retrieved",
        upload=SimpleUploadedFile("harmoni.pdf", PDF, "application/pdf"), max_bytes=10**6,
    )  # fmt: skip
    assert item(review, ref, RETRIEVAL).state == ItemState.RETRIEVED
    assert item(review, ref, FT).state == ItemState.AWAITING


def test_a_file_that_is_not_a_pdf_or_too_big_is_refused(review, references, owner, reviewer):
    ref = references[0]
    vote(review, ref, owner)
    vote(review, ref, reviewer)
    with pytest.raises(ScreeningRefused, match="not a PDF"):
        full_text_record(
            review=review, reference=ref, user=owner, status="retrieved",
            upload=SimpleUploadedFile("a.pdf", b"<html>paywall</html>"), max_bytes=10**6,
        )  # fmt: skip
    with pytest.raises(ScreeningRefused, match="over the limit"):
        full_text_record(
            review=review, reference=ref, user=owner, status="retrieved",
            upload=SimpleUploadedFile("a.pdf", PDF), max_bytes=10,
        )  # fmt: skip
    with pytest.raises(ScreeningRefused, match="Say why the full text could not be retrieved"):
        full_text_record(
            review=review, reference=ref, user=owner, status="not_retrieved", max_bytes=1
        )
    full_text_record(
        review=review, reference=ref, user=owner, status="not_retrieved",
        reason="Conference abstract only; authors did not reply", max_bytes=1,
    )  # fmt: skip
    assert item(review, ref, RETRIEVAL).state == ItemState.NOT_RETRIEVED


def test_retrieval_is_only_for_references_that_reached_it(review, references, owner):
    with pytest.raises(ScreeningRefused, match="not at the full-text retrieval stage"):
        full_text_record(
            review=review, reference=references[0], user=owner, status="retrieved", max_bytes=1
        )


# --- the cache and its check --------------------------------------------------------------------


def test_screening_state_check_finds_a_tampered_cache_and_fix_rebuilds_it(
    review, references, owner, reviewer
):
    vote(review, references[0], owner)
    vote(review, references[0], reviewer, "exclude", reason=reason(review))
    call_command("screening_state", review.slug, "--check", stdout=None)
    ScreeningItem.objects.filter(reference=references[0], stage=TA).update(state=ItemState.INCLUDED)

    with pytest.raises(CommandError, match="differ from the decision log"):
        call_command("screening_state", review.slug, "--check")
    assert any("computed ('conflict'" in line for line in cache_differences(review))

    call_command("screening_state", review.slug, "--fix")
    assert cache_differences(review) == []
    assert item(review, references[0]).state == ItemState.CONFLICT


def test_a_merge_moves_screening_with_the_records(review, import_text, owner, reviewer):
    from screening.identification.duplicates import duplicate_merge
    from screening.models import DuplicateCandidate

    text = ris(1).replace("DO  - 10.1000/ivo.1\n", "")
    import_text(text, name="a.ris", source="Embase")
    import_text(
        text.replace("lung cancer", "lung cancers"),
        name="b.ris",
        source="Scopus",
    )
    candidate = DuplicateCandidate.objects.get()
    vote(review, candidate.reference_a, reviewer)
    with pytest.raises(Exception, match="has been screened already"):
        duplicate_merge(candidate=candidate, user=owner, keep=candidate.reference_b)
    duplicate_merge(candidate=candidate, user=owner, keep=candidate.reference_a)
    assert not ScreeningItem.objects.filter(reference=candidate.reference_b).exists()
    assert cache_differences(review) == []
    assert Decision.objects.get().verdict == Verdict.INCLUDE
