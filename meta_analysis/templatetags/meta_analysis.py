"""Numbers of an analysis as the pages write them: on the natural scale (a ratio, not its log),
two decimals for estimates, p as reported."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def natural(value: float | None, run) -> str:
    """An estimate or bound on the analysis scale, back on the natural one: 0.72."""
    if value is None:
        return "—"
    return f"{run.natural(value):.2f}"


@register.filter
def p_value(value: float | None) -> str:
    """P = 0.03, P < 0.001."""
    if value is None:
        return "—"
    return "< 0.001" if value < 0.001 else f"= {value:.3f}".rstrip("0").rstrip(".")


@register.filter
def decimals(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"
