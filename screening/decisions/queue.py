"""Which reference a reviewer screens next.

At title and abstract, when the review prioritises and the model has trained, the order is the
model's (prioritisation/retrain.py keeps it in one row per review): the first waiting reference of
that order the reviewer has not voted on. While a stopping-rule sample is open its records come
first, in the order they were drawn. Finding one is a query for a chunk of the order (the chunk
grows fourfold if every reference in it is taken), whatever the size of the review.

Otherwise (cold start, full text, prioritisation off, or references the model has not ranked
yet), a seeded random order: every reference of a review has a fixed pseudo-random rank
(from the review and the reference), and each reviewer walks the ranks from a starting point of
their own (from the review and the reviewer), wrapping round at the end. So each reviewer's
order is random and repeatable, two reviewers start in different places, and a reference a
reviewer has voted on never comes back to them at that stage. Finding the next reference is one
query of two index range scans (on `item_queue`: review, stage, waiting, rank), whatever the size
of the review.
"""

from __future__ import annotations

import hashlib

from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce

from screening.constants import Stage
from screening.models import Ranking, Review, ScreeningItem, StoppingSample, Vote
from screening.models.ranking import unpack_ids

RANK_SPACE = 2**31 - 1
FIRST_CHUNK = 500  # references of the model's order looked at in the first query


def _hash(*parts: object) -> int:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % RANK_SPACE


def rank_for(review_id: int, reference_id: int) -> int:
    """The reference's place in its review's random order."""
    return _hash("rank", review_id, reference_id)


def start_for(review_id: int, reviewer_id: int) -> int:
    """Where a reviewer begins in that order."""
    return _hash("start", review_id, reviewer_id)


def _waiting_for(review: Review, reviewer, stage: str):
    # `waiting__in=[True]`, not `waiting=True`: Django writes the latter as a bare column
    # (WHERE "waiting"), which SQLite cannot match to the index, and then sorts every row.
    return (
        ScreeningItem.objects.in_review(review)
        .filter(stage=stage, waiting__in=[True])
        .filter(~Exists(Vote.objects.filter(item=OuterRef("pk"), reviewer=reviewer)))
    )


def served_orders(review: Review, stage: str) -> list:
    """The explicit orders that come before the random one, first first: an open stopping
    sample, then the model's ranking. One query."""
    if stage != Stage.TITLE_ABSTRACT:
        return []
    sample = (
        StoppingSample.objects.in_review(OuterRef("pk"))
        .filter(stage=stage, withdrawn_at=None, applied_at=None)
        .order_by("-id")
    )
    ranking = Ranking.objects.in_review(OuterRef("pk")).filter(stage=stage, version__gt=0)
    blobs = (
        Review.objects.filter(pk=review.pk)
        .annotate(
            sample=Subquery(sample.values("reference_ids")[:1]),
            ranking=Subquery(ranking.values("order")[:1]),
        )
        .values_list("sample", "ranking")
        .first()
    ) or (None, None)
    # A sample is served even with prioritisation off: it is the stopping rule's, not the
    # model's.
    orders = [unpack_ids(blobs[0]), unpack_ids(blobs[1]) if review.prioritise else []]
    return [order for order in orders if len(order)]


def _first_in_order(waiting, order) -> int | None:
    """The first reference of `order` among the `waiting` ones."""
    start, size = 0, FIRST_CHUNK
    while start < len(order):
        chunk = order[start : start + size].tolist()
        found = set(waiting.filter(reference_id__in=chunk).values_list("reference_id", flat=True))
        if found:
            return next(ref_id for ref_id in chunk if ref_id in found)
        start, size = start + size, size * 4
    return None


def next_item(
    review: Review, reviewer, stage: str, after_rank: int | None = None
) -> ScreeningItem | None:
    """The next waiting reference at `stage` that `reviewer` has not voted on, or None.
    `after_rank`: the random-order rank of the reference just decided, when the caller knows
    it."""
    waiting = _waiting_for(review, reviewer, stage)
    for order in served_orders(review, stage):
        reference_id = _first_in_order(waiting, order)
        if reference_id is not None:
            return (
                ScreeningItem.objects.in_review(review)
                .filter(stage=stage, reference_id=reference_id)
                .select_related("reference")
                .first()
            )
    # Carry on after the reference of the reviewer's latest vote, so that the ones already
    # voted on (waiting for the other reviewer) are not walked over again and again.
    latest = after_rank
    if latest is None:
        latest = (
            Vote.objects.in_review(review)
            .filter(stage=stage, reviewer=reviewer)
            .order_by("-decision_id")
            .values_list("item__rank", flat=True)
            .first()
        )
    position = latest if latest is not None else start_for(review.pk, reviewer.pk)
    # The first waiting item after that place, or else the first of all (wrapping round), in
    # one query whatever the data: two scalar subqueries, each an index range scan that stops
    # at its first row, the second run only when the first finds nothing.
    after = waiting.filter(rank__gt=position).order_by("rank").values("pk")[:1]
    first = waiting.order_by("rank").values("pk")[:1]
    chosen = ScreeningItem.objects.filter(pk=Coalesce(Subquery(after), Subquery(first)))
    return chosen.select_related("reference").order_by().first()
