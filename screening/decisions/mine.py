"""Reads of one reviewer's own decisions at a stage: the "My decisions" list, walking back and
forth through them on the screening page, finding a record inside the stage, and what the end
of the queue says. Each shows the reviewer their own votes only, never another's, so none of
it needs the blinding rule: a record found by words shows its title, not its state."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from references.normalise import normalise_doi
from screening.constants import ItemState, Verdict
from screening.models import Review, ScreeningItem, Vote

FOUND_AT_MOST = 20  # records a search inside screening lists: a jump, not a reference list


def _clean(query: str) -> str:
    # A NUL cannot go into a PostgreSQL string: it would answer 500 rather than "no match".
    return query.replace("\x00", "").strip()


def _words_match(query: str, prefix: str = "") -> Q:
    """Every word in the title or the abstract (case-insensitive)."""
    match = Q()
    for word in _clean(query).split():
        match &= Q(**{f"{prefix}title__icontains": word}) | Q(
            **{f"{prefix}abstract__icontains": word}
        )
    return match


def my_votes(review: Review, reviewer, stage: str) -> QuerySet[Vote]:
    """The reviewer's live votes at the stage, latest first."""
    return (
        Vote.objects.in_review(review)
        .filter(stage=stage, reviewer=reviewer)
        .select_related("item__reference", "decision__reason")
        .order_by("-decision_id")
    )


def my_decisions(
    review: Review, reviewer, stage: str, *, verdict: str = "", reason: str = "", words: str = ""
) -> QuerySet[Vote]:
    """ "My decisions": the reviewer's live votes at the stage, latest first, filtered by
    verdict, exclusion reason (its id) and words of the title or abstract."""
    votes = my_votes(review, reviewer, stage)
    if verdict in Verdict.values:
        votes = votes.filter(verdict=verdict)
    if reason.isdigit():
        votes = votes.filter(decision__reason_id=int(reason))
    if _clean(words):
        votes = votes.filter(_words_match(words, "item__reference__"))
    return votes


def _my_vote_on(review: Review, reviewer, stage: str, reference_id: int) -> int | None:
    return (
        Vote.objects.in_review(review)
        .filter(stage=stage, reviewer=reviewer, item__reference_id=reference_id)
        .values_list("decision_id", flat=True)
        .first()
    )


def decided_before(review: Review, reviewer, stage: str, reference_id: int | None) -> int | None:
    """The reference of the reviewer's decision just before their decision on `reference_id`
    (their latest decision when they have none on it, or when none is given): where the
    previous-record key goes."""
    votes = Vote.objects.in_review(review).filter(stage=stage, reviewer=reviewer)
    if reference_id is not None:
        mine = _my_vote_on(review, reviewer, stage, reference_id)
        if mine is not None:
            votes = votes.filter(decision_id__lt=mine)
    return votes.order_by("-decision_id").values_list("item__reference_id", flat=True).first()


def decided_after(review: Review, reviewer, stage: str, reference_id: int) -> int | None:
    """The reference of the reviewer's decision just after their decision on `reference_id`;
    None when it is their latest (the next-record key then goes back to the queue)."""
    mine = _my_vote_on(review, reviewer, stage, reference_id)
    if mine is None:
        return None
    return (
        Vote.objects.in_review(review)
        .filter(stage=stage, reviewer=reviewer, decision_id__gt=mine)
        .order_by("decision_id")
        .values_list("item__reference_id", flat=True)
        .first()
    )


def find_at_stage(review: Review, stage: str, query: str) -> list[ScreeningItem]:
    """Records at the stage that match `query`: a PMID (digits), a DOI (with or without
    https://doi.org/), or words that all appear in the title or abstract. Records removed
    before screening are not at the stage for a reviewer, so they are left out."""
    query = _clean(query)
    if not query:
        return []
    items = (
        ScreeningItem.objects.in_review(review)
        .filter(stage=stage)
        .exclude(state__in=[ItemState.REMOVED, ItemState.AUTOMATED])
        .select_related("reference")
    )
    doi = normalise_doi(query)
    if query.isdigit():
        match = Q(reference__pmid=query)
    elif doi.startswith("10."):
        match = Q(reference__doi=doi)
    else:
        match = _words_match(query, "reference__")
    return list(items.filter(match).order_by("rank")[:FOUND_AT_MOST])


@dataclass
class QueueEnd:
    """What the end of the queue says: what the reviewer did, and what is left to others."""

    by_verdict: Counter = field(default_factory=Counter)
    waiting_for_others: int = 0  # my votes on records that wait for another reviewer
    my_conflicts: int = 0  # records where my vote disagrees with another's
    conflicts: int = 0  # all records in conflict at the stage
    moved_on: int = 0  # records this stage sent on (to retrieval, or to the studies)

    @property
    def decided(self) -> int:
        return sum(self.by_verdict.values())


def queue_end(review: Review, reviewer, stage: str, conflicts: int, moved_on: int) -> QueueEnd:
    """The reviewer's votes at the stage counted by verdict and by the state of their record.
    One query."""
    end = QueueEnd(conflicts=conflicts, moved_on=moved_on)
    rows = (
        Vote.objects.in_review(review)
        .filter(stage=stage, reviewer=reviewer)
        .values_list("verdict", "item__state")
    )
    for verdict, state in rows:
        end.by_verdict[verdict] += 1
        end.waiting_for_others += state == ItemState.AWAITING_SECOND
        end.my_conflicts += state == ItemState.CONFLICT
    return end


def verdict_counts(end: QueueEnd) -> list[tuple[str, int]]:
    """(label, n) of each verdict the reviewer gave, in the order of the buttons."""
    return [
        (Verdict(v).label.lower(), end.by_verdict[v]) for v in Verdict.values if end.by_verdict[v]
    ]
