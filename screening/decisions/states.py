"""A reference's state at each stage, as a pure function of what was recorded about it.

No ORM here: the callers (screening/decisions/services.py, `screening_state --check`) load the facts
and store or compare the outcome. The rules (docs/design.md, Counting rules):

- Decisions count from the latest reopening on. A reviewer's latest vote (or its withdrawal)
  is theirs; earlier ones are superseded.
- A resolution settles a conflict: its verdict and reason are the ones that count.
- A reference needs the number of votes its latest vote was cast under (one or two reviewers):
  with fewer it awaits; when they all move it on (include, or maybe: a vote to look further) it
  is included; when they all exclude it is excluded under the earliest vote's reason, unless at
  full text two different reasons count as a conflict (the setting the latest vote was cast
  under); any other mix is a conflict.
- Stages follow one another: title and abstract (for references with a record from a database
  or register), retrieval (references included at title and abstract, and those found only by
  other methods), full text (references whose full text was retrieved). A reference removed
  before screening (title and abstract only, as PRISMA draws it) stays there, removed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from screening.constants import DecisionKind, FullTextStatus, ItemState, Stage, Verdict


@dataclass(frozen=True)
class DecisionFact:
    id: int  # the log's order
    kind: str
    reviewer: int
    verdict: str = ""
    reason: int | None = None
    reviewers_required: int = 2
    reasons_conflict: bool = True


@dataclass(frozen=True)
class Outcome:
    state: str
    verdict: str = ""  # once settled: include (include or maybe) or exclude
    reason: int | None = None
    resolved: bool = False
    # The live votes: reviewer -> the decision that is their vote.
    votes: dict[int, DecisionFact] = field(default_factory=dict, compare=False)

    @property
    def vote_count(self) -> int:
        return len(self.votes)


@dataclass(frozen=True)
class ReferenceFacts:
    entry: str | None  # the first stage: title_abstract, retrieval, or None (no record left)
    removed: bool = False
    automated: bool = False  # removed by applying the stopping rule
    decisions: dict[str, Sequence[DecisionFact]] = field(default_factory=dict)
    full_text: str | None = None  # the latest retrieval status, if any


def moves_on(verdict: str) -> bool:
    """Include and maybe move a reference on; exclude does not."""
    if verdict not in Verdict.values:
        raise ValueError(f"not a verdict: {verdict!r}")
    return verdict != Verdict.EXCLUDE


def live_votes(decisions: Iterable[DecisionFact]) -> dict[int, DecisionFact]:
    """Each reviewer's vote that counts, from the latest reopening on."""
    latest: dict[int, DecisionFact] = {}
    for decision in _since_reopening(decisions):
        if decision.kind in (DecisionKind.VOTE, DecisionKind.RETRACT):
            latest[decision.reviewer] = decision
    return {r: d for r, d in latest.items() if d.kind == DecisionKind.VOTE}


def _since_reopening(decisions: Iterable[DecisionFact]) -> list[DecisionFact]:
    ordered = sorted(decisions, key=lambda d: d.id)
    for index in range(len(ordered) - 1, -1, -1):
        if ordered[index].kind == DecisionKind.REOPEN:
            return ordered[index + 1 :]
    return ordered


def stage_outcome(decisions: Iterable[DecisionFact], stage: str) -> Outcome:
    """The state of a reference at a screening stage, from its decisions there."""
    current = _since_reopening(decisions)
    votes = live_votes(current)
    resolutions = [d for d in current if d.kind == DecisionKind.RESOLUTION]
    if resolutions:
        final = resolutions[-1]
        forward = moves_on(final.verdict)
        return Outcome(
            ItemState.INCLUDED if forward else ItemState.EXCLUDED,
            verdict=Verdict.INCLUDE if forward else Verdict.EXCLUDE,
            reason=None if forward else final.reason,
            resolved=True,
            votes=votes,
        )
    if not votes:
        return Outcome(ItemState.AWAITING)
    in_order = sorted(votes.values(), key=lambda d: d.id)
    latest = in_order[-1]
    if len(in_order) < latest.reviewers_required:
        return Outcome(ItemState.AWAITING_SECOND, votes=votes)
    forward = [moves_on(d.verdict) for d in in_order]
    if all(forward):
        return Outcome(ItemState.INCLUDED, verdict=Verdict.INCLUDE, votes=votes)
    if any(forward):
        return Outcome(ItemState.CONFLICT, votes=votes)
    reasons = [d.reason for d in in_order]
    if stage == Stage.FULL_TEXT and latest.reasons_conflict and len(set(reasons)) > 1:
        return Outcome(ItemState.CONFLICT, votes=votes)
    reason = next((r for r in reasons if r is not None), None)
    return Outcome(ItemState.EXCLUDED, verdict=Verdict.EXCLUDE, reason=reason, votes=votes)


def retrieval_outcome(full_text: str | None) -> Outcome:
    if full_text == FullTextStatus.RETRIEVED:
        return Outcome(ItemState.RETRIEVED)
    if full_text == FullTextStatus.NOT_RETRIEVED:
        return Outcome(ItemState.NOT_RETRIEVED)
    return Outcome(ItemState.AWAITING_RETRIEVAL)


def reference_outcomes(facts: ReferenceFacts) -> dict[str, Outcome]:
    """The reference's state at every stage it has reached, in stage order."""
    outcomes: dict[str, Outcome] = {}
    if facts.entry is None:
        return outcomes
    if facts.removed and facts.entry == Stage.TITLE_ABSTRACT:
        outcomes[facts.entry] = Outcome(
            ItemState.AUTOMATED if facts.automated else ItemState.REMOVED
        )
        return outcomes
    if facts.entry == Stage.TITLE_ABSTRACT:
        screened = stage_outcome(
            facts.decisions.get(Stage.TITLE_ABSTRACT, ()), Stage.TITLE_ABSTRACT
        )
        outcomes[Stage.TITLE_ABSTRACT] = screened
        if screened.state != ItemState.INCLUDED:
            return outcomes
    retrieval = retrieval_outcome(facts.full_text)
    outcomes[Stage.RETRIEVAL] = retrieval
    if retrieval.state != ItemState.RETRIEVED:
        return outcomes
    outcomes[Stage.FULL_TEXT] = stage_outcome(
        facts.decisions.get(Stage.FULL_TEXT, ()), Stage.FULL_TEXT
    )
    return outcomes


# --- Revising one's own vote ---------------------------------------------------------------------

MOVED_ON = "This reference has moved on since your decision; only the review's owner can reopen it."
DECIDED_BY_OTHERS = (
    "Someone else has decided this reference at this stage; only the review's owner can reopen it."
)
USED_LATER = {
    Stage.TITLE_ABSTRACT: "This reference has been screened at full text (or its full text "
    "recorded) since your decision; only the review's owner can reopen it.",
    Stage.FULL_TEXT: "This report is in a study now; only the review's owner can reopen it.",
}


def revisable(
    decisions: Iterable[DecisionFact],
    stage: str,
    state: str,
    reviewer: int,
    *,
    used_later: bool = False,
) -> tuple[bool, str]:
    """Whether a reviewer may still revise (change or withdraw) their own vote at a stage, and
    if not, the sentence that says why: the one rule, for the services and the page.

    While the reference waits or is in conflict, always. Once settled, only if their vote was
    cast under one reviewer and the stage has not moved it on to work that depends on it: no one
    else decided it here (another reviewer's vote, a resolution) and it was not used later
    (`used_later`: at title and abstract, any decision at full text or a full text recorded at
    retrieval; at full text, the report is in a study). With two reviewers a settled reference
    stays settled: only the review's owner reopens it."""
    current = _since_reopening(decisions)
    votes = live_votes(current)
    mine = votes.get(reviewer)
    if mine is None:
        return False, "You have no decision on this reference to undo."
    if state in ItemState.open():
        return True, ""
    if state in (ItemState.REMOVED, ItemState.AUTOMATED):
        return False, "This reference was removed before screening."
    if mine.reviewers_required > 1:
        return False, MOVED_ON
    others = any(r != reviewer for r in votes) or any(
        d.kind == DecisionKind.RESOLUTION for d in current
    )
    if others:
        return False, DECIDED_BY_OTHERS
    if used_later:
        return False, USED_LATER.get(stage, MOVED_ON)
    return True, ""
