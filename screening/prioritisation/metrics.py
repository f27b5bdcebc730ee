"""How good a screening order is, measured the way the literature measures it.

Every function takes `labels_in_order`: the labels (1 relevant, 0 not) of the records in the
order they were screened, prior knowledge left out. N is its length and R its number of relevant
records. Positions are 1-based: the first record read is at position 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def n_to_recall(labels_in_order: Sequence[int], recall: float) -> int:
    """Records read to find `recall` of the relevant ones (at least ceil(recall * R))."""
    needed = math.ceil(recall * sum(labels_in_order) - 1e-9)
    if needed <= 0:
        return 0
    found = 0
    for position, label in enumerate(labels_in_order, start=1):
        found += label
        if found >= needed:
            return position
    raise ValueError("The order holds fewer relevant records than the recall asks for.")


def wss(labels_in_order: Sequence[int], recall: float = 0.95) -> float:
    """Work saved over sampling at `recall` (Cohen et al. 2006): (N - n)/N - (1 - recall)."""
    total = len(labels_in_order)
    return (total - n_to_recall(labels_in_order, recall)) / total - (1 - recall)


def tnr(labels_in_order: Sequence[int], recall: float = 0.95) -> float:
    """True negative rate at `recall`: the share of irrelevant records never read."""
    read = n_to_recall(labels_in_order, recall)
    irrelevant = len(labels_in_order) - sum(labels_in_order)
    unread = sum(1 for label in labels_in_order[read:] if not label)
    return unread / irrelevant if irrelevant else 0.0


def recall_after(labels_in_order: Sequence[int], share: float = 0.10) -> float:
    """Recall once `share` of the records are read (ceil(share * N) of them)."""
    read = math.ceil(share * len(labels_in_order) - 1e-9)
    relevant = sum(labels_in_order)
    return sum(labels_in_order[:read]) / relevant if relevant else 0.0


def average_time_to_discovery(labels_in_order: Sequence[int]) -> float:
    """The mean position at which a relevant record is found, as a share of N."""
    positions = [p for p, label in enumerate(labels_in_order, start=1) if label]
    if not positions:
        return 0.0
    return sum(positions) / len(positions) / len(labels_in_order)


def summary(labels_in_order: Sequence[int]) -> dict[str, float | int]:
    """All of them, as percentages where they are shares (rounded to 0.01)."""
    return {
        "records": len(labels_in_order),
        "relevant": sum(labels_in_order),
        "wss_95": round(100 * wss(labels_in_order, 0.95), 2),
        "tnr_95": round(100 * tnr(labels_in_order, 0.95), 2),
        "recall_10": round(100 * recall_after(labels_in_order, 0.10), 2),
        "atd": round(100 * average_time_to_discovery(labels_in_order), 2),
        "n_95": n_to_recall(labels_in_order, 0.95),
        "n_100": n_to_recall(labels_in_order, 1.0),
    }
