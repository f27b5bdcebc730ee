"""When prioritised screening may stop: the hypergeometric test of Callaghan & Müller-Hansen
(2020, "Statistical stopping criteria for automated screening in systematic reviews",
Systematic Reviews 9:273). Plain Python and scipy, no Django.

Reviewers screen records in the model's order and find r_AL relevant ones. Then they draw a
simple random sample (without replacement) of records from the N_s still unscreened, screen n of
them and find k relevant. With r = r_AL + k found in all, the null hypothesis is that recall is
below the target tau: the review holds more than r / tau relevant records, that is at least

    K_tar = floor(r / tau) + 1,

so at least K_tar - r_AL of them were in the pool when the sample was drawn. The fewer relevant
records the pool holds, the likelier a sample with as few as k of them, so the least of these is
the worst case under H0 and the p-value is

    p = P(X <= k),  X ~ Hypergeometric(population N_s, successes K_tar - r_AL, draws n),

and 0 when the pool is too small to hold K_tar - r_AL relevant records (H0 is then impossible).
The team may stop when p < alpha = 1 - confidence.

The records of the sample that are still unscreened change nothing: the screened part of a
random sample is itself a random sample of the pool. r / tau is computed on the target as
written (0.95 is 19/20, not the float just under it), so a recall exactly on the target is not
"below" it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["StoppingTest", "describe", "hypergeometric_test", "sample_size_needed"]


@dataclass(frozen=True)
class StoppingTest:
    """One application of the stopping rule, its inputs and what follows from them.

    missed_at_most is the one-sided upper confidence bound (at `confidence`) on the relevant
    records still unscreened: the largest number the pool could hold, less the k already found
    in the sample, with P(X <= k) >= alpha. recall_lower_bound is r / (r + missed_at_most), the
    matching lower bound on recall (1.0 when no relevant record exists anywhere in the bound).
    The two agree with the test: can_stop exactly when recall_lower_bound >= target.
    """

    target: float
    confidence: float
    found_before: int
    pool_size: int
    sample_size: int
    sample_screened: int
    found_in_sample: int
    screened_before: int | None
    p_value: float
    can_stop: bool
    k_target: int
    missed_at_most: int
    recall_lower_bound: float

    @property
    def alpha(self) -> float:
        return _alpha(self.confidence)

    @property
    def found(self) -> int:
        return self.found_before + self.found_in_sample


def hypergeometric_test(
    *,
    found_before: int,
    pool_size: int,
    sample_screened: int,
    found_in_sample: int,
    target: float = 0.95,
    confidence: float = 0.95,
    sample_size: int | None = None,
    screened_before: int | None = None,
) -> StoppingTest:
    """Test H0 "recall is below `target`" on the sample screened so far.

    `sample_size` is how many records were drawn (default: the ones screened);
    `screened_before` is how many were screened in prioritised order, only for `describe`.
    """
    if sample_size is None:
        sample_size = sample_screened
    _check(target, confidence, found_before, pool_size, sample_size, sample_screened)
    _check_count("relevant records found in the sample", found_in_sample)
    if screened_before is not None:
        _check_count("records screened in prioritised order", screened_before)
    if found_in_sample > sample_screened:
        raise ValueError(
            f"{found_in_sample:,} relevant records were found in the sample, but only "
            f"{sample_screened:,} of its records have been screened."
        )
    alpha = _alpha(confidence)
    k_target = _k_target(found_before + found_in_sample, target)
    p = _p_value(k_target - found_before, pool_size, sample_screened, found_in_sample)
    upper = _pool_upper_bound(pool_size, sample_screened, found_in_sample, alpha)
    missed = upper - found_in_sample
    found = found_before + found_in_sample
    return StoppingTest(
        target=target,
        confidence=confidence,
        found_before=found_before,
        pool_size=pool_size,
        sample_size=sample_size,
        sample_screened=sample_screened,
        found_in_sample=found_in_sample,
        screened_before=screened_before,
        p_value=p,
        can_stop=p < alpha,
        k_target=k_target,
        missed_at_most=missed,
        recall_lower_bound=found / (found + missed) if found + missed else 1.0,
    )


def sample_size_needed(
    *, found_before: int, pool_size: int, target: float = 0.95, confidence: float = 0.95
) -> int:
    """The smallest random sample that lets the team stop if it holds no relevant record.

    0 when the pool is too small to hold enough relevant records to pull recall below the
    target. Never more than the pool: a whole pool screened without a find leaves nothing
    unscreened, so p = 0 there, which is why there is no "never" answer.
    """
    _check(target, confidence, found_before, pool_size, 0, 0)
    alpha = _alpha(confidence)
    in_pool = _k_target(found_before, target) - found_before
    low, high = 0, pool_size  # p(high) < alpha always holds; p falls as the sample grows
    while low < high:
        middle = (low + high) // 2
        if _p_value(in_pool, pool_size, middle, 0) < alpha:
            high = middle
        else:
            low = middle + 1
    return low


def describe(test: StoppingTest) -> str:
    """Two plain sentences for the review's home page and the methods paragraph."""
    target = _percent(test.target)
    before = f"{test.found_before:,} relevant"
    if test.screened_before is not None:
        start = f"After {test.screened_before:,} records screened in prioritised order ({before})"
    else:
        start = f"After screening in prioritised order ({before})"
    if test.sample_screened == test.sample_size:
        sample = f"a random sample of {test.sample_size:,} of the {test.pool_size:,} unscreened"
        sample += " records"
    else:
        sample = (
            f"the first {test.sample_screened:,} screened of a random sample of "
            f"{test.sample_size:,} drawn from the {test.pool_size:,} unscreened records"
        )
    held = _relevant(test.found_in_sample)
    stats = f"({_p_text(test)}, α = {test.alpha:g})"
    if test.can_stop:
        verdict = f"we reject the hypothesis that recall is below {target} {stats}"
    else:
        verdict = f"we cannot yet reject the hypothesis that recall is below {target} {stats}"
    bound = (
        f"With {_percent(test.confidence)} confidence, recall is at least "
        f"{_percent(test.recall_lower_bound, floor=True)} (at most "
        f"{test.missed_at_most:,} relevant records not yet found)."
    )
    return f"{start}, {sample} held {held}: {verdict}. {bound}"


def _k_target(found: int, target: float) -> int:
    """The fewest relevant records in the review that would put recall below the target."""
    return math.floor(Fraction(found) / Fraction(str(target))) + 1


def _p_value(relevant_in_pool: int, pool_size: int, screened: int, found: int) -> float:
    if relevant_in_pool > pool_size:
        return 0.0
    # SciPy is loaded here, where it is used, not by every process that loads the URLs (an
    # import, a worker): scipy.stats alone holds some 70 MB. (bench/memory.py)
    from scipy.stats import hypergeom

    # scipy's order: k, M (population), n (successes in it), N (draws).
    p = float(hypergeom.cdf(found, pool_size, relevant_in_pool, screened))
    return min(1.0, max(0.0, p))


def _pool_upper_bound(pool_size: int, screened: int, found: int, alpha: float) -> int:
    """The most relevant records the pool could have held with P(X <= found) still >= alpha.

    P(X <= found) falls as the pool holds more relevant records, so a binary search finds it;
    `found` itself always qualifies (P = 1), and more than `found` plus the unsampled part
    cannot be.
    """
    low, high = found, pool_size - screened + found
    while low < high:
        middle = (low + high + 1) // 2
        if _p_value(middle, pool_size, screened, found) >= alpha:
            low = middle
        else:
            high = middle - 1
    return low


def _alpha(confidence: float) -> float:
    # 1 - 0.95 in floats is 0.050000000000000044; on the decimal it is 0.05.
    return float(1 - Fraction(str(confidence)))


def _check(target, confidence, found_before, pool_size, sample_size, sample_screened) -> None:
    if not 0 < target < 1:
        raise ValueError(
            f"The target recall must be between 0 and 1, for example 0.95 for 95%, not {target}."
        )
    if not 0 < confidence < 1:
        raise ValueError(
            f"The confidence must be between 0 and 1, for example 0.95 for 95%, not {confidence}."
        )
    _check_count("relevant records found before the sample", found_before)
    _check_count("unscreened records", pool_size)
    _check_count("records in the sample", sample_size)
    _check_count("screened records of the sample", sample_screened)
    if sample_size > pool_size:
        raise ValueError(
            f"The random sample ({sample_size:,} records) cannot be larger than the "
            f"{pool_size:,} records that were left unscreened."
        )
    if sample_screened > sample_size:
        raise ValueError(
            f"{sample_screened:,} records of the sample are marked as screened, but the sample "
            f"only has {sample_size:,}."
        )


def _check_count(what: str, value: int) -> None:
    if value < 0:
        raise ValueError(f"The number of {what} cannot be negative ({value}).")


def _relevant(count: int) -> str:
    if count == 0:
        return "no relevant record"
    return f"{count:,} relevant record{'s' if count != 1 else ''}"


def _percent(share: float, floor: bool = False) -> str:
    """95%, 97.5%, 96.1%: at most one decimal; `floor` so a lower bound is never rounded up."""
    tenths = share * 1000
    tenths = math.floor(tenths + 1e-9) if floor else round(tenths)
    text = f"{tenths / 10:.1f}".removesuffix(".0")
    return f"{text}%"


def _p_text(test: StoppingTest) -> str:
    """p with as few digits as keep it on the right side of alpha (0.0499 never shows as 0.05)."""
    p, alpha = test.p_value, test.alpha
    if p < 0.001 < alpha:
        return "p < 0.001"
    for digits in range(2, 17):
        text = f"{p:.{digits}g}"
        if (float(text) < alpha) == test.can_stop:
            return f"p = {text}"
    return f"p = {p!r}"
