"""Pooling studies' effects: a fixed-effect (inverse variance or Mantel-Haenszel) or a
random-effects (DerSimonian-Laird, Paule-Mandel or REML τ², optionally with the
Hartung-Knapp-Sidik-Jonkman adjustment) estimate, with heterogeneity (Q, τ², I² and its interval,
H²), the prediction interval, weights; and, built on it, subgroups and leave-one-out.

Everything is on the analysis scale (log for ratios); PoolResult.as_ratio() takes a ratio back.
Intervals are 95%. The numbers follow metafor's rma.uni and rma.mh, checked against their
printed output in tests/meta_analysis/test_stats.py; where RevMan differs, the docstring says."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from meta_analysis import estimators
from meta_analysis.effects import BinaryCounts, study_labels

LEVEL = 0.95
FIXED_METHODS = ("IV", "MH")
RANDOM_METHODS = estimators.TAU2_METHODS
# REML is metafor's default, and estimates τ² better than DL (Veroniki AA et al. Methods to
# estimate the between-study variance and its uncertainty in meta-analysis. Res Synth Methods
# 2016;7:55-79).
DEFAULT_METHOD = {"fixed": "IV", "random": "REML"}


def _stats():
    """SciPy's distributions, loaded when an analysis runs, not with
    the URLs: the web process's import path stays free of SciPy (tests/test_architecture.py)."""
    from scipy import stats

    return stats


@dataclass(frozen=True)
class Ratio:
    """A pooled ratio taken back from the log scale."""

    estimate: float
    ci_low: float
    ci_high: float
    prediction_interval: tuple[float, float] | None


@dataclass(frozen=True)
class PoolResult:
    """A pooled estimate with its heterogeneity. `statistic` is z, or t with `df` degrees of
    freedom under HKSJ (`distribution` says which). `weights` are percentages in the order of
    `labels`."""

    model: str
    method: str
    hksj: bool
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    distribution: str
    statistic: float
    df: int | None
    p: float
    tau2: float
    tau: float
    i2: float
    i2_ci: tuple[float, float]
    h2: float
    q: float
    q_df: int
    q_p: float
    prediction_interval: tuple[float, float] | None
    weights: tuple[float, ...]
    labels: tuple[str, ...]

    def as_ratio(self) -> Ratio:
        """The estimate and its intervals as a ratio (OR, RR, HR), from the log scale."""
        interval = self.prediction_interval
        return Ratio(
            math.exp(self.estimate),
            math.exp(self.ci_low),
            math.exp(self.ci_high),
            (math.exp(interval[0]), math.exp(interval[1])) if interval else None,
        )


@dataclass(frozen=True)
class _Fit:
    """What a model gives before the tests and intervals are put around it."""

    estimate: float
    se: float
    weights: np.ndarray
    tau2: float
    i2: float
    h2: float
    q: float


def pool(
    yi: Sequence[float],
    vi: Sequence[float],
    *,
    model: str = "fixed",
    method: str | None = None,
    hksj: bool = False,
    labels: Sequence[str] | None = None,
    counts: Sequence[BinaryCounts] | None = None,
    measure: str | None = None,
) -> PoolResult:
    """Pool the effects yi (variances vi) of k studies.

    model "fixed" takes method "IV" (inverse variance, the default) or "MH" (Mantel-Haenszel:
    needs each study's `counts`, in the order of yi, and the `measure`, "RR", "OR" or "RD");
    model "random" takes "DL", "PM" or "REML" (the default) for τ², and `hksj` for the
    Hartung-Knapp-Sidik-Jonkman SE with t on k - 1 df. One study is returned as it is."""
    y, v = _effects(yi, vi)
    method = _method(model, method, hksj, counts, measure, len(y))
    names = tuple(study_labels(labels, len(y)))
    if len(y) == 1:
        return _single_study(y, v, model, method, names)
    fit = _fixed(y, v, method, counts, measure) if model == "fixed" else _random(y, v, method, hksj)
    df = len(y) - 1 if hksj else None
    statistic, p, crit = _test(fit.estimate, fit.se, df)
    return PoolResult(
        model=model,
        method=method,
        hksj=hksj,
        k=len(y),
        estimate=fit.estimate,
        se=fit.se,
        ci_low=fit.estimate - crit * fit.se,
        ci_high=fit.estimate + crit * fit.se,
        distribution="t" if hksj else "z",
        statistic=statistic,
        df=df,
        p=p,
        tau2=fit.tau2,
        tau=math.sqrt(fit.tau2),
        i2=fit.i2,
        i2_ci=_i2_interval(y, v),
        h2=fit.h2,
        q=fit.q,
        q_df=len(y) - 1,
        q_p=float(_stats().chi2.sf(fit.q, len(y) - 1)),
        prediction_interval=_prediction_interval(fit, len(y), model),
        weights=tuple(float(w) for w in 100 * fit.weights / fit.weights.sum()),
        labels=names,
    )


def _fixed(
    y: np.ndarray,
    v: np.ndarray,
    method: str,
    counts: Sequence[BinaryCounts] | None,
    measure: str | None,
) -> _Fit:
    """Inverse variance (statsmodels) or Mantel-Haenszel. I² = (Q - df) / Q, H² = Q / df."""
    if method == "IV":
        combined = estimators.inverse_variance(y, v)
        estimate, se, weights, q = combined.estimate, combined.se, 1 / v, combined.q
    else:
        mh = estimators.mantel_haenszel(counts, measure.upper())
        estimate, se, weights = mh.estimate, mh.se, mh.weights
        # Q about the MH estimate with the studies' inverse-variance weights, as metafor's
        # rma.mh and RevMan compute the heterogeneity of an MH analysis.
        q = float(np.sum((y - estimate) ** 2 / v))
    df = len(y) - 1
    i2 = 100 * max(0.0, (q - df) / q) if q > 0 else 0.0
    return _Fit(estimate, se, weights, tau2=0.0, i2=i2, h2=q / df, q=q)


def _random(y: np.ndarray, v: np.ndarray, method: str, hksj: bool) -> _Fit:
    """τ² first, then the inverse-variance mean with variances vᵢ + τ² (the same statsmodels
    combination, so the HKSJ SE comes with it). I² = τ² / (τ² + s²) and H² = 1 + τ²/s², s² the
    typical within-study variance: metafor's definitions; RevMan's (Q - df)/Q is the same for
    DL and differs slightly for REML and PM."""
    tau2 = estimators.tau2(y, v, method)
    combined = estimators.inverse_variance(y, v + tau2)
    typical = estimators.typical_variance(v)
    return _Fit(
        estimate=combined.estimate,
        se=combined.hksj_se if hksj else combined.se,
        weights=1 / (v + tau2),
        tau2=tau2,
        i2=100 * tau2 / (tau2 + typical),
        h2=1 + tau2 / typical,
        q=estimators.inverse_variance(y, v).q,
    )


def _test(estimate: float, se: float, df: int | None) -> tuple[float, float, float]:
    """The test statistic, its two-sided p and the 95% critical value: normal, or t with df."""
    distribution = _stats().norm if df is None else _stats().t(df)
    crit = float(distribution.ppf(1 - (1 - LEVEL) / 2))
    if se == 0:  # HKSJ with identical effects: nothing to test against
        return math.nan, math.nan, crit
    statistic = estimate / se
    return statistic, float(2 * distribution.sf(abs(statistic))), crit


def _i2_interval(y: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """I²'s interval: the Q-profile interval of τ² put through I² = τ² / (τ² + s²), as metafor's
    confint(). (Not the test-based interval of Higgins & Thompson 2002.)"""
    typical = estimators.typical_variance(v)
    low, high = estimators.tau2_interval(y, v, LEVEL)
    return 100 * low / (low + typical), 100 * high / (high + typical)


def _prediction_interval(fit: _Fit, k: int, model: str) -> tuple[float, float] | None:
    """Where the effect of a new study is expected: estimate ± t(k-2) √(τ² + SE²) (Higgins JPT,
    Thompson SG, Spiegelhalter DJ. J R Stat Soc A 2009;172:137-159), as RevMan; metafor uses z
    instead. SE is the one reported (HKSJ's under HKSJ). Random effects with k >= 3 only: a
    fixed-effect model assumes there is no spread to predict."""
    if model == "fixed" or k < 3:
        return None
    half = float(_stats().t.ppf(1 - (1 - LEVEL) / 2, k - 2)) * math.sqrt(fit.tau2 + fit.se**2)
    return fit.estimate - half, fit.estimate + half


def _single_study(
    y: np.ndarray, v: np.ndarray, model: str, method: str, names: tuple[str, ...]
) -> PoolResult:
    """One study: its own estimate and normal CI, and no heterogeneity to speak of."""
    estimate, se = float(y[0]), float(math.sqrt(v[0]))
    statistic, p, crit = _test(estimate, se, None)
    return PoolResult(
        model=model,
        method=method,
        hksj=False,
        k=1,
        estimate=estimate,
        se=se,
        ci_low=estimate - crit * se,
        ci_high=estimate + crit * se,
        distribution="z",
        statistic=statistic,
        df=None,
        p=p,
        tau2=0.0,
        tau=0.0,
        i2=0.0,
        i2_ci=(0.0, 0.0),
        h2=1.0,
        q=0.0,
        q_df=0,
        q_p=1.0,
        prediction_interval=None,
        weights=(100.0,),
        labels=names,
    )


def _effects(yi: Sequence[float], vi: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    y, v = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    if y.ndim != 1 or y.shape != v.shape or len(y) == 0:
        raise ValueError("yi and vi must be two lists of the same, non-zero length")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        raise ValueError("effects must be finite and their variances positive")
    return y, v


def _method(
    model: str,
    method: str | None,
    hksj: bool,
    counts: Sequence[BinaryCounts] | None,
    measure: str | None,
    k: int,
) -> str:
    """The method, checked against the model and what it needs."""
    if model not in DEFAULT_METHOD:
        raise ValueError(f"model must be 'fixed' or 'random', not {model!r}")
    method = method or DEFAULT_METHOD[model]
    allowed = FIXED_METHODS if model == "fixed" else RANDOM_METHODS
    if method not in allowed:
        raise ValueError(f"a {model} model takes method {' or '.join(allowed)}, not {method!r}")
    if hksj and model != "random":
        raise ValueError("the HKSJ adjustment is for random-effects models")
    if method == "MH":
        if counts is None or len(counts) != k:
            raise ValueError("Mantel-Haenszel needs each study's counts, in the order of yi")
        if measure is None or measure.upper() not in ("RR", "OR", "RD"):
            raise ValueError("Mantel-Haenszel needs the measure: 'RR', 'OR' or 'RD'")
    return method


@dataclass(frozen=True)
class SubgroupResult:
    """Each subgroup pooled on its own (in order of first appearance), all studies pooled
    together, and the test for subgroup differences."""

    subgroups: dict[str, PoolResult]
    overall: PoolResult
    q_between: float
    q_between_df: int
    q_between_p: float


def _pool_some(indices, yi, vi, names, counts, **options) -> PoolResult:
    """pool() on the studies at `indices` (a subgroup, or all but one)."""
    return pool(
        [yi[i] for i in indices],
        [vi[i] for i in indices],
        labels=[names[i] for i in indices],
        counts=None if counts is None else [counts[i] for i in indices],
        **options,
    )


def subgroups(
    yi: Sequence[float],
    vi: Sequence[float],
    groups: Sequence[str],
    *,
    model: str = "fixed",
    method: str | None = None,
    hksj: bool = False,
    labels: Sequence[str] | None = None,
    counts: Sequence[BinaryCounts] | None = None,
    measure: str | None = None,
) -> SubgroupResult:
    """Pool each subgroup as pool() would, each with its own τ² (as RevMan). The test for
    subgroup differences is RevMan's: Cochran's Q of the subgroup estimates about their
    fixed-effect mean, weighted by 1/SE², on (subgroups - 1) df (Borenstein M et al.
    Introduction to Meta-Analysis. Wiley 2009, ch. 19)."""
    if len(groups) != len(yi):
        raise ValueError(f"{len(groups)} subgroup names for {len(yi)} studies")
    names = study_labels(labels, len(yi))
    order = list(dict.fromkeys(groups))
    if len(order) < 2:
        raise ValueError("a test for subgroup differences needs at least two subgroups")
    options = {"model": model, "method": method, "hksj": hksj, "measure": measure}
    pooled = {}
    for group in order:
        members = [i for i, g in enumerate(groups) if g == group]
        pooled[group] = _pool_some(members, yi, vi, names, counts, **options)
    estimates = np.array([r.estimate for r in pooled.values()])
    variances = np.array([r.se**2 for r in pooled.values()])
    between = estimators.inverse_variance(estimates, variances).q
    df = len(order) - 1
    overall = pool(yi, vi, labels=names, counts=counts, **options)
    return SubgroupResult(pooled, overall, between, df, float(_stats().chi2.sf(between, df)))


@dataclass(frozen=True)
class LeftOut:
    """The pooled result without one study."""

    label: str
    result: PoolResult


def leave_one_out(
    yi: Sequence[float],
    vi: Sequence[float],
    *,
    model: str = "fixed",
    method: str | None = None,
    hksj: bool = False,
    labels: Sequence[str] | None = None,
    counts: Sequence[BinaryCounts] | None = None,
    measure: str | None = None,
) -> list[LeftOut]:
    """k results, the i-th pooling, as pool() would, every study but the i-th."""
    k = len(yi)
    if k < 2:
        raise ValueError("leave-one-out needs at least two studies")
    names = study_labels(labels, k)
    options = {"model": model, "method": method, "hksj": hksj, "measure": measure}
    results = []
    for left in range(k):
        kept = [i for i in range(k) if i != left]
        results.append(LeftOut(names[left], _pool_some(kept, yi, vi, names, counts, **options)))
    return results
