"""The summary-of-findings rows: each analysis run, its domains proposed by the rules and
decided by a person, its certainty and its absolute effect."""

from __future__ import annotations

from meta_analysis.models import Analysis
from meta_analysis.results import AnalysisRun
from meta_analysis.run import run_analysis
from screening.models import Review

from .models import Certainty
from .rules import (
    absolute_effect,
    certainty,
    footnote_marks,
    propose_imprecision,
    propose_inconsistency,
    propose_large_effect,
    propose_risk_of_bias,
)
from .table import DOWNGRADES, Judgement, SofRow


def _number(value) -> float | None:
    return None if value is None else float(value)


def judgements(run: AnalysisRun, found: Certainty | None) -> list[Judgement]:
    """The domains in GRADE's order: the app's proposals, with the person's decisions on them."""
    low = _number(found.threshold_low) if found else None
    high = _number(found.threshold_high) if found else None
    proposed = {
        "risk_of_bias": propose_risk_of_bias(run),
        "inconsistency": propose_inconsistency(run),
        "imprecision": propose_imprecision(run, low, high),
    }
    domains = [proposed.get(d) or Judgement(d, because="a person's judgement") for d in DOWNGRADES]
    if found is not None and found.design == Certainty.NON_RANDOMISED:
        domains += [
            propose_large_effect(run),
            Judgement("dose_response", because="a person's judgement"),
            Judgement("confounding", because="a person's judgement"),
        ]
    decided = found.judgements if found is not None else {}
    for judgement in domains:
        if judgement.domain in decided:
            judgement.level = decided[judgement.domain].get("level")
            judgement.footnote = decided[judgement.domain].get("footnote", "")
    return domains


def _participants(run: AnalysisRun) -> int | None:
    total = 0
    for row in run.included:
        if row.counts is not None:
            total += row.counts.experimental_total + row.counts.control_total
        elif row.means is not None:
            total += sum(arm[2] for arm in row.means)
        else:
            return None  # a study known by its estimate alone: its size is not in the data
    return total


def sof_row(analysis: Analysis, run: AnalysisRun | None = None) -> SofRow:
    run = run or run_analysis(analysis)
    found = Certainty.objects.filter(analysis=analysis).first()
    design = found.design if found else Certainty.RANDOMISED
    domains = judgements(run, found)
    relative = None
    if run.pooled is not None:
        pooled = run.pooled
        relative = tuple(run.natural(v) for v in (pooled.estimate, pooled.ci_low, pooled.ci_high))
    control = _number(found.control_per_1000) if found else None
    return SofRow(
        analysis_id=analysis.pk,
        outcome=run.outcome,
        comparison=run.comparison,
        participants=_participants(run) if run.pooled else None,
        studies=len(run.included),
        measure=run.measure,
        measure_label=run.measure_label,
        relative=relative,
        absolute=absolute_effect(run, control) if run.pooled else None,
        design=design,
        judgements=domains,
        certainty=certainty(design, domains) if run.pooled else "",
        note=run.note,
    )


def sof_rows(review: Review) -> list[SofRow]:
    """One row per analysis of the review, in their order, footnotes marked a, b, c..."""
    analyses = Analysis.objects.filter(review=review).prefetch_related("exclusions")
    rows = [sof_row(analysis) for analysis in analyses]
    footnote_marks(rows)
    return rows
