"""A forest plot's risk-of-bias columns: each row's reported (consensus) RoB 2 judgements,
asked of the risk_of_bias app (a layer above) through the FOREST_RISK_OF_BIAS setting, never
imported. A plot whose results have none keeps no such columns."""

from __future__ import annotations

from dataclasses import replace

from django.conf import settings
from django.utils.module_loading import import_string

from screening.models import Review

from .plot import ForestPlot


def with_risk_of_bias(review: Review, plot: ForestPlot) -> ForestPlot:
    """The plot with its rows' judgements, if the hook is set and any row has them."""
    hook = getattr(settings, "FOREST_RISK_OF_BIAS", "")
    if not hook:
        return plot
    found = import_string(hook)(review, [row.outcome_id for row in plot.rows])
    if not found["rows"]:
        return plot
    rows = [replace(row, bias=tuple(found["rows"].get(row.outcome_id, ()))) for row in plot.rows]
    return replace(plot, rows=rows, bias_columns=tuple(found["columns"]), bias_note=found["note"])
