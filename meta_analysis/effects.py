"""Effect sizes from what trials report, each as (yi, vi): the estimate on the analysis scale (the
log for a ratio) and its sampling variance. Pooling takes these (meta_analysis.pooling).

The formulas are those of metafor's `escalc` (Viechtbauer 2010, J Stat Softw 36(3)), so that a
number here can be checked against R: RR, OR and RD from 2x2 counts, MD, and SMD as Hedges' g."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import NamedTuple

Z_95 = 1.959964  # the normal quantile of a two-sided 95% interval, as published CIs use it
BINARY_MEASURES = ("RR", "OR", "RD")
# statsmodels' names for them.
_STATISTIC = {"RR": "risk-ratio", "OR": "odds-ratio", "RD": "diff"}


class Effect(NamedTuple):
    """One study's effect: the estimate on the analysis scale and its sampling variance."""

    yi: float
    vi: float


@dataclass(frozen=True)
class BinaryCounts:
    """One study's 2x2 table as trials report it: events and participants in each arm. The
    experimental arm comes first, so a ratio below 1 favours it when the event is bad."""

    experimental_events: int
    experimental_total: int
    control_events: int
    control_total: int

    def table(self) -> list[list[int]]:
        """[[events, non-events] experimental, [events, non-events] control]."""
        return [
            [self.experimental_events, self.experimental_total - self.experimental_events],
            [self.control_events, self.control_total - self.control_events],
        ]


@dataclass(frozen=True)
class BinaryEffects:
    """The studies' effects for one measure. `counts` and `labels` are those of the studies kept,
    in the order of `yi`; `left_out` names each study left out, with the reason."""

    measure: str
    yi: tuple[float, ...]
    vi: tuple[float, ...]
    labels: tuple[str, ...]
    counts: tuple[BinaryCounts, ...]
    left_out: tuple[tuple[str, str], ...]


def ratio_from_ci(estimate: float, low: float, high: float) -> Effect:
    """A reported ratio (HR, OR, RR) and its 95% CI, as the log ratio and its variance: the CI is
    symmetric on the log scale, so SE = (log(high) - log(low)) / (2 * 1.959964)."""
    if not 0 < low < high:
        raise ValueError("a ratio's confidence limits must be positive, the lower one first")
    if not low <= estimate <= high:
        raise ValueError("the estimate must lie within its confidence interval")
    se = (math.log(high) - math.log(low)) / (2 * Z_95)
    return Effect(math.log(estimate), se**2)


def _check_counts(counts: BinaryCounts) -> None:
    for events, total in (
        (counts.experimental_events, counts.experimental_total),
        (counts.control_events, counts.control_total),
    ):
        if total <= 0 or not 0 <= events <= total:
            raise ValueError(f"events must be between 0 and the arm's total: {counts}")


def left_out_reason(counts: BinaryCounts, measure: str) -> str | None:
    """Why a study says nothing about a ratio, or None when it counts. With no events in either
    arm, or events for everyone in both, RR and OR are undefined: such a study is left out, as
    metafor's rma.mh (drop00) and RevMan do. A risk difference of 0 is information: RD keeps it."""
    measure = _measure(measure)
    if measure == "RD":
        return None
    if counts.experimental_events == 0 and counts.control_events == 0:
        return "no events in either arm"
    if (
        counts.experimental_events == counts.experimental_total
        and counts.control_events == counts.control_total
    ):
        return "every participant had the event in both arms"
    return None


def binary_effect(counts: BinaryCounts, measure: str) -> Effect | None:
    """log RR, log OR or RD of one 2x2 table, or None for a study left out (left_out_reason).

    A table with a zero cell gets 0.5 added to each of its four cells (metafor's escalc default,
    add=1/2, to="only0", and RevMan's), so the log and the variance are finite. The correction is
    applied here rather than by statsmodels' `zero_correction`, which adds 0.5 to the events of
    every study, zero cell or not (statsmodels 0.14)."""
    _check_counts(counts)
    measure = _measure(measure)
    if left_out_reason(counts, measure):
        return None
    (a, b), (c, d) = counts.table()
    add = 0.5 if 0 in (a, b, c, d) else 0.0
    from statsmodels.stats.meta_analysis import (
        effectsize_2proportions,  # loaded here: see pooling._stats
    )

    yi, vi = effectsize_2proportions(
        a + add, a + b + 2 * add, c + add, c + d + 2 * add, statistic=_STATISTIC[measure]
    )
    return Effect(float(yi), float(vi))


def binary_effects(
    counts: Sequence[BinaryCounts], measure: str, labels: Sequence[str] | None = None
) -> BinaryEffects:
    """The effects of several studies' tables, leaving out (and naming) those without one."""
    measure = _measure(measure)
    labels = study_labels(labels, len(counts))
    yi, vi, kept, kept_labels, left_out = [], [], [], [], []
    for label, table in zip(labels, counts, strict=True):
        effect = binary_effect(table, measure)
        if effect is None:
            left_out.append((label, left_out_reason(table, measure) or ""))
            continue
        yi.append(effect.yi)
        vi.append(effect.vi)
        kept.append(table)
        kept_labels.append(label)
    return BinaryEffects(
        measure, tuple(yi), tuple(vi), tuple(kept_labels), tuple(kept), tuple(left_out)
    )


def mean_difference(
    mean_1: float, sd_1: float, n_1: int, mean_2: float, sd_2: float, n_2: int
) -> Effect:
    """MD = mean_1 - mean_2, with the variance sd_1²/n_1 + sd_2²/n_2 (no pooled SD: escalc's
    "MD" and RevMan's)."""
    _check_arms(sd_1, n_1, sd_2, n_2, smallest_total=2)
    return Effect(mean_1 - mean_2, sd_1**2 / n_1 + sd_2**2 / n_2)


def standardised_mean_difference(
    mean_1: float, sd_1: float, n_1: int, mean_2: float, sd_2: float, n_2: int
) -> Effect:
    """Hedges' g: the mean difference over the pooled SD, times the exact small-sample correction
    J(m) = Γ(m/2) / (√(m/2) Γ((m-1)/2)), m = n_1 + n_2 - 2 (Hedges 1981), with the large-sample
    variance 1/n_1 + 1/n_2 + g²/(2(n_1 + n_2)): metafor's escalc "SMD" (vtype "LS").

    statsmodels' effectsize_smd uses the approximation 1 - 3/(4N - 9) and another variance
    (N - 3.94 in the denominator), so its numbers differ from metafor's and RevMan's."""
    _check_arms(sd_1, n_1, sd_2, n_2, smallest_total=4)
    m = n_1 + n_2 - 2
    pooled_sd = math.sqrt(((n_1 - 1) * sd_1**2 + (n_2 - 1) * sd_2**2) / m)
    # In logs, because Γ overflows past m of about 340.
    correction = math.exp(
        math.lgamma(m / 2) - math.log(math.sqrt(m / 2)) - math.lgamma((m - 1) / 2)
    )
    g = correction * (mean_1 - mean_2) / pooled_sd
    return Effect(g, 1 / n_1 + 1 / n_2 + g**2 / (2 * (n_1 + n_2)))


def mean_sd_from_median_iqr(median: float, q1: float, q3: float, n: int) -> tuple[float, float]:
    """An estimated mean and SD from a median, its quartiles and the sample size: Wan X, Wang W,
    Liu J, Tong T. BMC Med Res Methodol 2014;14:135 (scenario C3), which assumes the data are
    roughly normal:

        mean ≈ (q1 + median + q3) / 3
        SD   ≈ (q3 - q1) / (2 Φ⁻¹((0.75n - 0.125) / (n + 0.25)))

    Opt-in: a skewed outcome (a length of stay, a survival time) is reported as a median for a
    reason, and the review should say where it converted one."""
    if not q1 <= median <= q3:
        raise ValueError("the quartiles must be ordered: q1 <= median <= q3")
    if n < 1:
        raise ValueError("the sample size must be at least 1")
    eta = 2 * NormalDist().inv_cdf((0.75 * n - 0.125) / (n + 0.25))
    return (q1 + median + q3) / 3, (q3 - q1) / eta


def _check_arms(sd_1: float, n_1: int, sd_2: float, n_2: int, *, smallest_total: int) -> None:
    if sd_1 <= 0 or sd_2 <= 0:
        raise ValueError("standard deviations must be positive")
    if n_1 < 1 or n_2 < 1 or n_1 + n_2 < smallest_total:
        raise ValueError(f"the two arms need at least {smallest_total} participants in all")


def _measure(measure: str) -> str:
    upper = measure.upper()  # extraction's Measure values are lower case ("rr")
    if upper not in BINARY_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(BINARY_MEASURES)}, not {measure!r}")
    return upper


def study_labels(labels: Sequence[str] | None, k: int) -> list[str]:
    """The studies' labels, or "1".."k" when none are given."""
    if labels is None:
        return [str(i + 1) for i in range(k)]
    if len(labels) != k:
        raise ValueError(f"{len(labels)} labels for {k} studies")
    return [str(label) for label in labels]
