"""How many relevant records are still among the unscreened, and so what recall screening has
reached: a model-based estimate with a 95% interval, shown beside the stopping rule's test.

1. **Calibration.** The classifier's scores are not probabilities. A logistic map from score
   to label (Platt scaling) is fitted on the screened records' *out-of-fold* scores: each
   scored by the ranker fitted without it (rankers.out_of_fold). In-sample scores are
   over-confident (the record was in the training set), which made the earlier estimate lean
   low.
2. **The count left.** Given those probabilities p_i for the unscreened records, the number
   of relevant ones among them is a sum of independent Bernoulli variables: a Poisson
   binomial. Its quantiles give the interval: exact (SciPy's `poisson_binom`) for up to
   EXACT_UP_TO records; above that, the refined normal approximation (Volkova 1996, as given
   by Hong 2013, "On computing the distribution function for the Poisson binomial
   distribution", Computational Statistics & Data Analysis 59:41-51, eq. 5), which is
   accurate to well under one record at those sizes and costs O(n) instead of seconds.
3. **Recall** = found / (found + left), its interval from the count's.

The interval is the model's own uncertainty, given its calibration: it does not cover a
calibration that is wrong, and the screened records are not a random sample of the review.
So it is a guide. The random-sample test (screening/stopping/rule.py) is what allows
stopping, and bench/stopping.py measures how often each would have stopped too early.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EXACT_UP_TO = 2_000
LEVEL = 0.95


@dataclass(frozen=True)
class RecallEstimate:
    found: int  # relevant records found so far
    left: float  # expected relevant records among the unscreened
    left_low: float  # the interval's ends (whole records)
    left_high: float
    recall: float
    recall_low: float
    recall_high: float


def calibration(oof_scores: Sequence[float], labels: Sequence[int]):
    """Score -> probability of relevance, fitted on out-of-fold scores (Platt scaling)."""
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(oof_scores, dtype=float).reshape(-1, 1)
    # C large: no shrinkage. With C = 1 the slope shrank so much on a few dozen relevant
    # records that the estimate of records left doubled (tests/screening/stopping/
    # test_estimate.py). The price: scores that separate the classes perfectly give
    # probabilities near 0 and 1, and an interval of almost no width.
    fitted = LogisticRegression(C=1e6).fit(x, np.asarray(labels))
    return lambda scores: fitted.predict_proba(np.asarray(scores, float).reshape(-1, 1))[:, 1]


def quantiles(probabilities: Sequence[float], levels: Sequence[float]) -> list[int]:
    """The smallest k with P(S <= k) >= level, for S the number of successes among
    independent trials of these probabilities."""
    p = np.clip(np.asarray(probabilities, dtype=float), 0.0, 1.0)
    if not len(p):
        return [0 for _ in levels]
    mean = float(p.sum())
    sd = math.sqrt(float((p * (1 - p)).sum()))
    low = max(0, int(mean - 12 * sd) - 2)
    high = min(len(p), int(math.ceil(mean + 12 * sd)) + 2)
    k = np.arange(low, high + 1)
    if len(p) <= EXACT_UP_TO:
        from scipy.stats import poisson_binom

        cdf = poisson_binom.cdf(k, p)
    else:
        cdf = _refined_normal_cdf(k, p, mean, sd)
    cdf = np.maximum.accumulate(np.clip(cdf, 0.0, 1.0))  # monotone despite rounding
    result = []
    for level in levels:
        at = int(np.searchsorted(cdf, level - 1e-12))
        result.append(int(k[min(at, len(k) - 1)]))
    return result


def _refined_normal_cdf(k: np.ndarray, p: np.ndarray, mean: float, sd: float) -> np.ndarray:
    """Hong (2013), eq. 5: G((k + 0.5 - mean) / sd), G(x) = Phi(x) + gamma (1 - x^2) phi(x) / 6,
    gamma the skewness sum(p (1 - p) (1 - 2p)) / sd^3."""
    from scipy.stats import norm

    if sd == 0:
        return (k >= round(mean)).astype(float)
    gamma = float((p * (1 - p) * (1 - 2 * p)).sum()) / sd**3
    x = (k + 0.5 - mean) / sd
    return norm.cdf(x) + gamma * (1 - x**2) * norm.pdf(x) / 6


def recall_estimate(
    found: int, probabilities: Sequence[float], level: float = LEVEL
) -> RecallEstimate:
    """The estimate from the unscreened records' probabilities of relevance."""
    tail = (1 - level) / 2
    low, high = quantiles(probabilities, [tail, 1 - tail])
    left = float(np.sum(probabilities))
    # Whole-record ends around a fractional mean: when less than a record is expected, both
    # quantiles are 0, and the interval must still hold the point.
    low, high = min(low, math.floor(left + 1e-9)), max(high, math.ceil(left - 1e-9))
    return with_recall(found, left, float(low), float(high))


def with_recall(found: int, left: float, left_low: float, left_high: float) -> RecallEstimate:
    """The estimate of records left, with the recall that follows from it and its ends."""

    def recall(missing: float) -> float:
        return found / (found + missing) if found + missing else 1.0

    return RecallEstimate(
        found=found,
        left=left,
        left_low=left_low,
        left_high=left_high,
        recall=recall(left),
        recall_low=recall(left_high),
        recall_high=recall(left_low),
    )


def estimate_from_scores(
    oof_scores: Sequence[float],
    labels: Sequence[int],
    candidate_scores: Sequence[float],
    *,
    found: int,
    level: float = LEVEL,
) -> RecallEstimate | None:
    """The retrain's one call: None while only one kind of decision is known or nothing is
    left to estimate."""
    if len(set(labels)) < 2 or not len(candidate_scores):
        return None
    probabilities = calibration(oof_scores, labels)(candidate_scores)
    return recall_estimate(found, probabilities, level)
