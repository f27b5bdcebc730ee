"""The statistics of meta-analysis against published numbers: metafor's printed output for the
BCG vaccine trials (dat.bcg) and Normand's (1999) tables, to the 4 decimals they print. Where no
printed number exists, the test computes it by another route (a closed form, a likelihood
maximised by scipy, a hand calculation); no expected number here comes from this code. Plain
Python: no database."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy import stats

from meta_analysis import estimators
from meta_analysis.effects import (
    BinaryCounts,
    binary_effect,
    binary_effects,
    mean_difference,
    mean_sd_from_median_iqr,
    ratio_from_ci,
    standardised_mean_difference,
)
from meta_analysis.pooling import leave_one_out, pool, subgroups

# dat.bcg, (tpos, tneg, cpos, cneg) per trial, as printed in metafor's README
# (https://github.com/wviechtb/metafor/blob/master/README.md, "Example").
BCG = [
    (4, 119, 11, 128),
    (6, 300, 29, 274),
    (3, 228, 11, 209),
    (62, 13536, 248, 12619),
    (33, 5036, 47, 5761),
    (180, 1361, 372, 1079),
    (8, 2537, 10, 619),
    (505, 87886, 499, 87892),
    (29, 7470, 45, 7232),
    (17, 1699, 65, 1600),
    (186, 50448, 141, 27197),
    (5, 2493, 3, 2338),
    (27, 16886, 29, 17825),
]
BCG_COUNTS = [BinaryCounts(a, a + b, c, c + d) for a, b, c, d in BCG]


def printed(value: float, expected: float, decimals: int = 4) -> None:
    """value rounds to the number printed with `decimals` decimals."""
    assert abs(value - expected) <= 0.5 * 10**-decimals + 1e-12, (value, expected)


def bcg(measure: str = "RR"):
    return binary_effects(BCG_COUNTS, measure)


# --- effect sizes -------------------------------------------------------------------------


def test_log_risk_ratios_are_metafors_escalc():
    # yi and vi as escalc(measure="RR", ...) prints them in metafor's README.
    effects = bcg()
    printed_yi = [-0.8893, -1.5854, -1.3481, -1.4416, -0.2175, -0.7861, -1.6209]
    printed_yi += [0.0120, -0.4694, -1.3713, -0.3394, 0.4459, -0.0173]
    printed_vi = [0.3256, 0.1946, 0.4154, 0.0200, 0.0512, 0.0069, 0.2230]
    printed_vi += [0.0040, 0.0564, 0.0730, 0.0124, 0.5325, 0.0714]
    for yi, vi, want_yi, want_vi in zip(
        effects.yi, effects.vi, printed_yi, printed_vi, strict=True
    ):
        printed(yi, want_yi)
        printed(vi, want_vi)
    assert effects.left_out == ()


def test_risk_differences_are_normands_table_iii():
    # dat.hine1989 (n1i, n2i, ai, ci): Normand SLT. Stat Med 1999;18:321-359, Table I; the RD
    # in percentage points and its variance are Table III (p. 330), as metafor's test checks
    # them (tests/testthat/test_analysis_example_normand1999.r).
    hine = [(39, 43, 2, 1), (44, 44, 4, 4), (107, 110, 6, 4), (103, 100, 7, 5)]
    hine += [(110, 106, 7, 3), (154, 146, 11, 4)]
    effects = binary_effects([BinaryCounts(a, n1, c, n2) for n1, n2, a, c in hine], "RD")
    want_yi = [2.8026, 0.0000, 1.9711, 1.7961, 3.5334, 4.4031]
    want_vi = [17.7575, 37.5657, 8.1323, 10.8998, 8.0114, 6.1320]
    for yi, vi, w_yi, w_vi in zip(effects.yi, effects.vi, want_yi, want_vi, strict=True):
        printed(100 * yi, w_yi)
        printed(100**2 * vi, w_vi)
    fixed = pool(effects.yi, effects.vi)  # Table VII (p. 349): 2.94 (0.4, 5.5)
    printed(100 * fixed.estimate, 2.94, 2)
    printed(100 * fixed.ci_low, 0.4, 1)
    printed(100 * fixed.ci_high, 5.5, 1)


def test_a_zero_cell_adds_one_half_to_every_cell():
    counts = BinaryCounts(0, 10, 3, 12)  # cells 0, 10, 3, 9 -> 0.5, 10.5, 3.5, 9.5
    rr = binary_effect(counts, "RR")
    assert rr.yi == pytest.approx(math.log((0.5 / 11) / (3.5 / 13)))
    assert rr.vi == pytest.approx(1 / 0.5 - 1 / 11 + 1 / 3.5 - 1 / 13)
    odds = binary_effect(counts, "OR")
    assert odds.yi == pytest.approx(math.log(0.5 * 9.5 / (10.5 * 3.5)))
    assert odds.vi == pytest.approx(1 / 0.5 + 1 / 10.5 + 1 / 3.5 + 1 / 9.5)
    rd = binary_effect(counts, "rd")  # extraction's lower-case codes are accepted
    assert rd.yi == pytest.approx(0.5 / 11 - 3.5 / 13)
    assert rd.vi == pytest.approx(0.5 * 10.5 / 11**3 + 3.5 * 9.5 / 13**3)
    # No zero cell, no correction.
    assert binary_effect(BinaryCounts(1, 10, 3, 12), "OR").yi == pytest.approx(
        math.log(1 * 9 / (9 * 3))
    )


def test_double_zero_studies_are_left_out_of_ratios_and_kept_for_rd():
    tables = [BinaryCounts(0, 20, 0, 25), BinaryCounts(3, 20, 6, 25), BinaryCounts(8, 8, 9, 9)]
    for measure in ("RR", "OR"):
        effects = binary_effects(tables, measure, labels=["none", "some", "all"])
        assert effects.labels == ("some",)
        assert effects.counts == (tables[1],)
        assert effects.left_out == (
            ("none", "no events in either arm"),
            ("all", "every participant had the event in both arms"),
        )
    rd = binary_effects(tables, "RD")
    assert len(rd.yi) == 3 and rd.left_out == ()
    assert rd.yi[0] == pytest.approx(0.5 / 21 - 0.5 / 26)
    assert rd.vi[0] > 0


def test_ratio_from_its_confidence_interval():
    effect = ratio_from_ci(0.7, 0.5, 0.98)
    assert effect.yi == pytest.approx(math.log(0.7))
    z = NormalDist().inv_cdf(0.975)
    assert math.sqrt(effect.vi) == pytest.approx((math.log(0.98) - math.log(0.5)) / (2 * z))
    with pytest.raises(ValueError):
        ratio_from_ci(0.4, 0.5, 0.98)


def test_mean_differences_are_normands_table_viii_and_ix():
    # dat.normand1999 (n1i, m1i, sd1i, n2i, m2i, sd2i): Normand 1999, with the pooled SD in
    # both arms as in Table VIII (p. 351); pooled results are Table IX (p. 352), as metafor's
    # test checks them (tests/testthat/test_analysis_example_normand1999.r).
    normand = [
        (155, 55, 47, 156, 75, 64),
        (31, 27, 7, 32, 29, 4),
        (75, 64, 17, 71, 119, 29),
        (18, 66, 20, 18, 137, 48),
        (8, 14, 8, 13, 18, 11),
        (57, 19, 7, 52, 18, 4),
        (34, 52, 45, 33, 41, 34),
        (110, 21, 16, 183, 31, 27),
        (60, 30, 27, 52, 23, 20),
    ]
    effects = []
    for n1, m1, s1, n2, m2, s2 in normand:
        pooled_sd = math.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2))
        effects.append(mean_difference(m1, pooled_sd, n1, m2, pooled_sd, n2))
    yi, vi = [e.yi for e in effects], [e.vi for e in effects]
    assert yi == [-20, -2, -55, -71, -4, 1, 11, -10, 7]
    table_viii = [40.59, 2.05, 15.28, 150.22, 20.19, 1.22, 95.38, 8.03, 20.69]
    for got, want in zip(vi, table_viii, strict=True):
        printed(got, want, 2)
    for options, (estimate, low, high, tau2) in [
        ({}, (-3.49, -5.03, -1.96, 0.0)),
        ({"model": "random", "method": "DL"}, (-14.10, -24.45, -3.75, 218.72)),
        ({"model": "random", "method": "REML"}, (-15.12, -32.67, 2.43, 685.20)),
    ]:
        result = pool(yi, vi, **options)
        for got, want in zip(
            (result.estimate, result.ci_low, result.ci_high, result.tau2),
            (estimate, low, high, tau2),
            strict=True,
        ):
            printed(got, want, 2)


def test_hedges_g_is_metafors_smd():
    # Five studies and metafor's printed rma(measure="SMD", method="REML") output:
    # https://pastebin.com/k5WyEQgw (Q(df = 4) = 11.8763, tau^2 0.1951, I^2 65.61%, H^2 2.91).
    rows = [
        (0.78, 0.05, 20, 0.82, 0.07, 25),
        (0.74, 0.08, 30, 0.72, 0.05, 19),
        (0.75, 0.12, 20, 0.74, 0.09, 29),
        (0.62, 0.05, 24, 0.66, 0.03, 24),
        (0.68, 0.03, 10, 0.68, 0.02, 10),
    ]
    effects = [standardised_mean_difference(*row) for row in rows]
    result = pool([e.yi for e in effects], [e.vi for e in effects], model="random")
    printed(result.q, 11.8763)
    printed(result.tau2, 0.1951)
    printed(result.i2, 65.61, 2)
    printed(result.h2, 2.91, 2)
    # metafor's tests/testthat/test_misc_rma_uni.r: dat.normand1999's first four studies, SMD,
    # REML tau^2 1.0090.
    normand = [(155, 55, 47, 156, 75, 64), (31, 27, 7, 32, 29, 4)]
    normand += [(75, 64, 17, 71, 119, 29), (18, 66, 20, 18, 137, 48)]
    effects = [
        standardised_mean_difference(m1, s1, n1, m2, s2, n2) for n1, m1, s1, n2, m2, s2 in normand
    ]
    printed(pool([e.yi for e in effects], [e.vi for e in effects], model="random").tau2, 1.0090)
    # The exact correction, against the textbook approximation 1 - 3/(4m - 1) (Hedges 1981):
    # close, and not the same.
    g = standardised_mean_difference(1.0, 1.0, 5, 0.0, 1.0, 5).yi
    assert g == pytest.approx(1 - 3 / (4 * 8 - 1), abs=2e-3)
    assert g != pytest.approx(1 - 3 / (4 * 8 - 1), abs=1e-5)


def test_median_and_iqr_to_mean_and_sd():
    mean, sd = mean_sd_from_median_iqr(10, 6, 16, 50)
    assert mean == pytest.approx(32 / 3)
    assert sd == pytest.approx(10 / (2 * stats.norm.ppf((0.75 * 50 - 0.125) / 50.25)))
    # For a large sample the IQR of a normal distribution is 1.349 SD.
    assert mean_sd_from_median_iqr(0, -1, 1, 10**7)[1] == pytest.approx(2 / 1.34898, rel=1e-4)


# --- pooling: dat.bcg, log risk ratios -----------------------------------------------------
# metafor's values compared with Stata's metan in metafor's own tests:
# https://github.com/wviechtb/metafor/blob/master/tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r
# and .../test_misc_metan_vs_rma.mh_with_dat.bcg.r.


def test_fixed_effect_inverse_variance():
    result = pool(bcg().yi, bcg().vi)
    for got, want in [
        (result.estimate, -0.4303),
        (result.ci_low, -0.5097),
        (result.ci_high, -0.3509),
        (result.statistic, -10.6247),
        (result.q, 152.2330),
    ]:
        printed(got, want)
    ratio = result.as_ratio()
    printed(ratio.estimate, 0.6503)
    printed(ratio.ci_low, 0.6007)
    printed(ratio.ci_high, 0.7040)
    assert result.tau2 == 0 and result.prediction_interval is None


def test_dersimonian_laird():
    result = pool(bcg().yi, bcg().vi, model="random", method="DL")
    for got, want in [
        (result.estimate, -0.7141),
        (result.ci_low, -1.0644),
        (result.ci_high, -0.3638),
        (result.statistic, -3.9952),
        (result.tau2, 0.3088),
        (result.i2, 92.1173),
    ]:
        printed(got, want)
    printed(result.as_ratio().estimate, 0.4896)
    # The closed form (DerSimonian & Laird 1986), by hand.
    y, v = np.array(bcg().yi), np.array(bcg().vi)
    w = 1 / v
    q = np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2)
    assert result.tau2 == pytest.approx((q - 12) / (w.sum() - (w**2).sum() / w.sum()))
    assert result.i2 == pytest.approx(100 * (q - 12) / q)


def test_reml():
    # rma(yi, vi, data=dat), printed in the RoBMA vignette "Bayesian Meta-Analysis"
    # (https://fbartos.github.io/RoBMA/articles/02-bayesian-meta-analysis.html).
    result = pool(bcg().yi, bcg().vi, model="random", method="REML")
    for got, want in [
        (result.estimate, -0.7145),
        (result.se, 0.1798),
        (result.statistic, -3.9744),
        (result.ci_low, -1.0669),
        (result.ci_high, -0.3622),
        (result.tau2, 0.3132),
        (result.tau, 0.5597),
        (result.q, 152.2330),
    ]:
        printed(got, want)
    printed(result.i2, 92.22, 2)
    printed(result.h2, 12.86, 2)
    assert result.q_df == 12 and result.distribution == "z" and result.df is None


def test_reml_with_knapp_hartung():
    # rma(yi, vi, data=dat, test="knha"), printed in metafor's README.
    result = pool(bcg().yi, bcg().vi, model="random", method="REML", hksj=True)
    for got, want in [
        (result.estimate, -0.7145),
        (result.se, 0.1808),
        (result.statistic, -3.9522),
        (result.p, 0.0019),
        (result.ci_low, -1.1084),
        (result.ci_high, -0.3206),
    ]:
        printed(got, want)
    assert result.distribution == "t" and result.df == 12


def test_paule_mandel():
    # metafor's iterated DL (which, converged, is PM, says rma.uni's source) gives 0.3181:
    # tests/testthat/test_misc_rma_uni.r. And by definition the generalised Q is then k - 1.
    result = pool(bcg().yi, bcg().vi, model="random", method="PM")
    printed(result.tau2, 0.3181)
    y, v = np.array(bcg().yi), np.array(bcg().vi)
    w = 1 / (v + result.tau2)
    assert np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2) == pytest.approx(12, abs=1e-3)


def test_i2_interval_is_the_q_profile():
    # confint(rma(...)) in the RoBMA vignette above and metafor's tests/testthat/
    # test_misc_confint.r: tau^2 0.1197 to 1.1115, I^2 81.9177 to 97.6781. metafor finds the
    # bounds with uniroot at a tolerance of 1.2e-4 in tau², which moves I²'s lower bound in
    # the third decimal; so that bound is checked against the definition instead.
    y, v = np.array(bcg().yi), np.array(bcg().vi)
    low, high = estimators.tau2_interval(y, v)
    printed(low, 0.1197)
    printed(high, 1.1115)
    assert estimators.generalised_q(y, v, low) == pytest.approx(stats.chi2.ppf(0.975, 12))
    assert estimators.generalised_q(y, v, high) == pytest.approx(stats.chi2.ppf(0.025, 12))
    result = pool(bcg().yi, bcg().vi, model="random")
    assert result.i2_ci[0] == pytest.approx(81.9177, abs=5e-3)
    printed(result.i2_ci[1], 97.6781)


def test_prediction_interval_is_t_with_k_minus_2_df():
    # Higgins, Thompson & Spiegelhalter 2009 with metafor's printed REML estimate, SE and tau²
    # (rounded, hence the tolerance).
    result = pool(bcg().yi, bcg().vi, model="random")
    half = stats.t.ppf(0.975, 11) * math.sqrt(0.3132 + 0.1798**2)
    assert result.prediction_interval == pytest.approx((-0.7145 - half, -0.7145 + half), abs=3e-4)


def test_mantel_haenszel():
    expected = {
        "RR": (-0.4537, -0.5308, -0.3766, -11.5338, 152.5676),
        "OR": (-0.4734, -0.5538, -0.3930, -11.5444, 163.9426),
        # The SE of Sato, Greenland & Robins (1989), as metafor (Stata's metan: z = 11.56).
        "RD": (-0.0033, -0.0039, -0.0027, -11.4708, 386.7759),
    }
    for measure, numbers in expected.items():
        effects = bcg(measure)
        result = pool(effects.yi, effects.vi, method="MH", counts=effects.counts, measure=measure)
        got = (result.estimate, result.ci_low, result.ci_high, result.statistic, result.q)
        for value, want in zip(got, numbers, strict=True):
            printed(value, want)
    rr = pool(bcg().yi, bcg().vi, method="MH", counts=bcg().counts, measure="RR").as_ratio()
    printed(rr.estimate, 0.6353)
    printed(rr.ci_low, 0.5881)
    printed(rr.ci_high, 0.6862)


def test_mantel_haenszel_pools_the_raw_counts():
    # By hand: RR_MH = Σ a·n2/N / Σ c·n1/N = (0 + 2·11/21) / (3·10/22 + 4·10/21); the zero cell
    # gets no 0.5 in the pooled estimate (only in the study's own yi, for Q).
    tables = [BinaryCounts(0, 10, 3, 12), BinaryCounts(2, 10, 4, 11)]
    effects = binary_effects(tables, "RR")
    result = pool(effects.yi, effects.vi, method="MH", counts=effects.counts, measure="RR")
    assert result.estimate == pytest.approx(math.log((2 * 11 / 21) / (3 * 10 / 22 + 4 * 10 / 21)))
    shares = np.array([3 * 10 / 22, 4 * 10 / 21])  # MH weights of a risk ratio: c·n1/N
    assert result.weights == pytest.approx(tuple(100 * shares / shares.sum()))


# --- edge cases, subgroups, leave-one-out --------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"model": "random", "method": "DL"},
        {"model": "random", "method": "REML", "hksj": True},
        {"method": "MH", "counts": [BinaryCounts(3, 20, 6, 25)], "measure": "OR"},
    ],
)
def test_a_single_study_is_its_own_estimate(options):
    result = pool([-0.5], [0.04], labels=["Only"], **options)
    assert (result.estimate, result.se, result.k) == (-0.5, 0.2, 1)
    assert result.ci_low == pytest.approx(-0.5 - 1.959964 * 0.2)
    assert (result.tau2, result.i2, result.q, result.prediction_interval) == (0, 0, 0, None)
    assert result.weights == (100.0,)


def test_identical_studies_have_no_heterogeneity():
    result = pool([0.3] * 4, [0.1] * 4, model="random", hksj=True)
    assert (result.estimate, result.tau2, result.i2, result.i2_ci) == (
        pytest.approx(0.3),
        0,
        0,
        (0, 0),
    )


def test_options_that_do_not_go_together():
    with pytest.raises(ValueError, match="counts"):
        pool([0.1, 0.2], [0.1, 0.1], method="MH", measure="RR")
    with pytest.raises(ValueError, match="HKSJ"):
        pool([0.1, 0.2], [0.1, 0.1], hksj=True)
    with pytest.raises(ValueError, match="method"):
        pool([0.1, 0.2], [0.1, 0.1], model="random", method="IV")
    with pytest.raises(ValueError, match="variances"):
        pool([0.1, 0.2], [0.1, 0.0])


def test_subgroup_differences_by_hand():
    # A: yi 0 and 1, vi 1 and 0.25 -> weights 1 and 4, estimate 0.8, variance 1/5.
    # B: one study, 2 with vi 0.3. Their fixed-effect mean: (5 * 0.8 + 2 / 0.3) / (5 + 1 / 0.3)
    # = 1.28; Q = 5 * 0.48² + (1 / 0.3) * 0.72² = 1.152 + 1.728 = 2.88 on 1 df, whose p is
    # erfc(√(2.88 / 2)).
    result = subgroups([0, 1, 2], [1, 0.25, 0.3], ["A", "A", "B"], labels=["a1", "a2", "b1"])
    assert list(result.subgroups) == ["A", "B"]
    assert result.subgroups["A"].estimate == pytest.approx(0.8)
    assert result.subgroups["B"].labels == ("b1",)
    assert result.q_between == pytest.approx(2.88)
    assert result.q_between_df == 1
    assert result.q_between_p == pytest.approx(math.erfc(math.sqrt(2.88 / 2)))
    assert result.overall.k == 3


def test_subgroups_of_bcg_by_allocation():
    # dat.bcg's alloc: each subgroup pooled on its own (here REML), and the subgroups pooled.
    alloc = ["random"] * 4 + ["alternate"] * 2 + ["random"] * 3 + ["systematic"] * 4
    result = subgroups(bcg().yi, bcg().vi, alloc, model="random")
    assert [r.k for r in result.subgroups.values()] == [7, 2, 4]
    estimates = np.array([r.estimate for r in result.subgroups.values()])
    w = 1 / np.array([r.se**2 for r in result.subgroups.values()])
    mean = np.sum(w * estimates) / w.sum()
    assert result.q_between == pytest.approx(np.sum(w * (estimates - mean) ** 2))
    assert result.q_between_df == 2


def test_leave_one_out_pools_k_minus_1_each():
    labels = [f"trial {i + 1}" for i in range(13)]
    results = leave_one_out(bcg().yi, bcg().vi, model="random", method="DL", labels=labels)
    assert [r.label for r in results] == labels
    for i, left in enumerate(results):
        assert left.result.k == 12
        assert labels[i] not in left.result.labels
        kept = [j for j in range(13) if j != i]
        alone = pool(
            [bcg().yi[j] for j in kept], [bcg().vi[j] for j in kept], model="random", method="DL"
        )
        assert left.result.estimate == pytest.approx(alone.estimate)
    # Without TPT Madras, the largest trial with no effect, the pooled effect is stronger.
    assert results[7].result.estimate < pool(bcg().yi, bcg().vi, model="random").estimate


def test_leave_one_out_with_mantel_haenszel_takes_the_counts_along():
    effects = bcg("OR")
    results = leave_one_out(
        effects.yi, effects.vi, method="MH", counts=effects.counts, measure="OR"
    )
    assert len(results) == 13 and all(r.result.k == 12 for r in results)


# --- properties -----------------------------------------------------------------------------

STUDIES = st.integers(min_value=2, max_value=12).flatmap(
    lambda k: st.tuples(
        st.lists(st.floats(-3, 3), min_size=k, max_size=k),
        st.lists(st.floats(0.001, 2), min_size=k, max_size=k),
    )
)


@given(STUDIES, st.sampled_from(["IV", "DL", "PM", "REML"]))
def test_weights_are_percentages_summing_to_100(studies, method):
    yi, vi = studies
    model = "fixed" if method == "IV" else "random"
    result = pool(yi, vi, model=model, method=method)
    assert sum(result.weights) == pytest.approx(100)
    assert all(w > 0 for w in result.weights)
    assert 0 <= result.i2 <= 100 and 0 <= result.i2_ci[0] <= result.i2_ci[1] <= 100
    assert result.ci_low <= result.estimate <= result.ci_high


@given(STUDIES)
@example(([0.0, 1.0, 1.0, 1.0, 1.0], [0.125, 1.0, 1.0, 1.0, 1.0]))  # plain Fisher scoring swings
@example(([0.0, 0.0, 0.0, 0.0, 0.0, 2.0], [1, 1, 1, 1 / 64, 1 / 128, 1 / 4]))  # two maxima
def test_reml_is_a_maximum_of_the_restricted_likelihood(studies):
    """The Fisher-scoring REML against the restricted log-likelihood itself, written out here
    (Viechtbauer 2005, eq. 9): no higher a little to either side (within τ² >= 0)."""
    y, v = np.array(studies[0]), np.array(studies[1])

    def restricted_loglik(tau2: float) -> float:
        w = 1 / (v + tau2)
        mu = np.sum(w * y) / w.sum()
        return -0.5 * (np.sum(np.log(v + tau2)) + np.log(w.sum()) + np.sum(w * (y - mu) ** 2))

    found = estimators.tau2_reml(y, v)
    here = restricted_loglik(found)
    delta = 1e-4 * max(1.0, found)
    for there in (found - delta, found + delta):
        if there >= 0:
            assert restricted_loglik(there) <= here + 1e-12 * max(1.0, abs(here))


@given(STUDIES)
def test_paule_mandel_solves_its_equation(studies):
    """statsmodels' PM: the generalised Q equals k - 1, or τ² = 0 when Q is below it already."""
    y, v = np.array(studies[0]), np.array(studies[1])
    found = estimators.tau2(y, v, "PM")
    q = estimators.generalised_q(y, v, found)
    if found == 0:
        assert q <= len(y) - 1 + 1e-5
    else:
        assert q == pytest.approx(len(y) - 1, abs=1e-4)
