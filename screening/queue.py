"""Which reference a reviewer screens next: the one function a ranking model will replace.

For now, a seeded random order: every reference of a review has a fixed pseudo-random rank
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

from .models import Review, ScreeningItem, Vote

RANK_SPACE = 2**31 - 1


def _hash(*parts: object) -> int:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % RANK_SPACE


def rank_for(review_id: int, reference_id: int) -> int:
    """The reference's place in its review's random order."""
    return _hash("rank", review_id, reference_id)


def start_for(review_id: int, reviewer_id: int) -> int:
    """Where a reviewer begins in that order."""
    return _hash("start", review_id, reviewer_id)


def next_item(
    review: Review, reviewer, stage: str, after_rank: int | None = None
) -> ScreeningItem | None:
    """The next waiting reference at `stage` that `reviewer` has not voted on, or None.
    `after_rank`: the rank of the reference just decided, when the caller knows it."""
    # `waiting__in=[True]`, not `waiting=True`: Django writes the latter as a bare column
    # (WHERE "waiting"), which SQLite cannot match to the index, and then sorts every row.
    waiting = ScreeningItem.objects.filter(review=review, stage=stage, waiting__in=[True]).filter(
        ~Exists(Vote.objects.filter(item=OuterRef("pk"), reviewer=reviewer))
    )
    # Carry on after the reference of the reviewer's latest vote, so that the ones already
    # voted on (waiting for the other reviewer) are not walked over again and again.
    latest = after_rank
    if latest is None:
        latest = (
            Vote.objects.filter(review=review, stage=stage, reviewer=reviewer)
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
