"""The estimators pool() puts together: the inverse-variance combination and the between-study
variance τ² (DerSimonian-Laird and Paule-Mandel from statsmodels, REML by hand), the Q-profile
interval of τ² that gives I²'s interval, and the Mantel-Haenszel estimates (the odds ratio from
statsmodels, the risk ratio's variance and the risk difference by hand).

Written by hand is only what statsmodels 0.14 lacks; each says where its formula comes from."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from meta_analysis.effects import BinaryCounts

TAU2_METHODS = ("DL", "PM", "REML")
_STATSMODELS_METHOD = {"DL": "dl", "PM": "iterated"}


def _scipy():
    """SciPy, loaded when an analysis runs, not with
    the URLs: the web process's import path stays free of SciPy (tests/test_architecture.py)."""
    import scipy.optimize
    import scipy.stats

    return scipy


def _statsmodels():
    """What statsmodels gives here, loaded when an analysis runs (as _scipy)."""
    from types import SimpleNamespace

    from statsmodels.stats.contingency_tables import StratifiedTable
    from statsmodels.stats.meta_analysis import combine_effects

    return SimpleNamespace(combine_effects=combine_effects, StratifiedTable=StratifiedTable)


@dataclass(frozen=True)
class InverseVariance:
    """The inverse-variance weighted mean of effects with variances vi, and Cochran's Q. Called
    with vi + τ², it is the random-effects estimate for that τ²."""

    estimate: float
    se: float
    # Hartung-Knapp-Sidik-Jonkman: the SE with the residual scale estimated (t with k-1 df).
    hksj_se: float
    q: float


def inverse_variance(yi: np.ndarray, vi: np.ndarray) -> InverseVariance:
    """statsmodels' combine_effects, fixed-effect part. Its `var_hksj_fe` is
    Σ wᵢ(yᵢ - μ)² / ((k-1) Σ wᵢ), exactly metafor's test="knha" variance (no truncation of the
    scale at 1), so with vi + τ² it gives the HKSJ SE of the random-effects estimate."""
    # Centred first, as metafor does: Q is computed as Σwy² - (Σwy)²/Σw, which loses digits
    # when the effects are large and alike (mean differences in days, say).
    shift = float(np.mean(yi))
    # combine_effects also computes I² as 1 - 1/H², dividing by zero when Q is 0; unused here.
    with np.errstate(divide="ignore", invalid="ignore"):
        result = _statsmodels().combine_effects(yi - shift, vi, method_re="dl")
    return InverseVariance(
        estimate=float(result.mean_effect_fe) + shift,
        se=float(result.sd_eff_w_fe),
        hksj_se=float(np.sqrt(result.var_hksj_fe)),
        q=max(0.0, float(result.q)),
    )


def tau2(yi: np.ndarray, vi: np.ndarray, method: str) -> float:
    """The between-study variance by DerSimonian-Laird, Paule-Mandel or REML (at least 0)."""
    if method == "REML":
        return tau2_reml(yi, vi)
    shift = float(np.mean(yi))
    with np.errstate(divide="ignore", invalid="ignore"):
        result = _statsmodels().combine_effects(
            yi - shift, vi, method_re=_STATSMODELS_METHOD[method]
        )
    # statsmodels leaves a negative DL estimate (Q < k - 1) as it is; metafor, RevMan and
    # DerSimonian & Laird (1986) set it to 0.
    return max(0.0, float(result.tau2))


def tau2_reml(
    yi: np.ndarray, vi: np.ndarray, *, tolerance: float = 1e-10, max_iterations: int = 500
) -> float:
    """REML τ² by Fisher scoring, as metafor's rma.uni does it (Viechtbauer W. Bias and
    efficiency of meta-analytic variance estimators in the random-effects model. J Educ Behav
    Stat 2005;30(3):261-293): start at Hedges' estimator (or 0) and step by
    (Y'PPY - tr P) / tr(PP). statsmodels has no REML for combine_effects.

    Where metafor halves a step that would make τ² negative, this keeps the interval the
    maximum is known to lie in (the score is positive below it, negative above) and bisects it
    when a Fisher step would leave it or is not half the step before (the safeguarded Newton of
    Numerical Recipes' rtsafe). Plain Fisher scoring can swing across the maximum for a long
    time (yi 0, 1, 1, 1, 1 with vi 1/8, 1, 1, 1, 1 does, and metafor stops with "did not
    converge"); where it converges, the answer is the same."""
    k = len(yi)
    centred = yi - yi.mean()
    tau2 = max(0.0, (np.sum(centred**2) - np.sum(vi) * (k - 1) / k) / (k - 1))
    low, high, last = 0.0, math.inf, math.inf
    for _ in range(max_iterations):
        step = _fisher_step(yi, vi, tau2)
        if step > 0:
            low = tau2
        else:
            high = tau2
        new = tau2 + step
        if high < math.inf and (not low < new < high or abs(step) > last / 2):
            new = (low + high) / 2
        # Relative: τ² of risk differences can be 1e-6 and of mean differences in days 1e3.
        if abs(new - tau2) <= tolerance * max(tau2, tolerance):
            # Steps toward a maximum at τ² = 0 only halve the distance to it: snap it there.
            return float(new) if new > tolerance else 0.0
        last = abs(new - tau2)
        tau2 = new
    raise ArithmeticError("REML estimation of tau² did not converge")


def _fisher_step(yi: np.ndarray, vi: np.ndarray, tau2: float) -> float:
    """(Y'PPY - tr P) / tr(PP), P = W - W1(1'W1)⁻¹1'W and W = diag(1/(vᵢ + τ²)): the REML score
    over its expected information, so of the score's sign. P Y is the vector wᵢ(yᵢ - μ), so
    Y'PPY is its squared length; the traces are those of the k×k matrix P, written out for a
    model with an intercept only."""
    w = 1 / (vi + tau2)
    total, squares = w.sum(), (w**2).sum()
    residual = yi - (w @ yi) / total
    trace_p = total - squares / total
    trace_pp = squares - 2 * (w**3).sum() / total + (squares / total) ** 2
    return float((np.sum((w * residual) ** 2) - trace_p) / trace_pp)


def generalised_q(yi: np.ndarray, vi: np.ndarray, tau2: float) -> float:
    """Q with weights 1/(vᵢ + τ²) about their own weighted mean; Cochran's Q at τ² = 0. It falls
    as τ² grows."""
    w = 1 / (vi + tau2)
    mean = (w @ yi) / w.sum()
    return float(w @ (yi - mean) ** 2)


def tau2_interval(yi: np.ndarray, vi: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The Q-profile confidence interval of τ² (Viechtbauer W. Confidence intervals for the
    amount of heterogeneity in meta-analysis. Stat Med 2007;26:37-52), as metafor's confint():
    the τ² at which the generalised Q equals the upper and the lower chi² quantile with k - 1
    df; a bound is 0 when Q at τ² = 0 is already below its quantile."""
    df = len(yi) - 1
    tail = (1 - level) / 2
    low = _q_profile_root(yi, vi, _scipy().stats.chi2.ppf(1 - tail, df))
    high = _q_profile_root(yi, vi, _scipy().stats.chi2.ppf(tail, df))
    return low, high


def _q_profile_root(yi: np.ndarray, vi: np.ndarray, target: float) -> float:
    if generalised_q(yi, vi, 0.0) <= target:
        return 0.0
    high = 1.0
    while generalised_q(yi, vi, high) > target:
        high *= 2
    return float(
        _scipy().optimize.brentq(lambda t: generalised_q(yi, vi, t) - target, 0.0, high, xtol=1e-14)
    )


def typical_variance(vi: np.ndarray) -> float:
    """The "typical" within-study variance s² = (k - 1) Σwᵢ / ((Σwᵢ)² - Σwᵢ²), wᵢ = 1/vᵢ
    (Higgins JPT, Thompson SG. Quantifying heterogeneity in a meta-analysis. Stat Med
    2002;21:1539-1558, eq. 9), so that I² = τ² / (τ² + s²): metafor's I² for a random-effects
    model. With the DL τ² it is (Q - df) / Q, RevMan's I²."""
    w = 1 / vi
    return float((len(vi) - 1) * w.sum() / (w.sum() ** 2 - (w**2).sum()))


@dataclass(frozen=True)
class MantelHaenszel:
    """A Mantel-Haenszel estimate (log OR, log RR or RD), its SE and each study's weight."""

    estimate: float
    se: float
    weights: np.ndarray


def mantel_haenszel(counts: Sequence[BinaryCounts], measure: str) -> MantelHaenszel:
    """The Mantel-Haenszel pooled OR, RR or RD of 2x2 tables, on the raw counts (the method needs
    no continuity correction; metafor's rma.mh and RevMan use none for the pooled estimate)."""
    tables = np.array([c.table() for c in counts], dtype=float)
    a, b = tables[:, 0, 0], tables[:, 0, 1]
    c, d = tables[:, 1, 0], tables[:, 1, 1]
    n1, n2 = a + b, c + d
    n = n1 + n2
    if measure == "OR":
        if not (np.sum(a * d / n) > 0 and np.sum(b * c / n) > 0):
            raise ValueError("the Mantel-Haenszel odds ratio is undefined for these tables")
        # Robins, Breslow & Greenland (1986) SE, as metafor's rma.mh and RevMan.
        stratified = _statsmodels().StratifiedTable(list(tables))
        return MantelHaenszel(
            float(stratified.logodds_pooled), float(stratified.logodds_pooled_se), b * c / n
        )
    if measure == "RR":
        r, s = np.sum(a * n2 / n), np.sum(c * n1 / n)
        if not (r > 0 and s > 0):
            raise ValueError("the Mantel-Haenszel risk ratio needs events in both arms")
        log_rr = float(np.log(_statsmodels().StratifiedTable(list(tables)).riskratio_pooled))
        # statsmodels gives the pooled RR only. Its variance: Greenland S, Robins JM.
        # Estimation of a common effect parameter from sparse follow-up data. Biometrics
        # 1985;41:55-68; as metafor's rma.mh and RevMan.
        variance = np.sum((n1 * n2 * (a + c) - a * c * n) / n**2) / (r * s)
        return MantelHaenszel(log_rr, float(np.sqrt(variance)), c * n1 / n)
    return _risk_difference(a, c, n1, n2)


def _risk_difference(
    a: np.ndarray, c: np.ndarray, n1: np.ndarray, n2: np.ndarray
) -> MantelHaenszel:
    """The MH risk difference, with the variance of Sato T, Greenland S, Robins JM. On the
    variance estimator for the Mantel-Haenszel risk difference. Biometrics 1989;45:1323-1324,
    consistent in sparse data and in large strata; metafor's rma.mh uses it. RevMan 5 uses the
    older Greenland & Robins (1985) one, which gives a slightly different SE."""
    n = n1 + n2
    weights = n1 * n2 / n
    total = weights.sum()
    rd = float(np.sum((a * n2 - c * n1) / n) / total)
    p = np.sum((c * n1**2 - a * n2**2 + n1 * n2 * (n2 - n1) / 2) / n**2)
    q = np.sum((a * (n2 - c) + c * (n1 - a)) / n) / 2
    return MantelHaenszel(rd, float(np.sqrt((rd * p + q) / total**2)), weights)
