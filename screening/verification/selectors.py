"""Reads of the exclusion audit: every exclusion with its reasons, and each reviewer's share of
each reason against the others'."""

from collections import Counter, defaultdict

from django.db.models import (
    Prefetch,
)

from screening.constants import ItemState, Stage
from screening.models import (
    Review,
    ScreeningItem,
    Vote,
)
from screening.permissions.blinding import VoteView


def exclusions(review: Review):
    """Every excluded reference, at either stage, with the votes that excluded it."""
    return (
        ScreeningItem.objects.in_review(review)
        .filter(stage__in=Stage.screened(), state=ItemState.EXCLUDED)
        .select_related("reference", "reason")
        .prefetch_related(
            Prefetch(
                "live_votes",
                queryset=Vote.objects.select_related("reviewer", "decision").order_by(
                    "decision_id"
                ),
            )
        )
        .order_by("stage", "reference_id")
    )


DRIFT_POINTS = 20  # a reviewer's share of a reason this far from the others' stands out
DRIFT_MIN = 5  # ... once they have excluded at least this many


def reason_distribution(review: Review, stage: str, view: VoteView) -> dict:
    """How each reviewer's exclusions at a stage spread over the reasons, against everyone
    else's: {"reasons": [...], "rows": [{"reviewer", "total", "cells": [{n, share, others,
    drift}]}]}. A share DRIFT_POINTS or more from the others' stands out."""
    counts: dict[str, Counter] = defaultdict(Counter)
    votes = view.votes(Vote.objects.in_review(review).filter(stage=stage, verdict="exclude"))
    for username, label in votes.values_list("reviewer__username", "decision__reason_label"):
        counts[username][label or "No reason"] += 1
    reasons = sorted({label for per in counts.values() for label in per})
    rows = []
    for username in sorted(counts):
        mine = counts[username]
        total = sum(mine.values())
        others = Counter()
        for other, per in counts.items():
            if other != username:
                others.update(per)
        others_total = sum(others.values())
        cells = []
        for label in reasons:
            share = 100 * mine[label] / total if total else 0.0
            other_share = 100 * others[label] / others_total if others_total else None
            drift = (
                other_share is not None
                and total >= DRIFT_MIN
                and abs(share - other_share) >= DRIFT_POINTS
            )
            cells.append({"n": mine[label], "share": share, "others": other_share, "drift": drift})
        rows.append({"reviewer": username, "total": total, "cells": cells})
    return {"reasons": reasons, "rows": rows}
