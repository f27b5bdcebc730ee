"""GRADE's rules (grade/rules.py) on analysis runs built by hand: the studies' effects pooled by
meta_analysis.pooling.pool(), so the weights, I², intervals and CI agree with each other, and
each rule tried at and around its thresholds. The expected numbers are worked out by hand in
the comments. Plain Python: no database."""

from __future__ import annotations

import dataclasses
import math

import pytest

from grade.rules import (
    absolute_effect,
    certainty,
    footnote_marks,
    propose_imprecision,
    propose_inconsistency,
    propose_large_effect,
    propose_risk_of_bias,
)
from grade.table import DOWNGRADES, Judgement, SofRow
from meta_analysis.effects import BinaryCounts, binary_effects, ratio_from_ci
from meta_analysis.pooling import pool
from meta_analysis.results import AnalysisRun, StudyRow

# Objective response with ivonescimab: HARMONi-A and HARMONi-2 (events, total per arm).
# Pooled RR (DerSimonian-Laird) 1.35, 95% CI 1.14 to 1.60; control arms 134/361.
HARMONI = [BinaryCounts(81, 161, 57, 161), BinaryCounts(99, 198, 77, 200)]


def _run(measure, yi, vi, *, model="fixed", method=None, rob=None, counts=None) -> AnalysisRun:
    """An analysis run of studies with effects yi (variances vi), pooled; each row has its
    weight, its risk-of-bias judgement ("low" unless given) and its counts if given."""
    names = [f"Study {n + 1}" for n in range(len(yi))]
    pooled = pool(yi, vi, model=model, method=method, labels=names)
    rows = [
        StudyRow(
            study_id=n + 1, name=names[n], yi=yi[n], se=math.sqrt(vi[n]),
            weight=pooled.weights[n], risk_of_bias=rob[n] if rob else "low",
            counts=counts[n] if counts else None,
        )
        for n in range(len(yi))
    ]  # fmt: skip
    return AnalysisRun(
        title="Response", outcome="Response", comparison="A vs B", measure=measure,
        model=model, method=pooled.method, hksj=False, rows=rows, pooled=pooled,
    )  # fmt: skip


def _harmoni() -> AnalysisRun:
    effects = binary_effects(HARMONI, "RR")
    return _run("RR", effects.yi, effects.vi, model="random", method="DL", counts=HARMONI)


def _reported(measure: str, estimate: float, low: float, high: float) -> AnalysisRun:
    """One study known by its reported ratio and 95% CI."""
    effect = ratio_from_ci(estimate, low, high)
    return _run(measure, [effect.yi], [effect.vi])


def _difference(measure: str, estimate: float, low: float, high: float) -> AnalysisRun:
    """One study known by its reported difference and 95% CI (symmetric)."""
    assert estimate - low == pytest.approx(high - estimate)
    return _run(measure, [estimate], [((high - low) / (2 * 1.959964)) ** 2])


def _unpooled() -> AnalysisRun:
    run = _harmoni()
    run.pooled = None  # as when no study can be pooled
    return run


# Risk of bias: shares of the weight. Fixed-effect weights are 1/v, so v = 1/w gives weight w.
def _rob(weights, judgements) -> AnalysisRun:
    yi = [0.3, 0.2, 0.25, 0.1][: len(weights)]
    return _run("RR", yi, [1 / w for w in weights], rob=judgements)


@pytest.mark.parametrize(
    ("weights", "judgements", "expected"),
    [
        ((24, 76), ("high", "low"), 0),  # 24% at high risk
        ((25, 25, 25, 25), ("high", "low", "low", "low"), -1),  # 25% at high risk
        ((49, 51), ("high", "low"), -1),  # 49% at high risk: serious, not very serious
        ((50, 50), ("high", "low"), -2),  # 50% at high risk
        ((24, 25, 51), ("high", "some concerns", "low"), 0),  # 49% high or some concerns
        ((24, 26, 50), ("high", "some concerns", "low"), -1),  # 50% high or some concerns
        ((50, 50), ("some concerns", "some concerns"), -1),  # all with some concerns
        ((50, 50), ("low", "low"), 0),
    ],
)
def test_risk_of_bias_from_the_shares_of_the_weight(weights, judgements, expected):
    assert propose_risk_of_bias(_rob(weights, judgements)).proposed == expected


def test_risk_of_bias_says_the_shares_in_words():
    found = propose_risk_of_bias(_rob((24, 26, 50), ("high", "some concerns", "low")))
    assert found.domain == "risk_of_bias"
    assert found.because == (
        "24% of the weight from results at high risk of bias, 50% at high risk or with some "
        "concerns (half or more at high risk or with some concerns: serious)"
    )


def test_risk_of_bias_of_an_unassessed_study_is_a_persons_call():
    found = propose_risk_of_bias(_rob((10, 40, 50), ("high", "", "low")))
    assert found.proposed is None
    assert "not assessed for Study 2" in found.because
    assert "Study 1" not in found.because
    assert propose_risk_of_bias(_unpooled()).proposed is None


# Inconsistency. Two studies with variance 1, effects 0 and 2: Q = 1 + 1 = 2 on 1 df, so
# I² = (Q - df) / Q = 50%; with variance 0.5, Q = 4 and I² = 75%.
def test_inconsistency_of_a_single_study_cannot_be_judged():
    found = propose_inconsistency(_reported("RR", 1.35, 1.125, 1.62))
    assert (found.proposed, found.because) == (0, "a single study: inconsistency cannot be judged")


def test_inconsistency_at_the_thresholds_of_i2():
    # Q = 1 / (1 - 0.499) for I² = 49.9%: effects 0 and √(2Q) with variance 1.
    below = _run("MD", [0, math.sqrt(2 / 0.501)], [1, 1])
    assert below.pooled.i2 == pytest.approx(49.9)
    assert propose_inconsistency(below).proposed == 0
    assert propose_inconsistency(below).because == "I² = 49.9%, below 50%"
    at_50 = _run("MD", [0, 2], [1, 1])
    assert at_50.pooled.i2 == 50
    assert propose_inconsistency(at_50).proposed == -1
    at_75 = _run("MD", [0, 2], [0.5, 0.5])
    assert at_75.pooled.i2 == 75
    found = propose_inconsistency(at_75)
    assert found.proposed == -1  # no prediction interval under a fixed-effect model
    assert "no prediction interval" in found.because


def test_inconsistency_when_the_effect_may_reverse():
    # log RRs 0.1, 0.6, 1.2 (variance 0.01): I² 97%, CI 0.01 to 1.26, PI -7.3 to 8.6 (log scale).
    run = _run("RR", [0.1, 0.6, 1.2], [0.01] * 3, model="random", method="DL")
    pooled = run.pooled
    assert pooled.i2 > 75 and pooled.ci_low > 0
    assert pooled.prediction_interval[0] < 0 < pooled.prediction_interval[1]
    found = propose_inconsistency(run)
    assert found.proposed == -2
    assert "includes no effect (1) while the CI, 1.01 to 3.51, does not" in found.because
    # The same intervals with I² just below 75%: -1 only.
    run.pooled = dataclasses.replace(pooled, i2=74.9)
    assert propose_inconsistency(run).proposed == -1
    run.pooled = dataclasses.replace(pooled, i2=75.0)
    assert propose_inconsistency(run).proposed == -2


def test_inconsistency_when_the_prediction_interval_or_the_ci_includes_no_effect():
    # Both intervals include 0: the pooled effect is uncertain already, -1.
    both = _run("RR", [-0.5, 0.1, 0.6], [0.01] * 3, model="random", method="DL")
    assert both.pooled.ci_low < 0 < both.pooled.ci_high
    assert propose_inconsistency(both).proposed == -1
    # Six MDs from 2 to 4: I² 98%, but the prediction interval 0.77 to 5.23 stays above 0.
    neither = _run("MD", [2.0, 2.4, 2.8, 3.2, 3.6, 4.0], [0.01] * 6, model="random", method="DL")
    assert neither.pooled.i2 > 75 and neither.pooled.prediction_interval[0] > 0
    found = propose_inconsistency(neither)
    assert found.proposed == -1
    assert "prediction interval is 0.77 to 5.23" in found.because
    assert propose_inconsistency(_unpooled()).proposed is None


# Imprecision: where the pooled CI lies against no effect and the two thresholds.
def test_imprecision_needs_both_thresholds_and_a_pooled_estimate():
    for low, high in ((None, None), (0.8, None), (None, 1.25)):
        found = propose_imprecision(_harmoni(), low, high)
        assert found.proposed is None
        assert found.because == "set the thresholds of an important effect"
    assert propose_imprecision(_unpooled(), 0.8, 1.25).proposed is None


def test_imprecision_of_the_harmoni_trials():
    # RR 1.35, CI 1.14 to 1.60: excludes 1, crosses 1.25.
    found = propose_imprecision(_harmoni(), 0.8, 1.25)
    assert found.proposed == -1
    assert found.because == (
        "the 95% CI, 1.14 to 1.60, excludes no effect (1) and crosses the threshold of an "
        "important effect 1.25"
    )


def test_imprecision_at_the_bounds_of_the_ci():
    run = _harmoni()
    high = run.natural(run.pooled.ci_high)  # 1.60
    # A threshold at the CI's bound is not crossed; just inside, it is.
    assert propose_imprecision(run, 0.8, high).proposed == 0
    assert propose_imprecision(run, 0.8, high - 0.001).proposed == -1
    assert propose_imprecision(run, 0.8, high + 0.001).proposed == 0


@pytest.mark.parametrize(
    ("ci", "expected"),
    [
        ((0.6, 1.5), -2),  # includes 1, crosses 0.8 and 1.25
        ((0.9, 1.4), -1),  # includes 1, crosses 1.25
        ((0.9, 1.1), -1),  # includes 1, crosses neither
        ((1.1, 1.4), -1),  # excludes 1, crosses 1.25
        ((0.7, 0.95), -1),  # excludes 1, crosses 0.8
        ((1.3, 1.6), 0),  # wholly above 1.25: an important effect
        ((1.02, 1.2), 0),  # wholly between 1 and 1.25: a small effect
    ],
)
def test_imprecision_of_a_ratio(ci, expected):
    run = _reported("RR", math.sqrt(ci[0] * ci[1]), *ci)
    assert propose_imprecision(run, 0.8, 1.25).proposed == expected


@pytest.mark.parametrize(
    ("ci", "expected"),
    [((-7, 8), -2), ((-2, 8), -1), ((-2, 2), -1), ((1, 4), 0), ((6, 9), 0), ((3, 7), -1)],
)
def test_imprecision_of_a_difference(ci, expected):
    run = _difference("MD", (ci[0] + ci[1]) / 2, *ci)
    assert propose_imprecision(run, -5, 5).proposed == expected


def test_imprecision_crossing_both_thresholds_but_not_no_effect():
    # Thresholds on the same side of 1 (RR 1.1 and 1.3): the CI 1.05 to 1.4 crosses both but
    # excludes no effect, so -1, not -2.
    run = _reported("RR", math.sqrt(1.05 * 1.4), 1.05, 1.4)
    found = propose_imprecision(run, 1.1, 1.3)
    assert found.proposed == -1
    assert "excludes no effect (1) and crosses both thresholds" in found.because


# A large effect: a ratio above 2 or below 0.5 (+1), above 5 or below 0.2 (+2), CI clear of 1.
@pytest.mark.parametrize(
    ("measure", "reported", "expected"),
    [
        ("RR", (2.0, 1.5, 2.67), 0),  # 2 is not above 2
        ("RR", (2.01, 1.5, 2.69), 1),
        ("OR", (0.45, 0.3, 0.68), 1),
        ("HR", (0.5, 0.3, 0.83), 0),  # 0.5 is not below 0.5
        ("RR", (5.0, 3.0, 8.33), 1),  # 5 is not above 5
        ("RR", (6.0, 3.0, 12.0), 2),
        ("HR", (0.19, 0.1, 0.36), 2),
        ("RR", (2.5, 0.9, 6.94), 0),  # the CI crosses 1
        ("RR", (8.0, 0.8, 80.0), 0),  # the CI crosses 1
    ],
)
def test_large_effect(measure, reported, expected):
    assert propose_large_effect(_reported(measure, *reported)).proposed == expected


def test_large_effect_in_words_and_for_differences():
    found = propose_large_effect(_reported("RR", 2.5, 0.9, 6.94))
    assert found.because == "RR 2.50 (95% CI 0.90 to 6.94): large, but the CI crosses 1"
    found = propose_large_effect(_difference("MD", 10, 6, 14))
    assert found.proposed is None
    assert "not a MD" in found.because
    assert propose_large_effect(_unpooled()).proposed is None


# Certainty: the start, the confirmed levels, the bounds.
def _domains(design="randomised", unconfirmed=(), **levels) -> list[Judgement]:
    domains = [Judgement(d, level=None if d in unconfirmed else 0) for d in DOWNGRADES]
    if design == "non-randomised":
        domains += [Judgement(d) for d in ("large_effect", "dose_response", "confounding")]
    for judgement in domains:
        judgement.level = levels.get(judgement.domain, judgement.level)
    return domains


@pytest.mark.parametrize(
    ("design", "levels", "expected"),
    [
        ("randomised", {}, "high"),
        ("randomised", {"imprecision": -1}, "moderate"),
        ("randomised", {"indirectness": -1, "imprecision": -1}, "low"),
        ("randomised", {"risk_of_bias": -2, "imprecision": -1}, "very low"),
        ("randomised", {"risk_of_bias": -2, "inconsistency": -2}, "very low"),  # floor
        ("non-randomised", {}, "low"),
        ("non-randomised", {"imprecision": -1}, "very low"),
        ("non-randomised", {"large_effect": 1}, "moderate"),
        ("non-randomised", {"large_effect": 2}, "high"),
        ("non-randomised", {"large_effect": 2, "dose_response": 1}, "high"),  # ceiling
        ("non-randomised", {"large_effect": 2, "imprecision": -1}, "moderate"),
    ],
)
def test_certainty(design, levels, expected):
    assert certainty(design, _domains(design, **levels)) == expected


def test_upgrades_count_for_non_randomised_evidence_only():
    domains = _domains("randomised", imprecision=-1) + [Judgement("large_effect", level=1)]
    assert certainty("randomised", domains) == "moderate"


def test_certainty_waits_for_every_downgrade_domain():
    for domain in DOWNGRADES:
        assert certainty("randomised", _domains(unconfirmed=(domain,))) == ""
    missing = [j for j in _domains() if j.domain != "publication_bias"]
    assert certainty("randomised", missing) == ""
    # An unconfirmed upgrade does not hold it back.
    assert certainty("non-randomised", _domains("non-randomised")) == "low"
    with pytest.raises(ValueError, match="unknown design"):
        certainty("observational", _domains())


# Absolute effects per 1,000, from an assumed control risk of 371 per 1,000 (CR 0.371).
def _numbers(found) -> tuple[float, float, float, float]:
    """Per 1,000: the risk with the intervention, the difference and its CI."""
    return (
        found.intervention_per_1000, found.difference_per_1000,
        found.difference_low, found.difference_high,
    )  # fmt: skip


def test_absolute_effect_of_a_risk_ratio():
    # A CI symmetric on the log scale: 1.35 / 1.2 to 1.35 × 1.2.
    found = absolute_effect(_reported("RR", 1.35, 1.125, 1.62), 371)
    # 0.371 × 1.35 = 0.50085; CI 0.371 × 1.125 = 0.417375, 0.371 × 1.62 = 0.60102.
    assert found.control_per_1000 == 371
    assert found.control_source == "assumed by the review team"
    assert _numbers(found) == pytest.approx((500.85, 129.85, 46.375, 230.02), abs=0.01)
    named = absolute_effect(_reported("RR", 1.35, 1.125, 1.62), 371, "a cohort (Smith 2020)")
    assert named.control_source == "a cohort (Smith 2020)"


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        # 1.5 × 0.371 / (1 - 0.371 + 1.5 × 0.371) = 0.5565 / 1.1855 = 0.46942;
        # OR 1.2: 0.4452 / 1.0742 = 0.41445; OR 1.875: 0.695625 / 1.324625 = 0.52515.
        (_reported("OR", 1.5, 1.2, 1.875), (469.42, 98.42, 43.45, 154.15)),
        # 1 - (1 - 0.371)^0.5 = 1 - 0.79310 = 0.20690; HR 0.4: 1 - 0.629^0.4 = 0.16927;
        # HR 0.625: 1 - 0.629^0.625 = 0.25157.
        (_reported("HR", 0.5, 0.4, 0.625), (206.90, -164.10, -201.73, -119.44)),
        # 0.371 + 0.10 = 0.471; CI 0.391 to 0.551.
        (_difference("RD", 0.10, 0.02, 0.18), (471, 100, 20, 180)),
    ],
)
def test_absolute_effect_of_an_odds_ratio_a_hazard_ratio_a_risk_difference(run, expected):
    assert _numbers(absolute_effect(run, 371)) == pytest.approx(expected, abs=0.01)


def test_absolute_effect_from_the_control_arms():
    run = _harmoni()
    found = absolute_effect(run, None)
    # (57 + 77) / (161 + 200) = 134 / 361 = 0.37119; × RR 1.3496 = 0.50098.
    assert found.control_source == "the control arms: 134/361"
    assert found.control_per_1000 == pytest.approx(371.19, abs=0.01)
    assert found.intervention_per_1000 == pytest.approx(500.98, abs=0.01)
    assert found.difference_per_1000 == pytest.approx(129.79, abs=0.01)
    # An assumed risk wins over the arms'.
    assert absolute_effect(run, 200).control_per_1000 == 200


def test_absolute_effect_stays_a_risk():
    # RR 2 on a control risk of 800 per 1,000 would be 1,600: at most everyone.
    found = absolute_effect(_reported("RR", 2.0, 1.5, 2.67), 800)
    assert found.intervention_per_1000 == pytest.approx(1000)
    assert found.difference_per_1000 == pytest.approx(200)


def test_no_absolute_effect_without_a_control_risk_or_for_a_mean_difference():
    assert absolute_effect(_reported("RR", 1.35, 1.125, 1.62), None) is None  # no counts
    run = _harmoni()
    run.rows[1].counts = None  # one trial known by its ratio alone
    assert absolute_effect(run, None) is None
    assert absolute_effect(_difference("MD", 3, 1, 5), 371) is None
    assert absolute_effect(_unpooled(), 371) is None


# Footnote marks: a, b, c... in the table's order, across rows.
def _row(outcome: str, judgements: list[Judgement]) -> SofRow:
    return SofRow(
        analysis_id=1, outcome=outcome, comparison="A vs B", participants=None, studies=2,
        measure="RR", measure_label="Risk ratio", relative=None, absolute=None,
        design="randomised", judgements=judgements,
    )  # fmt: skip


def test_footnote_marks_run_across_rows():
    first = _row("Response", [
        Judgement("risk_of_bias", level=-1, footnote="Open label."),
        Judgement("inconsistency", level=0),
        Judgement("imprecision", level=-1, footnote="The CI crosses 1.25."),
    ])  # fmt: skip
    second = _row("Death", [
        Judgement("risk_of_bias", level=0, footnote_mark="z"),  # a stale mark
        Judgement("indirectness", level=-1, footnote="Different comparators."),
    ])  # fmt: skip
    footnote_marks([first, second])
    assert [j.footnote_mark for j in first.judgements] == ["a", "", "b"]
    assert [j.footnote_mark for j in second.judgements] == ["", "c"]
    assert second.footnotes == [("c", "Different comparators.")]


def test_footnote_marks_go_on_after_z():
    row = _row("Response", [Judgement("imprecision", footnote=f"{n}") for n in range(28)])
    footnote_marks([row])
    marks = [j.footnote_mark for j in row.judgements]
    assert marks[:2] == ["a", "b"]
    assert marks[25:] == ["z", "aa", "ab"]
