"""Run an analysis: its studies' rows (inputs.py), pooled as it says (pooling.py), with its
subgroups, leave-one-out and the sensitivity analysis without the results at high risk of bias.
Nothing is stored: a run is computed from the consensus data each time it is asked for, so it
is always up to date with the extraction."""

from __future__ import annotations

from .inputs import study_rows, subgroup_label
from .models import Analysis
from .pooling import PoolResult, leave_one_out, pool, subgroups
from .results import AnalysisRun, StudyRow


def _pool(rows: list[StudyRow], analysis: Analysis) -> PoolResult:
    return pool(**_arguments(rows, analysis))


def _arguments(rows: list[StudyRow], analysis: Analysis) -> dict:
    mh = analysis.method == "MH"
    return {
        "yi": [row.yi for row in rows],
        "vi": [row.se**2 for row in rows],
        "model": analysis.model,
        "method": analysis.method,
        "hksj": analysis.hksj,
        "labels": [row.name for row in rows],
        "counts": [row.counts for row in rows] if mh else None,
        "measure": analysis.measure if mh else None,
    }


def run_analysis(analysis: Analysis) -> AnalysisRun:
    rows = study_rows(analysis)
    run = AnalysisRun(
        title=str(analysis),
        outcome=analysis.outcome,
        comparison=analysis.comparison,
        measure=analysis.measure,
        model=analysis.model,
        method=analysis.method,
        hksj=analysis.hksj,
        rows=rows,
        subgroup_by=subgroup_label(analysis.review, analysis.subgroup_by),
        note=analysis.note,
        benefit=analysis.benefit,
    )
    pooled = run.included
    if not pooled:
        return run
    run.pooled = _pool(pooled, analysis)
    for row, weight in zip(pooled, run.pooled.weights, strict=True):
        row.weight = weight
    if len(pooled) >= 2:
        run.leave_one_out = leave_one_out(**_arguments(pooled, analysis))
    if analysis.subgroup_by and len({row.subgroup for row in pooled}) >= 2:
        run.subgroups = subgroups(
            groups=[row.subgroup for row in pooled], **_arguments(pooled, analysis)
        )
    high = [row for row in pooled if row.risk_of_bias == "high"]
    kept = [row for row in pooled if row.risk_of_bias != "high"]
    if high and kept:
        run.sensitivity = _pool(kept, analysis)
        run.sensitivity_left_out = [row.name for row in high]
    return run
