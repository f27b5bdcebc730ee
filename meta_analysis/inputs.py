"""Each study's numbers for an analysis, from the review's consensus extracted data (never an
extractor's entry: `in_review` reads the consensus), each with where it came from.

For an outcome (matched by name as the forest plots match it) a study gives, by measure:
- HR: its hazard-ratio comparison with a 95% CI (the log HR and its SE from the CI);
- RR, OR, RD: each arm's events and total (the experimental arm, the first that is not the
  control arm, against the control arm), else a reported comparison of that measure with its CI
  (inverse variance only: Mantel-Haenszel needs the counts);
- MD, SMD: each arm's mean, SD (or SE, SD = SE·√n) and n; with `convert_medians`, a median and
  quartiles become a mean and SD (Wan et al. 2014); else an MD comparison with its CI (MD only).
A study without them is listed with why, not pooled.
"""

from __future__ import annotations

import math
from collections import defaultdict
from decimal import Decimal

from extraction.forest.plot import outcome_key
from extraction.models import Arm, ArmResult, Comparison, Outcome, Study
from risk_of_bias.content import content_of
from risk_of_bias.selectors import result_rows

from .effects import (
    BinaryCounts,
    binary_effect,
    left_out_reason,
    mean_difference,
    mean_sd_from_median_iqr,
    ratio_from_ci,
    standardised_mean_difference,
)
from .models import Analysis
from .results import StudyRow

Z_95 = 1.959964

# What a subgroup can be taken from: a study's field (its display value), a custom field, or
# the overall risk-of-bias judgement of the study's result on the outcome.
STUDY_FIELDS = {"phase": "Phase", "blinding": "Blinding", "status": "Status", "kind": "Kind"}
RISK_OF_BIAS = "risk_of_bias"


def subgroup_choices(review) -> list[tuple[str, str]]:
    custom = [(f"custom:{f.key}", f.label) for f in review.custom_fields.all()]
    return [
        ("", "None"),
        *STUDY_FIELDS.items(),
        *custom,
        (RISK_OF_BIAS, "Risk of bias (overall judgement)"),
    ]


def subgroup_label(review, value: str) -> str:
    return dict(subgroup_choices(review)).get(value, "")


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _cite(row, what: str) -> str:
    """ "HR 0.46 (0.34 to 0.62), Fang 2024 p. 5: “…”"."""
    report = f"{row.report.first_author.split(',')[0]} {row.report.year or ''}".strip()
    page = f" p. {row.page}" if row.page else ""
    quote = f": “{row.quote}”" if row.quote else ""
    return f"{what}, {report}{page}{quote}"


def _arms(arms: list[Arm]) -> tuple[Arm | None, Arm | None]:
    control = next((arm for arm in arms if arm.comparator), None)
    experimental = next((arm for arm in arms if not arm.comparator), None)
    return experimental, control


def study_rows(analysis: Analysis) -> list[StudyRow]:
    """Every study of the review with the analysis's outcome, with its effect or why it has
    none; then the studies a person left out, with their reason."""
    review = analysis.review
    key = outcome_key(analysis.outcome)
    outcomes = [
        outcome
        for outcome in Outcome.objects.in_review(review).select_related("study")
        if outcome_key(outcome.name) == key
    ]
    by_study: dict[int, Outcome] = {}
    for outcome in sorted(outcomes, key=lambda o: (o.study.name, o.position, o.pk)):
        by_study.setdefault(outcome.study_id, outcome)  # the first, if a study has two
    chosen = list(by_study.values())
    arms: dict[int, list[Arm]] = defaultdict(list)
    for arm in Arm.objects.in_review(review).filter(study_id__in=by_study).order_by("position"):
        arms[arm.study_id].append(arm)
    results: dict[tuple[int, int], ArmResult] = {
        (r.outcome_id, r.arm_id): r
        for r in ArmResult.objects.filter(outcome__in=chosen).select_related("report")
    }
    comparisons: dict[int, list[Comparison]] = defaultdict(list)
    for c in Comparison.objects.filter(outcome__in=chosen).select_related("report"):
        comparisons[c.outcome_id].append(c)
    judgements = _risk_of_bias(review, chosen)
    left_out = {e.study_id: e.reason for e in analysis.exclusions.all()}
    rows = []
    for outcome in chosen:
        study = outcome.study
        row = _effect(analysis, outcome, arms[study.pk], results, comparisons[outcome.pk])
        row.study_id, row.name = study.pk, str(study)
        row.subgroup = _subgroup(analysis, study, judgements.get(outcome.pk, ""))
        row.risk_of_bias = judgements.get(outcome.pk, "")
        if study.pk in left_out:
            row.excluded = f"left out: {left_out[study.pk]}"
        rows.append(row)
    return sorted(rows, key=lambda row: (not row.pooled, row.name))


def _risk_of_bias(review, outcomes: list[Outcome]) -> dict[int, str]:
    """The overall judgement (the algorithm's, or a person's override) of each outcome's
    submitted risk-of-bias consensus: low, some concerns, high."""
    found = {}
    for row in result_rows(review, [o.pk for o in outcomes]):
        if row.reported is not None:
            judgement = content_of(row.reported)["overall"]["judgement"]
            if judgement:
                found[row.outcome.pk] = judgement
    return found


def _subgroup(analysis: Analysis, study: Study, judgement: str) -> str:
    by = analysis.subgroup_by
    if not by:
        return ""
    if by == RISK_OF_BIAS:
        return judgement or "not assessed"
    if by.startswith("custom:"):
        value = (study.custom or {}).get(by.removeprefix("custom:"))
        return str(value) if value not in (None, "") else "not given"
    if by in STUDY_FIELDS:
        return str(getattr(study, f"get_{by}_display")() or "not given")
    return ""


def _effect(analysis, outcome, arms, results, comparisons) -> StudyRow:
    measure = analysis.measure
    experimental, control = _arms(arms)
    row = StudyRow(study_id=0, name="")
    if experimental and control:
        row.arms = (experimental.label, control.label)
    if measure == "HR":
        return _from_comparison(row, comparisons, "hr", measure)
    if measure in {"RR", "OR", "RD"}:
        counted = (
            experimental
            and control
            and _counts(row, outcome, (experimental, control), results, measure)
        )
        if counted:
            return row
        if analysis.method == "MH":
            row.excluded = "Mantel-Haenszel needs each arm's events and total"
            return row
        row.excluded = ""
        row = _from_comparison(row, comparisons, measure.lower(), measure)
        if row.excluded:
            row.excluded = f"no events and total for both arms, nor a {measure} with its 95% CI"
        return row
    if experimental and control and _means(row, analysis, outcome, experimental, control, results):
        return row
    if measure == "MD":
        row = _from_comparison(row, comparisons, "md", measure)
        if row.excluded:
            row.excluded = "no mean, SD and n for both arms, nor a MD with its 95% CI"
        return row
    row.excluded = "no mean, SD and n for both arms"
    return row


def _from_comparison(row: StudyRow, comparisons, code: str, measure: str) -> StudyRow:
    found = next(
        (c for c in comparisons if c.measure == code and c.ci_low is not None and c.ci_high),
        None,
    )
    if found is None:
        row.excluded = row.excluded or f"no {measure} with its 95% CI"
        return row
    estimate, low, high = map(float, (found.estimate, found.ci_low, found.ci_high))
    if measure == "RD":  # extraction's risk differences are in percentage points
        estimate, low, high = estimate / 100, low / 100, high / 100
    if code in {"hr", "rr", "or"}:
        effect = ratio_from_ci(estimate, low, high)
    else:
        effect = (estimate, ((high - low) / (2 * Z_95)) ** 2)
    row.yi, row.se = effect[0], math.sqrt(effect[1])
    row.arms = (found.arm.label, found.comparator.label)
    row.source = _cite(found, f"{measure} {found.estimate.normalize():f}")
    row.report_ids = (found.report_id,)
    return _natural(row, measure)


def _counts(row, outcome, arms: tuple[Arm, Arm], results, measure: str) -> bool:
    pair = [results.get((outcome.pk, arm.pk)) for arm in arms]
    if any(r is None or r.events is None or not r.n for r in pair):
        row.excluded = "no events and total for both arms"
        return False
    counts = BinaryCounts(pair[0].events, pair[0].n, pair[1].events, pair[1].n)
    row.counts = counts
    effect = binary_effect(counts, measure)
    if effect is None:
        row.excluded = left_out_reason(counts, measure) or "no effect"
        return True
    row.yi, row.se = effect.yi, math.sqrt(effect.vi)
    row.source = "; ".join(
        _cite(r, f"{arm.label} {r.events}/{r.n}") for r, arm in zip(pair, arms, strict=True)
    )
    row.report_ids = tuple(dict.fromkeys(r.report_id for r in pair))
    _natural(row, measure)
    return True


def _means(row, analysis, outcome, experimental, control, results) -> bool:
    pair = [results.get((outcome.pk, arm.pk)) for arm in (experimental, control)]
    arms = []
    for result in pair:
        if result is None or result.n is None:
            return False
        mean, sd = _number(result.value), _number(result.sd)
        if sd is None and result.se is not None:
            sd = float(result.se) * math.sqrt(result.n)
        if sd is None and analysis.convert_medians and None not in (result.q1, result.q3, mean):
            mean, sd = mean_sd_from_median_iqr(mean, float(result.q1), float(result.q3), result.n)
        if mean is None or sd is None:
            return False
        arms.append((mean, sd, result.n))
    (m1, s1, n1), (m2, s2, n2) = arms
    pick = mean_difference if analysis.measure == "MD" else standardised_mean_difference
    effect = pick(m1, s1, n1, m2, s2, n2)
    row.yi, row.se, row.means = effect.yi, math.sqrt(effect.vi), tuple(arms)
    row.source = "; ".join(
        _cite(r, f"mean {a[0]:g} (SD {a[1]:g}, n {a[2]})") for r, a in zip(pair, arms, strict=True)
    )
    row.report_ids = tuple(dict.fromkeys(r.report_id for r in pair))
    _natural(row, analysis.measure)
    return True


def _natural(row: StudyRow, measure: str) -> StudyRow:
    ratio = measure in {"HR", "RR", "OR"}
    back = math.exp if ratio else (lambda value: value)
    row.estimate = back(row.yi)
    row.ci_low = back(row.yi - Z_95 * row.se)
    row.ci_high = back(row.yi + Z_95 * row.se)
    return row
