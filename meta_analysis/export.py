"""A review's analyses as JSON (the command, the page's download and the members' endpoint) and
as a long CSV that R reads directly: metafor's `rma(yi, vi, ...)` or `escalc` (ai, n1i, ci,
n2i for counts; m1i, sd1i, n1i, m2i, sd2i, n2i for means) and meta's `metagen(TE = yi, seTE =
sei, ...)`. Estimates are on the natural scale, `se` and `yi`/`vi` on the analysis scale (log
for ratios), weights and I² in percent."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from references.spreadsheet import spreadsheet_cell
from screening.models import Review

from .models import Analysis
from .pooling import PoolResult
from .results import AnalysisRun, StudyRow
from .run import run_analysis


def _round(value: float | None, digits: int = 6) -> float | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(value, digits)


def _pair(run: AnalysisRun, pair: tuple[float, float] | None) -> list | None:
    return None if pair is None else [_round(run.natural(pair[0])), _round(run.natural(pair[1]))]


def _pooled(run: AnalysisRun, result: PoolResult) -> dict[str, Any]:
    return {
        "estimate": _round(run.natural(result.estimate)),
        "ci_low": _round(run.natural(result.ci_low)),
        "ci_high": _round(run.natural(result.ci_high)),
        "se": _round(result.se),
        "k": result.k,
        result.distribution: _round(result.statistic),
        "p": _round(result.p),
    }


def _heterogeneity(run: AnalysisRun, result: PoolResult) -> dict[str, Any]:
    return {
        "tau2": _round(result.tau2),
        "i2": _round(result.i2, 2),
        "i2_ci": [_round(result.i2_ci[0], 2), _round(result.i2_ci[1], 2)],
        "q": _round(result.q),
        "q_df": result.q_df,
        "q_p": _round(result.q_p),
        "prediction_interval": _pair(run, result.prediction_interval),
    }


def _study(row: StudyRow) -> dict[str, Any]:
    found: dict[str, Any] = {
        "study": row.name,
        "study_id": row.study_id,
        "estimate": _round(row.estimate),
        "ci_low": _round(row.ci_low),
        "ci_high": _round(row.ci_high),
        "se": _round(row.se),
        "weight": _round(row.weight, 2),
        "arms": list(row.arms),
        "source": row.source,
        "report_ids": list(row.report_ids),
    }
    if row.counts is not None:
        c = row.counts
        found["counts"] = {
            "experimental_events": c.experimental_events,
            "experimental_total": c.experimental_total,
            "control_events": c.control_events,
            "control_total": c.control_total,
        }
    if row.subgroup:
        found["subgroup"] = row.subgroup
    if row.risk_of_bias:
        found["risk_of_bias"] = row.risk_of_bias
    return found


def analysis_json(analysis: Analysis, run: AnalysisRun | None = None) -> dict[str, Any]:
    run = run or run_analysis(analysis)
    found: dict[str, Any] = {
        "id": analysis.pk,
        "outcome": run.outcome,
        "comparison": run.comparison,
        "measure": run.measure,
        "model": run.model,
        "method": run.method,
        "hksj": run.hksj,
        "note": run.note,
        "studies": [_study(row) for row in run.included],
        "not_pooled": [{"study": r.name, "reason": r.excluded} for r in run.rows if not r.pooled],
        "pooled": None,
    }
    if run.pooled is None:
        return found
    found["pooled"] = _pooled(run, run.pooled)
    found.update(_heterogeneity(run, run.pooled))
    if run.subgroups is not None:
        found["subgroups"] = {
            "by": run.subgroup_by,
            "groups": {
                name: {**_pooled(run, result), **_heterogeneity(run, result)}
                for name, result in run.subgroups.subgroups.items()
            },
            "q_between": _round(run.subgroups.q_between),
            "q_between_df": run.subgroups.q_between_df,
            "q_between_p": _round(run.subgroups.q_between_p),
        }
    found["leave_one_out"] = [
        {"left_out": item.label, **_pooled(run, item.result), "i2": _round(item.result.i2, 2)}
        for item in run.leave_one_out
    ]
    if run.sensitivity is not None:
        found["sensitivity_without_high_risk_of_bias"] = {
            "left_out": run.sensitivity_left_out,
            **_pooled(run, run.sensitivity),
            **_heterogeneity(run, run.sensitivity),
        }
    return found


def export_json(review: Review, analysis_id: int | None = None) -> dict[str, Any]:
    """{"analyses": [...]}: every analysis of the review, or the one asked for."""
    analyses = Analysis.objects.filter(review=review)
    if analysis_id is not None:
        analyses = analyses.filter(pk=analysis_id)
    return {"analyses": [analysis_json(a) for a in analyses.prefetch_related("exclusions")]}


def r_snippet(analysis: Analysis, slug: str) -> str:
    """The R lines that pool the CSV's rows of this analysis as the app does, with metafor."""
    load = (
        f'd <- subset(read.csv("{slug}-meta-analysis.csv"), '
        f'analysis_id == {analysis.pk} & pooled == "yes")'
    )
    if analysis.method == "MH":
        fit = (
            "res <- metafor::rma.mh(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, "
            f'measure = "{analysis.measure}")'
        )
    else:
        method = "FE" if analysis.model == Analysis.FIXED else analysis.method
        knha = ', test = "knha"' if analysis.hksj else ""
        fit = f'res <- metafor::rma(yi, vi, data = d, method = "{method}"{knha})'
    back = "\npredict(res, transf = exp)" if analysis.ratio else "\npredict(res)"
    return f"{load}\n{fit}{back}"


CSV_COLUMNS = [
    "analysis_id", "outcome", "comparison", "measure", "model", "method", "study", "yi", "vi",
    "sei", "estimate", "ci_low", "ci_high", "weight", "ai", "n1i", "ci", "n2i", "m1i", "sd1i",
    "m2i", "sd2i", "subgroup", "risk_of_bias", "pooled", "reason",
]  # fmt: skip


def _csv_row(analysis: Analysis, run: AnalysisRun, row: StudyRow) -> dict[str, Any]:
    values = {
        "analysis_id": analysis.pk,
        "outcome": run.outcome,
        "comparison": run.comparison,
        "measure": run.measure,
        "model": run.model,
        "method": run.method,
        "study": row.name,
        "yi": _round(row.yi),
        "vi": _round(row.se**2) if row.se is not None else None,
        "sei": _round(row.se),
        "estimate": _round(row.estimate),
        "ci_low": _round(row.ci_low),
        "ci_high": _round(row.ci_high),
        "weight": _round(row.weight, 2),
        "subgroup": row.subgroup,
        "risk_of_bias": row.risk_of_bias,
        "pooled": "yes" if row.pooled else "no",
        "reason": row.excluded,
    }
    if row.counts is not None:
        c = row.counts
        values.update(ai=c.experimental_events, n1i=c.experimental_total,
                      ci=c.control_events, n2i=c.control_total)  # fmt: skip
    if row.means is not None:
        (m1, sd1, n1), (m2, sd2, n2) = row.means
        values.update(m1i=m1, sd1i=sd1, n1i=n1, m2i=m2, sd2i=sd2, n2i=n2)
    return values


def _cell(value: Any) -> Any:
    """Numbers bare (R reads them as numbers); text guarded against spreadsheet formulas."""
    if value is None:
        return ""
    return spreadsheet_cell(value) if isinstance(value, str) else value


def csv_text(review: Review, analysis_id: int | None = None) -> str:
    """One row per study per analysis (those not pooled too, pooled = no, with the reason)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    analyses = Analysis.objects.filter(review=review).prefetch_related("exclusions")
    if analysis_id is not None:
        analyses = analyses.filter(pk=analysis_id)
    for analysis in analyses:
        run = run_analysis(analysis)
        for row in run.rows:
            values = _csv_row(analysis, run, row)
            writer.writerow([_cell(values.get(column)) for column in CSV_COLUMNS])
    return out.getvalue()
