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
from dataclasses import dataclass

import numpy as np
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


@dataclass(frozen=True)
class ServedOrder:
    """An explicit order the queue serves before the random one: "sample" (an open
    stopping-rule sample) or "model" (the ranking of model `version`)."""

    kind: str
    ids: np.ndarray
    version: int = 0


@dataclass(frozen=True)
class QueuePlace:
    """Why the reviewer sees this reference now, said beside it on the page: its place in the
    order that served it ("sample", "model"), or "random" with the reason the model's order is
    not used (`why`: "off", "full_text", "warm_up", "unranked")."""

    kind: str
    position: int | None = None
    total: int | None = None
    version: int = 0
    why: str = ""


def served_orders(review: Review, stage: str) -> tuple[list[ServedOrder], int]:
    """The explicit orders that come before the random one, first first (an open stopping
    sample, then the model's ranking), and the model's version (0: not trained yet). One
    query."""
    if stage != Stage.TITLE_ABSTRACT:
        return [], 0
    sample = (
        StoppingSample.objects.in_review(OuterRef("pk"))
        .filter(stage=stage, withdrawn_at=None, applied_at=None)
        .order_by("-id")
    )
    ranking = Ranking.objects.in_review(OuterRef("pk")).filter(stage=stage)
    blobs = (
        Review.objects.filter(pk=review.pk)
        .annotate(
            sample=Subquery(sample.values("reference_ids")[:1]),
            ranking=Subquery(ranking.filter(version__gt=0).values("order")[:1]),
            version=Subquery(ranking.values("version")[:1]),
        )
        .values_list("sample", "ranking", "version")
        .first()
    ) or (None, None, 0)
    version = blobs[2] or 0
    # A sample is served even with prioritisation off: it is the stopping rule's, not the
    # model's.
    orders = [ServedOrder("sample", unpack_ids(blobs[0]))]
    if review.prioritise:
        orders.append(ServedOrder("model", unpack_ids(blobs[1]), version))
    return [order for order in orders if len(order.ids)], version


def _random_place(review: Review, stage: str, version: int) -> QueuePlace:
    if stage != Stage.TITLE_ABSTRACT:
        why = "full_text"
    elif not review.prioritise:
        why = "off"
    elif not version:
        why = "warm_up"
    else:
        why = "unranked"
    return QueuePlace("random", version=version, why=why)


def place_in_queue(review: Review, stage: str, reference_id: int) -> QueuePlace:
    """The place of a reference opened by the reviewer (not served by the queue): in the
    model's order if it ranks it, else random. One query."""
    orders, version = served_orders(review, stage)
    for order in orders:
        if order.kind == "model":
            found = np.flatnonzero(order.ids == reference_id)
            if len(found):
                return QueuePlace("model", int(found[0]) + 1, len(order.ids), order.version)
    return _random_place(review, stage, version)


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
    """The next waiting reference at `stage` that `reviewer` has not voted on, or None; its
    `queue_place` says which order served it. `after_rank`: the random-order rank of the
    reference just decided, when the caller knows it."""
    waiting = _waiting_for(review, reviewer, stage)
    orders, version = served_orders(review, stage)
    for order in orders:
        reference_id = _first_in_order(waiting, order.ids)
        if reference_id is not None:
            item = (
                ScreeningItem.objects.in_review(review)
                .filter(stage=stage, reference_id=reference_id)
                .select_related("reference")
                .first()
            )
            if item is not None:
                position = int(np.flatnonzero(order.ids == reference_id)[0]) + 1
                item.queue_place = QueuePlace(order.kind, position, len(order.ids), order.version)
            return item
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
    item = chosen.select_related("reference").order_by().first()
    if item is not None:
        item.queue_place = _random_place(review, stage, version)
    return item
