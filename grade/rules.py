"""GRADE's rules as plain functions of an analysis run: what the app proposes for risk of bias,
inconsistency, imprecision and a large effect (with why, in words), the certainty that a
person's decisions give, the absolute effect per 1,000 and the footnote marks. No database:
selectors.py feeds these functions and the tests check them on numbers pooled by hand.

A proposal is only a starting point. A person confirms every domain (services.py), and the
domains the app cannot judge from numbers (indirectness, publication bias, dose-response,
confounding) are left to them."""

from __future__ import annotations

import math
from string import ascii_lowercase

from meta_analysis.results import AnalysisRun

from .table import DOWNGRADES, LEVELS, UPGRADES, AbsoluteEffect, Judgement, SofRow

NO_POOL = "no study is pooled"
JUDGED = ("low", "some concerns", "high")  # RoB 2's overall judgements
# Weights are floats that add up to 100 only up to rounding: four equal studies may give
# 24.999999999 each, and that is still a quarter of the weight.
ROUNDING = 1e-9
START = {"randomised": "high", "non-randomised": "low"}
# A large effect, on the log scale so that RR 2 and RR 0.5 are the same size: |log RR| > log 2.
LARGE, VERY_LARGE = math.log(2), math.log(5)


def _percent(value: float) -> str:
    # One decimal at most, so a share just under a threshold (24.9%) does not print as 25%.
    return f"{round(value, 1):g}%"


def _number(value: float) -> str:
    return f"{value:.2f}"


def _share(rows, judgements: set[str], total: float) -> float:
    weight = sum(row.weight or 0 for row in rows if row.risk_of_bias in judgements)
    return 100 * weight / total if total else 0.0


def propose_risk_of_bias(run: AnalysisRun) -> Judgement:
    """Risk of bias from the pooled results' RoB 2 judgements, each counted by its weight in the
    pooled estimate: GRADE judges the body of evidence, and a small trial at high risk matters
    less than a large one (GRADE handbook 5.2.1; Guyatt GH et al. GRADE guidelines 4: rating
    the quality of evidence—study limitations (risk of bias). J Clin Epidemiol
    2011;64:407-415).

    - 50% of the weight or more at high risk: -2 (very serious);
    - 25% or more at high risk, or 50% or more at high risk or with some concerns: -1 (serious);
    - otherwise 0 (not serious).

    When a pooled result has not been assessed, the app proposes nothing (None): the shares
    would leave it out, and only a person can say what it weighs."""
    found = Judgement("risk_of_bias")
    rows = run.included
    if run.pooled is None or not rows:
        found.because = NO_POOL
        return found
    missing = [row.name for row in rows if row.risk_of_bias not in JUDGED]
    if missing:
        found.because = f"risk of bias not assessed for {', '.join(missing)}: a person must judge"
        return found
    total = sum(row.weight or 0 for row in rows)
    high = _share(rows, {"high"}, total)
    concerns = _share(rows, {"high", "some concerns"}, total)
    shares = (
        f"{_percent(high)} of the weight from results at high risk of bias, "
        f"{_percent(concerns)} at high risk or with some concerns"
    )
    if high >= 50 - ROUNDING:
        found.proposed, why = -2, "half or more at high risk: very serious"
    elif high >= 25 - ROUNDING:
        found.proposed, why = -1, "a quarter or more at high risk: serious"
    elif concerns >= 50 - ROUNDING:
        found.proposed, why = -1, "half or more at high risk or with some concerns: serious"
    else:
        found.proposed, why = 0, "not serious"
    found.because = f"{shares} ({why})"
    return found


def propose_inconsistency(run: AnalysisRun) -> Judgement:
    """Inconsistency from I² and the prediction interval (Guyatt GH et al. GRADE guidelines 7:
    rating the quality of evidence—inconsistency. J Clin Epidemiol 2011;64:1294-1302). The
    ranges of I² are the Cochrane Handbook's (10.10.2: 50% to 90% "may represent substantial",
    75% to 100% "considerable" heterogeneity).

    - one study: 0 (inconsistency cannot be judged);
    - I² below 50%: 0;
    - 50% to below 75%: -1;
    - 75% or more: -1, or -2 when the 95% prediction interval includes no effect while the CI
      does not: a new study's effect could point the other way (the interval needs a
      random-effects model and 3 studies or more)."""
    found = Judgement("inconsistency")
    pooled = run.pooled
    if pooled is None:
        found.because = NO_POOL
        return found
    if pooled.k == 1:
        found.proposed, found.because = 0, "a single study: inconsistency cannot be judged"
        return found
    i2 = f"I² = {_percent(pooled.i2)}"
    if pooled.i2 < 50:
        found.proposed, found.because = 0, f"{i2}, below 50%"
        return found
    if pooled.i2 < 75:
        found.proposed, found.because = -1, f"{i2}, 50% to 75%: substantial heterogeneity"
        return found
    found.proposed, found.because = -1, f"{i2}, 75% or more: considerable heterogeneity"
    interval = pooled.prediction_interval
    if interval is None:
        found.because += " (no prediction interval: a fixed-effect model or fewer than 3 studies)"
        return found
    null = f"{run.natural(0):g}"
    low, high = (_number(run.natural(v)) for v in interval)
    ci = f"{_number(run.natural(pooled.ci_low))} to {_number(run.natural(pooled.ci_high))}"
    ci_clear = pooled.ci_low > 0 or pooled.ci_high < 0
    if interval[0] <= 0 <= interval[1] and ci_clear:
        found.proposed = -2
        found.because += (
            f"; the 95% prediction interval, {low} to {high}, includes no effect ({null}) "
            f"while the CI, {ci}, does not: the effect may reverse"
        )
    else:
        found.because += f"; the 95% prediction interval is {low} to {high}, the CI {ci}"
    return found


def propose_imprecision(run: AnalysisRun, low: float | None, high: float | None) -> Judgement:
    """Imprecision from the pooled 95% CI and the reviewers' thresholds of an important effect,
    `low` and `high`, on the scale readers know (e.g. RR 0.8 and 1.25, or MD -5 and 5)
    (Guyatt GH et al. GRADE guidelines 6: rating the quality of evidence—imprecision.
    J Clin Epidemiol 2011;64:1283-1293). A threshold is crossed when it lies inside the CI.

    - the CI includes no effect (1 for a ratio, 0 for a difference) and crosses both
      thresholds: -2;
    - it includes no effect, or crosses one threshold: -1;
    - otherwise 0.

    The optimal information size (is the sample as large as a single adequately powered trial
    would need?) is not checked: a person makes that call. Without both thresholds the app
    proposes nothing."""
    found = Judgement("imprecision")
    pooled = run.pooled
    if pooled is None:
        found.because = NO_POOL
        return found
    if low is None or high is None:
        found.because = "set the thresholds of an important effect"
        return found
    ci_low, ci_high = run.natural(pooled.ci_low), run.natural(pooled.ci_high)
    null = run.natural(0)
    includes_null = ci_low <= null <= ci_high
    crossed = [t for t in (low, high) if ci_low < t < ci_high]
    if includes_null and len(crossed) == 2:
        found.proposed = -2
    elif includes_null or crossed:
        found.proposed = -1
    else:
        found.proposed = 0
    if len(crossed) == 2:
        thresholds = f"crosses both thresholds of an important effect ({low:g} and {high:g})"
    elif crossed:
        thresholds = f"crosses the threshold of an important effect {crossed[0]:g}"
    else:
        thresholds = f"crosses neither threshold of an important effect ({low:g}, {high:g})"
    null_words = "includes" if includes_null else "excludes"
    found.because = (
        f"the 95% CI, {_number(ci_low)} to {_number(ci_high)}, {null_words} no effect "
        f"({null:g}) and {thresholds}"
    )
    return found


def propose_large_effect(run: AnalysisRun) -> Judgement:
    """A large effect, which can raise the certainty of non-randomised evidence (Guyatt GH et
    al. GRADE guidelines 9: rating up the quality of evidence. J Clin Epidemiol
    2011;64:1311-1316): a pooled RR, OR or HR above 2 or below 0.5 whose CI does not cross 1
    → +1; above 5 or below 0.2 → +2; otherwise 0. GRADE also asks for consistent evidence
    and no plausible confounding that could explain it: a person's call. A difference (RD, MD,
    SMD) has no such rule: the app proposes nothing."""
    found = Judgement("large_effect")
    pooled = run.pooled
    if pooled is None:
        found.because = NO_POOL
        return found
    if not run.ratio:
        found.because = f"a large effect is judged on a ratio, not a {run.measure}: a person's call"
        return found
    size = abs(pooled.estimate)  # the log ratio: RR 2 and RR 0.5 are as large
    clear = pooled.ci_low > 0 or pooled.ci_high < 0
    if clear and size > VERY_LARGE:
        found.proposed, why = 2, "very large (above 5 or below 0.2) and the CI does not cross 1"
    elif clear and size > LARGE:
        found.proposed, why = 1, "large (above 2 or below 0.5) and the CI does not cross 1"
    elif size > LARGE:
        found.proposed, why = 0, "large, but the CI crosses 1"
    else:
        found.proposed, why = 0, "not large (needs above 2 or below 0.5)"
    estimate, ci_low, ci_high = (
        _number(run.natural(v)) for v in (pooled.estimate, pooled.ci_low, pooled.ci_high)
    )
    found.because = f"{run.measure} {estimate} (95% CI {ci_low} to {ci_high}): {why}"
    return found


def certainty(design: str, judgements: list[Judgement]) -> str:
    """The certainty of the evidence: randomised trials start "high", non-randomised studies
    "low"; each confirmed downgrade lowers it by its level, and for non-randomised evidence
    each confirmed upgrade raises it; it stays within very low to high (GRADE handbook 5).
    "" until a person has confirmed all five downgrade domains."""
    if design not in START:
        raise ValueError(f"unknown design: {design!r}")
    levels = {j.domain: j.level for j in judgements}
    if any(levels.get(domain) is None for domain in DOWNGRADES):
        return ""
    counted = DOWNGRADES + (UPGRADES if design == "non-randomised" else ())
    index = LEVELS.index(START[design])
    for judgement in judgements:
        if judgement.domain in counted and judgement.level is not None:
            index += judgement.level
    return LEVELS[min(max(index, 0), len(LEVELS) - 1)]


# The risk with the intervention from the control risk (a proportion) and the measure, as
# the Cochrane Handbook gives them (14.1.5). A risk stays within 0 and 1: RR 2 on a control
# risk of 0.8 cannot give 1.6.
def _risk_rr(control: float, rr: float) -> float:
    return control * rr


def _risk_or(control: float, odds_ratio: float) -> float:
    return odds_ratio * control / (1 - control + odds_ratio * control)


def _risk_hr(control: float, hr: float) -> float:
    # The cumulative risk of the event at the time the control risk is for.
    return 1 - (1 - control) ** hr


def _risk_rd(control: float, rd: float) -> float:
    return control + rd


RISK = {"RR": _risk_rr, "OR": _risk_or, "HR": _risk_hr, "RD": _risk_rd}


def _control_risk(
    run: AnalysisRun, per_1000: float | None, source: str | None
) -> tuple[float, str] | None:
    """The control risk per 1,000 and where it came from: the review team's, or else the
    pooled studies' control arms together. All pooled studies must give their counts, or the
    risk would be that of some of them only."""
    if per_1000 is not None:
        return float(per_1000), source or "assumed by the review team"
    counts = [row.counts for row in run.included]
    if not counts or any(c is None for c in counts):
        return None
    events = sum(c.control_events for c in counts)
    total = sum(c.control_total for c in counts)
    if not total:
        return None
    return 1000 * events / total, f"the control arms: {events}/{total}"


def absolute_effect(
    run: AnalysisRun, control_per_1000: float | None, control_source: str | None = None
) -> AbsoluteEffect | None:
    """The absolute effect per 1,000 for a summary-of-findings table (Cochrane Handbook
    14.1.5): the control risk (`control_per_1000` when the review team gives one, else the
    pooled studies' control arms), the risk with the intervention from the pooled RR, OR, HR or
    RD, and the difference with its CI from the pooled CI's bounds. None for MD and SMD, or
    when there is no control risk."""
    pooled = run.pooled
    if pooled is None or run.measure not in RISK:
        return None
    control = _control_risk(run, control_per_1000, control_source)
    if control is None:
        return None
    per_1000, source = control

    def risk(value: float) -> float:  # per 1,000, from a value on the analysis scale
        return 1000 * min(max(RISK[run.measure](per_1000 / 1000, run.natural(value)), 0.0), 1.0)

    intervention = risk(pooled.estimate)
    return AbsoluteEffect(
        control_per_1000=per_1000,
        control_source=source,
        intervention_per_1000=intervention,
        difference_per_1000=intervention - per_1000,
        difference_low=risk(pooled.ci_low) - per_1000,
        difference_high=risk(pooled.ci_high) - per_1000,
    )


def _mark(number: int) -> str:
    """0 → "a", 25 → "z", 26 → "aa": letters, as spreadsheets number their columns."""
    mark = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, len(ascii_lowercase))
        mark = ascii_lowercase[rest] + mark
    return mark


def footnote_marks(rows: list[SofRow]) -> None:
    """Mark every judgement with a footnote "a", "b"... in the table's order (outcome by
    outcome, domain by domain as each row lists them), one series across the table; clear the
    mark of a judgement without one."""
    count = 0
    for row in rows:
        for judgement in row.judgements:
            if judgement.footnote.strip():
                judgement.footnote_mark = _mark(count)
                count += 1
            else:
                judgement.footnote_mark = ""
