"""The state function: a reference's state at each stage from its decisions alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening.constants import DecisionKind, FullTextStatus, ItemState, Stage, Verdict
from screening.decisions.states import (
    DecisionFact,
    ReferenceFacts,
    live_votes,
    moves_on,
    reference_outcomes,
    stage_outcome,
)

TA, FT = Stage.TITLE_ABSTRACT, Stage.FULL_TEXT
WRONG_DESIGN, WRONG_COMPARATOR = 1, 2
ANA, BEN, OWNER = 10, 20, 30


def vote(id, reviewer, verdict, reason=None, required=2, conflict=True):  # noqa: A002
    return DecisionFact(id, DecisionKind.VOTE, reviewer, verdict, reason, required, conflict)


def retract(id, reviewer):  # noqa: A002
    return DecisionFact(id, DecisionKind.RETRACT, reviewer)


def resolution(id, verdict, reason=None):  # noqa: A002
    return DecisionFact(id, DecisionKind.RESOLUTION, OWNER, verdict, reason)


def reopen(id):  # noqa: A002
    return DecisionFact(id, DecisionKind.REOPEN, OWNER)


def test_nothing_decided_awaits():
    assert stage_outcome([], TA).state == ItemState.AWAITING


def test_one_vote_under_dual_screening_awaits_the_second():
    outcome = stage_outcome([vote(1, ANA, Verdict.INCLUDE)], TA)
    assert (outcome.state, outcome.vote_count) == (ItemState.AWAITING_SECOND, 1)


def test_one_vote_under_single_screening_settles():
    outcome = stage_outcome([vote(1, ANA, Verdict.EXCLUDE, WRONG_DESIGN, required=1)], TA)
    assert (outcome.state, outcome.verdict, outcome.reason) == (
        ItemState.EXCLUDED,
        Verdict.EXCLUDE,
        WRONG_DESIGN,
    )


@pytest.mark.parametrize(
    "first, second", [("include", "include"), ("include", "maybe"), ("maybe", "maybe")]
)
def test_two_votes_that_move_it_on_include_it(first, second):
    outcome = stage_outcome([vote(1, ANA, first), vote(2, BEN, second)], TA)
    assert (outcome.state, outcome.verdict) == (ItemState.INCLUDED, Verdict.INCLUDE)


@pytest.mark.parametrize("other", ["include", "maybe"])
def test_include_against_exclude_is_a_conflict(other):
    outcome = stage_outcome([vote(1, ANA, other), vote(2, BEN, "exclude", WRONG_DESIGN)], TA)
    assert outcome.state == ItemState.CONFLICT


def test_two_exclusions_for_different_reasons_conflict_at_full_text_only():
    votes = [vote(1, ANA, "exclude", WRONG_DESIGN), vote(2, BEN, "exclude", WRONG_COMPARATOR)]
    assert stage_outcome(votes, FT).state == ItemState.CONFLICT
    at_screening = stage_outcome(votes, TA)
    assert (at_screening.state, at_screening.reason) == (ItemState.EXCLUDED, WRONG_DESIGN)


def test_when_reasons_do_not_conflict_the_earliest_reason_counts():
    votes = [
        vote(1, ANA, "exclude", WRONG_COMPARATOR, conflict=False),
        vote(2, BEN, "exclude", WRONG_DESIGN, conflict=False),
    ]
    outcome = stage_outcome(votes, FT)
    assert (outcome.state, outcome.reason) == (ItemState.EXCLUDED, WRONG_COMPARATOR)


def test_a_changed_mind_supersedes_the_earlier_vote():
    decisions = [
        vote(1, ANA, "exclude", WRONG_DESIGN),
        vote(2, BEN, "include"),
        vote(3, ANA, "include"),
    ]
    assert stage_outcome(decisions, TA).state == ItemState.INCLUDED
    assert live_votes(decisions)[ANA].id == 3


def test_a_withdrawn_vote_no_longer_counts():
    outcome = stage_outcome([vote(1, ANA, "include"), retract(2, ANA)], TA)
    assert (outcome.state, outcome.vote_count) == (ItemState.AWAITING, 0)


def test_a_resolution_settles_a_conflict_and_keeps_the_votes():
    decisions = [
        vote(1, ANA, "include"),
        vote(2, BEN, "exclude", WRONG_DESIGN),
        resolution(3, "exclude", WRONG_COMPARATOR),
    ]
    outcome = stage_outcome(decisions, FT)
    assert (outcome.state, outcome.reason, outcome.resolved) == (
        ItemState.EXCLUDED,
        WRONG_COMPARATOR,
        True,
    )
    assert set(outcome.votes) == {ANA, BEN}


def test_a_reopening_discards_what_came_before_it():
    decisions = [
        vote(1, ANA, "include"),
        vote(2, BEN, "include"),
        reopen(3),
        vote(4, BEN, "exclude"),
    ]
    outcome = stage_outcome(decisions, TA)
    assert (outcome.state, set(outcome.votes)) == (ItemState.AWAITING_SECOND, {BEN})


def test_the_rules_of_the_latest_vote_apply():
    # Dual screening when Ana voted; single when Ben did: Ben's vote is enough, both count.
    decisions = [vote(1, ANA, "include", required=2), vote(2, BEN, "include", required=1)]
    assert stage_outcome(decisions, TA).state == ItemState.INCLUDED


def test_an_unknown_verdict_is_an_error():
    with pytest.raises(ValueError):
        moves_on("perhaps")


# --- across stages -----------------------------------------------------------------------------


def included_at_screening():
    return {TA: [vote(1, ANA, "include"), vote(2, BEN, "include")]}


def test_a_database_record_starts_at_title_and_abstract_and_stops_there_when_excluded():
    facts = ReferenceFacts(entry=TA, decisions={TA: [vote(1, ANA, "exclude", required=1)]})
    assert list(reference_outcomes(facts)) == [TA]


def test_included_at_screening_it_is_sought_then_screened_at_full_text_once_retrieved():
    sought = reference_outcomes(ReferenceFacts(entry=TA, decisions=included_at_screening()))
    assert sought[Stage.RETRIEVAL].state == ItemState.AWAITING_RETRIEVAL
    assert FT not in sought
    retrieved = reference_outcomes(
        ReferenceFacts(
            entry=TA, decisions=included_at_screening(), full_text=FullTextStatus.RETRIEVED
        )
    )
    assert retrieved[FT].state == ItemState.AWAITING
    not_retrieved = reference_outcomes(
        ReferenceFacts(
            entry=TA, decisions=included_at_screening(), full_text=FullTextStatus.NOT_RETRIEVED
        )
    )
    assert not_retrieved[Stage.RETRIEVAL].state == ItemState.NOT_RETRIEVED
    assert FT not in not_retrieved


def test_other_methods_start_at_retrieval():
    outcomes = reference_outcomes(ReferenceFacts(entry=Stage.RETRIEVAL))
    assert list(outcomes) == [Stage.RETRIEVAL]


def test_a_removed_reference_stays_removed_at_its_first_stage():
    outcomes = reference_outcomes(ReferenceFacts(entry=TA, removed=True))
    assert {stage: o.state for stage, o in outcomes.items()} == {TA: ItemState.REMOVED}


def test_a_reference_with_no_record_left_is_at_no_stage():
    assert reference_outcomes(ReferenceFacts(entry=None, decisions=included_at_screening())) == {}


# --- properties --------------------------------------------------------------------------------

reviewers = st.sampled_from([ANA, BEN, 40])
verdicts = st.sampled_from(list(Verdict.values))
kinds = st.sampled_from(
    [DecisionKind.VOTE] * 6 + [DecisionKind.RETRACT, DecisionKind.RESOLUTION, DecisionKind.REOPEN]
)


@st.composite
def decision_logs(draw):
    facts = []
    for number, kind in enumerate(draw(st.lists(kinds, max_size=12)), start=1):
        verdict = draw(verdicts) if kind in (DecisionKind.VOTE, DecisionKind.RESOLUTION) else ""
        reason = (
            draw(st.sampled_from([WRONG_DESIGN, WRONG_COMPARATOR]))
            if verdict == "exclude"
            else None
        )
        facts.append(
            DecisionFact(
                number,
                kind,
                OWNER
                if kind in (DecisionKind.RESOLUTION, DecisionKind.REOPEN)
                else draw(reviewers),
                verdict,
                reason,
                draw(st.sampled_from([1, 2])),
                draw(st.booleans()),
            )
        )
    return facts


@given(decision_logs(), st.sampled_from([TA, FT]))
def test_any_log_gives_a_state_consistent_with_its_rules(decisions, stage):
    outcome = stage_outcome(decisions, stage)
    votes = live_votes(decisions)
    assert outcome.state in {
        ItemState.AWAITING,
        ItemState.AWAITING_SECOND,
        ItemState.CONFLICT,
        ItemState.INCLUDED,
        ItemState.EXCLUDED,
    }
    if outcome.resolved:
        assert outcome.state in (ItemState.INCLUDED, ItemState.EXCLUDED)
        return
    assert outcome.vote_count == len(votes)
    if not votes:
        assert outcome.state == ItemState.AWAITING
        return
    required = max(votes.values(), key=lambda d: d.id).reviewers_required
    if len(votes) < required:
        assert outcome.state == ItemState.AWAITING_SECOND
    elif outcome.state == ItemState.INCLUDED:
        assert all(moves_on(d.verdict) for d in votes.values())
    elif outcome.state == ItemState.EXCLUDED:
        assert not any(moves_on(d.verdict) for d in votes.values())
        assert outcome.reason in {d.reason for d in votes.values()}
    else:
        assert outcome.state == ItemState.CONFLICT


@given(decision_logs(), st.sampled_from([TA, FT]))
def test_superseded_decisions_never_count(decisions, stage):
    """Dropping every decision a later one supersedes (earlier votes of the same reviewer, and
    anything before a reopening) changes nothing."""
    last_reopen = max((d.id for d in decisions if d.kind == DecisionKind.REOPEN), default=0)
    current = [d for d in decisions if d.id > last_reopen]
    latest_by_reviewer = {}
    for d in current:
        if d.kind in (DecisionKind.VOTE, DecisionKind.RETRACT):
            latest_by_reviewer[d.reviewer] = d.id
    kept = [
        d
        for d in current
        if d.kind == DecisionKind.RESOLUTION or latest_by_reviewer.get(d.reviewer) == d.id
    ]
    assert stage_outcome(kept, stage) == stage_outcome(decisions, stage)


@given(decision_logs(), st.randoms())
def test_the_order_the_log_is_read_in_does_not_matter(decisions, random):
    shuffled = list(decisions)
    random.shuffle(shuffled)
    assert stage_outcome(shuffled, FT) == stage_outcome(decisions, FT)
