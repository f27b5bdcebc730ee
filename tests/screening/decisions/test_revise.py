"""Revising one's own decision (issue 16): with one reviewer a decision settles the reference at
once, yet its reviewer may undo or change it until the stage has moved the reference on to work
that depends on it (states.revisable, read by selectors.revision_check). Nothing is deleted: a
revision supersedes, and the states recompute."""

from __future__ import annotations

import pytest

from extraction.services import study_create
from screening.constants import DecisionKind, ItemState, Stage
from screening.decisions.items import cache_differences
from screening.decisions.review_settings import review_settings_update
from screening.decisions.selectors import revision_check
from screening.decisions.services import (
    ScreeningRefused,
    conflict_resolve,
    decision_retract,
    decision_undo_last,
)
from screening.decisions.states import DecisionFact, revisable
from screening.models import Decision, ScreeningItem
from screening.prisma.counts import prisma_report
from screening.retrieval.services import full_text_record
from tests.screening.decisions.test_screening import item, reason, ris, vote

pytestmark = pytest.mark.django_db

TA, RETRIEVAL, FT = Stage.TITLE_ABSTRACT, Stage.RETRIEVAL, Stage.FULL_TEXT
REFUSED_OWNER = "only the review's owner can reopen it"


@pytest.fixture
def references(review, import_text):
    search = import_text(ris(3), name="embase.ris", source="Embase")
    return [record.reference for record in search.records.order_by("position")]


@pytest.fixture
def single(review, owner):
    review_settings_update(
        review=review, user=owner, reviewers_title_abstract=1, reviewers_full_text=1
    )
    return review


def retrieve(review, ref, who):
    full_text_record(review=review, reference=ref, user=who, status="retrieved", max_bytes=10**6)


# --- one reviewer at title and abstract ----------------------------------------------------------


def test_decide_undo_and_decide_again(single, references, reviewer):
    ref = references[0]
    first = vote(single, ref, reviewer, "include")
    assert item(single, ref).state == ItemState.INCLUDED
    assert ScreeningItem.objects.filter(reference=ref, stage=RETRIEVAL).exists()
    before = prisma_report(single)

    assert decision_undo_last(review=single, stage=TA, reviewer=reviewer) == ref

    assert item(single, ref).state == ItemState.AWAITING
    assert not ScreeningItem.objects.filter(reference=ref, stage=RETRIEVAL).exists()
    again = vote(single, ref, reviewer, "exclude", reason=reason(single))
    assert item(single, ref).state == ItemState.EXCLUDED
    kinds = list(
        Decision.objects.filter(reference=ref).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == [DecisionKind.VOTE, DecisionKind.RETRACT, DecisionKind.VOTE]  # all kept
    assert Decision.objects.get(kind=DecisionKind.RETRACT).supersedes == first
    assert again.supersedes is None  # the withdrawal ended the first vote
    after = prisma_report(single)
    assert after.records_excluded == before.records_excluded + 1
    assert after.dbr_sought_reports == before.dbr_sought_reports - 1
    assert cache_differences(single) == []


def test_a_settled_decision_is_revised_in_place(single, references, reviewer):
    ref = references[0]
    first = vote(single, ref, reviewer, "exclude", reason=reason(single))
    assert item(single, ref).state == ItemState.EXCLUDED

    changed = vote(single, ref, reviewer, "include")

    assert changed.supersedes == first
    assert item(single, ref).state == ItemState.INCLUDED
    assert item(single, ref, RETRIEVAL).state == ItemState.AWAITING_RETRIEVAL
    assert cache_differences(single) == []


def test_refused_once_the_full_text_is_recorded(single, references, reviewer):
    ref = references[0]
    vote(single, ref, reviewer, "include")
    retrieve(single, ref, reviewer)
    with pytest.raises(ScreeningRefused, match=r"screened at full text .*" + REFUSED_OWNER):
        decision_undo_last(review=single, stage=TA, reviewer=reviewer)
    with pytest.raises(ScreeningRefused, match="screened at full text"):
        vote(single, ref, reviewer, "exclude", reason=reason(single))
    assert item(single, ref).state == ItemState.INCLUDED


def test_refused_once_the_reference_has_a_full_text_decision(single, references, reviewer, owner):
    ref = references[0]
    vote(single, ref, reviewer, "include")
    retrieve(single, ref, owner)
    vote(single, ref, owner, "include", stage=FT)
    allowed, why = revision_check(item(single, ref), reviewer.pk)
    assert not allowed
    assert "screened at full text" in why
    with pytest.raises(ScreeningRefused, match="screened at full text"):
        decision_retract(review=single, reference=ref, stage=TA, reviewer=reviewer)


def test_refused_once_someone_else_decided_it_at_the_stage(review, references, reviewer, owner):
    # Dual screening when the owner voted; single when the reviewer did: both votes count.
    ref = references[0]
    vote(review, ref, owner, "exclude", reason=reason(review))
    review_settings_update(review=review, user=owner, reviewers_title_abstract=1)
    vote(review, ref, reviewer, "exclude", reason=reason(review))
    assert item(review, ref).state == ItemState.EXCLUDED
    with pytest.raises(ScreeningRefused, match="Someone else has decided this reference"):
        decision_undo_last(review=review, stage=TA, reviewer=reviewer)


def test_refused_once_a_resolution_decided_it(review, references, reviewer, owner):
    ref = references[0]
    vote(review, ref, owner, "include")
    vote(review, ref, reviewer, "exclude", reason=reason(review))
    conflict_resolve(review=review, reference=ref, stage=TA, resolver=owner, verdict="include")
    facts = [
        DecisionFact(d.id, d.kind, d.reviewer_id, d.verdict, d.reason_id, 1)
        for d in Decision.objects.filter(reference=ref, stage=TA)
    ]  # as if both votes had been cast under one reviewer
    assert revisable(facts, TA, ItemState.INCLUDED, reviewer.pk) == (
        False,
        "Someone else has decided this reference at this stage; only the review's owner can "
        "reopen it.",
    )


# --- one reviewer at full text -------------------------------------------------------------------


def test_full_text_revisable_until_the_report_is_in_a_study(single, references, reviewer, owner):
    ref = references[0]
    vote(single, ref, reviewer, "include")
    retrieve(single, ref, owner)
    vote(single, ref, reviewer, "exclude", stage=FT, reason=reason(single))
    decision_undo_last(review=single, stage=FT, reviewer=reviewer)
    assert item(single, ref, FT).state == ItemState.AWAITING
    vote(single, ref, reviewer, "include", stage=FT)
    assert item(single, ref, FT).state == ItemState.INCLUDED
    assert prisma_report(single).new_reports == 1

    study_create(review=single, user=owner, name="HARMONi-A", reports=[ref])

    with pytest.raises(ScreeningRefused, match="This report is in a study now"):
        decision_undo_last(review=single, stage=FT, reviewer=reviewer)
    assert item(single, ref, FT).state == ItemState.INCLUDED


def test_full_text_refused_once_someone_else_decided_it(single, references, reviewer, owner):
    ref = references[0]
    vote(single, ref, reviewer, "include")
    retrieve(single, ref, owner)
    vote(single, ref, owner, "include", stage=FT)
    with pytest.raises(ScreeningRefused, match="no decision on this reference to undo"):
        decision_retract(review=single, reference=ref, stage=FT, reviewer=reviewer)
    # The owner's own decision is theirs to revise.
    assert revision_check(item(single, ref, FT), owner.pk) == (True, "")


# --- two reviewers: as before --------------------------------------------------------------------


def test_two_reviewers_change_their_mind_until_the_other_agrees(
    review, references, reviewer, owner
):
    ref = references[0]
    vote(review, ref, reviewer, "include")
    decision_undo_last(review=review, stage=TA, reviewer=reviewer)  # waits: undo allowed
    vote(review, ref, reviewer, "exclude", reason=reason(review))
    vote(review, ref, owner, "include")
    assert item(review, ref).state == ItemState.CONFLICT
    vote(review, ref, reviewer, "include")  # in conflict: a change of mind settles it
    assert item(review, ref).state == ItemState.INCLUDED
    with pytest.raises(ScreeningRefused, match="has moved on since your decision"):
        decision_undo_last(review=review, stage=TA, reviewer=reviewer)
    with pytest.raises(ScreeningRefused, match="has moved on since your decision"):
        vote(review, ref, owner, "exclude", reason=reason(review))
    assert cache_differences(review) == []
