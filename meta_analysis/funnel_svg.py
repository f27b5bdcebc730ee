"""The funnel plot of an analysis run: each pooled study's effect (on a log axis for ratios)
against its standard error, 0 at the top so that the most precise studies sit highest; the
pooled estimate as a vertical line, and the pseudo 95% confidence limits, estimate ± 1.96·SE,
as two dashed lines meeting at its top. Without small-study effects, the studies scatter
evenly inside the funnel.

`funnel_svg(run)` draws it; `funnel_axes(run)` are the axes it draws on (x: the effect on the
natural scale, y: the standard error), for checking where a study falls.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from extraction.forest.axis import Axis, linear_axis, log_axis, tick_text

from .effects import Z_95
from .plot_parts import (
    GREY,
    INK,
    LINE_COLOUR,
    LINE_GAP,
    MARGIN,
    NOTE,
    SIZE,
    SMALL,
    SQUARE,
    axis_svg,
    document,
    effect_text,
    number,
    text,
    width_of,
)
from .results import AnalysisRun

# The Cochrane Handbook's rule of thumb (version 5.1, section 10.4.3.1; Sterne JAC et al.
# Recommendations for examining and interpreting funnel plot asymmetry. BMJ 2011;343:d4002):
# with fewer than 10 studies, a funnel cannot tell chance from real asymmetry.
FEWEST_STUDIES = 10
PLOT_W, PLOT_H = 360, 280
LEFT = MARGIN + 64  # room for the standard errors' ticks and their title
DOT_R = 4
TITLE_Y = MARGIN + SIZE


def funnel_axes(run: AnalysisRun) -> tuple[Axis, Axis] | None:
    """The x axis (the effect, natural scale) and the y axis (the standard error, 0 at the top;
    its `x(se)` gives a height) of funnel_svg(run), or None when it draws nothing."""
    rows, pooled = run.included, run.pooled
    if pooled is None or len(rows) < FEWEST_STUDIES:
        return None
    top = _plot_top(run)
    y_axis = linear_axis([0.0, max(row.se for row in rows)], [], top, top + PLOT_H)
    deepest = y_axis.high
    limits = [run.natural(pooled.estimate + side * Z_95 * deepest) for side in (-1, 1)]
    estimates = [run.natural(row.yi) for row in rows] + [run.natural(pooled.estimate)]
    if run.ratio:
        x_axis = log_axis(estimates, limits, LEFT, LEFT + PLOT_W)
    else:
        x_axis = linear_axis(estimates, limits, LEFT, LEFT + PLOT_W)
    return x_axis, y_axis


def funnel_svg(run: AnalysisRun) -> str | None:
    """The funnel plot as a standalone SVG document; None with fewer than 10 pooled studies,
    where the Cochrane Handbook advises against one (too few to tell chance from asymmetry)."""
    axes = funnel_axes(run)
    if axes is None:
        return None
    x_axis, y_axis = axes
    top, bottom = y_axis.left, y_axis.right
    body = [text(MARGIN, TITLE_Y, run.title, attrs='font-weight="bold"')]
    if run.note:
        attrs = f'class="note" font-style="italic" fill="{NOTE}"'
        body.append(text(MARGIN, TITLE_Y + LINE_GAP, run.note, attrs=attrs))
    body += _funnel_lines(run, x_axis, y_axis)
    for row in run.included:
        x, y = x_axis.x(run.natural(row.yi)), y_axis.x(row.se)
        words = f"{row.name}: {effect_text(row.estimate, row.ci_low, row.ci_high)}, SE {row.se:.3f}"
        body.append(
            f'<circle class="study" cx="{x:.2f}" cy="{y:.2f}" r="{DOT_R}" fill="{SQUARE}">'
            f"<title>{escape(words)}</title></circle>"
        )
    body += axis_svg(x_axis, bottom)
    body += _se_axis_svg(y_axis)
    label = run.measure_label + (" (log scale)" if run.ratio else "")
    middle = (x_axis.left + x_axis.right) / 2
    below = bottom + 5 + SIZE + LINE_GAP
    body.append(text(middle, below, label, attrs='text-anchor="middle"'))
    body.append(
        f'<text x="{MARGIN + SIZE:.2f}" y="{(top + bottom) / 2:.2f}" text-anchor="middle" '
        f'transform="rotate(-90 {MARGIN + SIZE:.2f} {(top + bottom) / 2:.2f})">'
        "Standard error</text>"
    )
    key = "Dashed: pseudo 95% confidence limits (estimate ± 1.96 SE). Line: pooled estimate."
    body.append(text(MARGIN, below + LINE_GAP, key, attrs=f'font-size="{SMALL}" fill="{GREY}"'))
    width = max(LEFT + PLOT_W + 2 * MARGIN, 2 * MARGIN + width_of([run.title, run.note]))
    size = (width, below + LINE_GAP + MARGIN)
    return document("funnel", size, f"Funnel plot: {run.title}", _desc(run), body)


def _plot_top(run: AnalysisRun) -> float:
    return TITLE_Y + LINE_GAP * (2 if run.note else 1) + 4


def _funnel_lines(run: AnalysisRun, x_axis: Axis, y_axis: Axis) -> list[str]:
    """The pooled estimate's line and the two dashed limits, cut to the plot's area (a limit may
    run past the axis' end)."""
    top, bottom = y_axis.left, y_axis.right
    estimate = run.pooled.estimate
    apex = x_axis.x(run.natural(estimate))
    out = [
        '<clipPath id="funnel-area">'
        f'<rect x="{x_axis.left:.2f}" y="{top:.2f}" width="{x_axis.right - x_axis.left:.2f}" '
        f'height="{bottom - top:.2f}"/></clipPath>',
        '<g clip-path="url(#funnel-area)">',
        f'<line class="pooled" x1="{apex:.2f}" y1="{top:.2f}" x2="{apex:.2f}" y2="{bottom:.2f}" '
        f'stroke="{INK}" stroke-width="1"/>',
    ]
    for side in (-1, 1):
        # Straight on the plot: the limit is linear in the SE on the analysis (log) scale.
        end = x_axis.x(run.natural(estimate + side * Z_95 * y_axis.high))
        out.append(
            f'<line class="limit" x1="{apex:.2f}" y1="{top:.2f}" x2="{end:.2f}" '
            f'y2="{bottom:.2f}" stroke="{LINE_COLOUR}" stroke-width="1" stroke-dasharray="5 4"/>'
        )
    out.append("</g>")
    return out


def _se_axis_svg(y_axis: Axis) -> list[str]:
    """The standard errors' axis down the left, 0 at the top."""
    x = LEFT
    out = [
        f'<line class="axis" x1="{x}" y1="{y_axis.left:.2f}" x2="{x}" y2="{y_axis.right:.2f}" '
        f'stroke="{INK}" stroke-width="1"/>'
    ]
    for tick in y_axis.ticks:
        y = y_axis.x(tick)
        out.append(
            f'<line class="tick" x1="{x - 5}" y1="{y:.2f}" x2="{x}" y2="{y:.2f}" '
            f'stroke="{INK}" stroke-width="1"/>'
            f'<text class="tick-label" x="{x - 8}" y="{y + SIZE * 0.35:.2f}" text-anchor="end" '
            f'font-size="{SIZE - 1}">{tick_text(tick)}</text>'
        )
    return out


def _desc(run: AnalysisRun) -> str:
    pooled = run.pooled
    return (
        f"Each of {len(run.included)} studies' {run.measure_label.lower()} against its standard "
        f"error, about the pooled estimate, {number(run.natural(pooled.estimate))}, and its "
        "pseudo 95% confidence limits."
    )
