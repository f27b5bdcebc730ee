"""The review home's prioritisation panel: the order in use, the inclusions curve and the
stopping sample's state."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Min

from screening.constants import DecisionKind, Stage
from screening.models import Decision, Ranking, Review, StoppingSample
from screening.prioritisation.bookkeeping import ranking_of
from screening.prioritisation.estimate import RecallEstimate, with_recall
from screening.stopping.rule import describe
from screening.stopping.services import (
    StoppingStatus,
    active_sample,
    applied_sample,
    screening_so_far,
    stopping_status,
    suggested_size,
)
from screening.stopping.svg import render_curve

TA = Stage.TITLE_ABSTRACT


@dataclass(frozen=True)
class RecallShown:
    """The estimated recall and its interval as the page writes them ("96%", "91%", "99%")."""

    point: str
    low: str
    high: str


@dataclass
class StoppingAid:
    ranking: Ranking | None
    screened: int
    found: int
    unscreened: int
    since_last_include: int
    estimate_left: float | None
    estimate: RecallEstimate | None  # with its 95% interval, once the model has one
    recall: RecallShown | None  # the estimate's recall, written for the page
    curve_svg: str
    sample: StoppingSample | None  # open, or the latest applied
    status: StoppingStatus | None
    status_text: str
    suggested_size: int


def inclusion_curve(review: Review, relevant: set[int]) -> list[tuple[int, int]]:
    """(records screened, relevant found) after each record, in the order of each record's
    first vote at title and abstract. One query."""
    first_votes = (
        Decision.objects.in_review(review)
        .filter(stage=TA, kind=DecisionKind.VOTE)
        .values("reference_id")
        .annotate(first=Min("id"))
        .order_by("first")
        .values_list("reference_id", flat=True)
    )
    points, found = [], 0
    for screened, reference_id in enumerate(first_votes, start=1):
        found += reference_id in relevant
        points.append((screened, found))
    return points


def _with_interval(ranking: Ranking, found: int) -> RecallEstimate | None:
    """The ranking's estimate as recall, if it was stored with its interval."""
    low, high = ranking.estimate_left_low, ranking.estimate_left_high
    if low is None or high is None:
        return None
    return with_recall(found, ranking.estimate_left, low, high)


def recall_percent(share: float, lower_bound: bool = False) -> str:
    """A recall for the page: a whole percentage, with one decimal from 99% up so that recall
    short of 100% never reads as 100% (one record may be missing), and a lower bound never
    rounded up: a guide to stopping must not look surer than it is."""
    if share >= 1:
        return "100%"
    rounding = math.floor if lower_bound else round
    if share < 0.99:
        return f"{rounding(share * 100 + (1e-9 if lower_bound else 0))}%"
    tenths = min(rounding(share * 1000 + (1e-9 if lower_bound else 0)), 999)
    return f"{tenths / 10:.1f}".removesuffix(".0") + "%"


def recall_shown(estimate: RecallEstimate | None) -> RecallShown | None:
    if estimate is None:
        return None
    # When the probabilities left add up to almost nothing (under 0.025), the count's interval
    # is [0, 0] beside a point just above 0: the ends are widened to hold the point.
    return RecallShown(
        point=recall_percent(estimate.recall),
        low=recall_percent(min(estimate.recall_low, estimate.recall), lower_bound=True),
        high=recall_percent(max(estimate.recall_high, estimate.recall)),
    )


def stopping_aid(review: Review) -> StoppingAid:
    ranking = ranking_of(review, TA)
    screened, relevant, unscreened = screening_so_far(review)
    found = len(relevant)
    points = inclusion_curve(review, relevant)
    # The place of the latest relevant record: where the curve first reaches its height.
    last_include = next((s for s, f in points if f and f == points[-1][1]), 0)
    estimate = ranking.estimate_left if ranking and ranking.version else None
    with_interval = _with_interval(ranking, found) if estimate is not None else None
    sample = active_sample(review) or applied_sample(review)
    status = stopping_status(sample) if sample else None
    total = screened + unscreened
    return StoppingAid(
        ranking=ranking,
        screened=screened,
        found=found,
        unscreened=unscreened,
        since_last_include=len(points) - last_include,
        estimate_left=estimate,
        estimate=with_interval,
        recall=recall_shown(with_interval),
        curve_svg=render_curve(
            points,
            total=max(total, len(points)),
            estimate=found + estimate if estimate is not None else None,
            sample_start=sample.screened_before if sample else None,
        ),
        sample=sample,
        status=status,
        status_text=describe(status.test) if status else "",
        suggested_size=suggested_size(found, unscreened) if unscreened and sample is None else 0,
    )
