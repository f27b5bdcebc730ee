"""The forest plot of an analysis run, in the layout reviewers know from RevMan: the study, each
arm's events and total (or mean, SD and total), the weight, the effect and its 95% CI in words,
and the plot: a square per study, sized by its weight (its area in proportion), on its interval;
the pooled diamond (tips at the CI, centre at the estimate) on a "Total (95% CI)" row; the
heterogeneity and the test for the overall effect in RevMan's words under it; subgroups each
with their subtotal; the studies not pooled in grey below, with why.

`forest_svg(run)` draws it; `forest_axis(run)` is the axis it draws on, for checking where a
value falls. The words of the rows are worked out first (`_lines`), then the columns' widths
from them (`_layout`), then the drawing.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape

from extraction.forest.axis import Axis, linear_axis, log_axis

from .plot_parts import (
    CHAR,
    DIAMOND,
    GAP,
    GREY,
    INK,
    LINE_COLOUR,
    LINE_GAP,
    MARGIN,
    NOTE,
    SIZE,
    SMALL,
    SMALL_CHAR,
    SQUARE,
    SUBHEADS,
    Line,
    arm_mode,
    axis_svg,
    document,
    effect_words,
    fit,
    heterogeneity_words,
    lines_of,
    not_pooled,
    number,
    overall_words,
    subgroup_difference_words,
    text,
    width_of,
)
from .results import AnalysisRun

ROW, WORDS_ROW = 24, 18
PLOT_W = 300
NAME_CHARS = 40  # past this a study's name is cut, and whole in its tooltip
CELL_W = 44  # the least width of an arm's column
WEIGHT_W = 7 * CHAR
DIAMOND_HALF = 6  # half the diamond's height
TITLE_Y = MARGIN + SIZE
METHODS = {
    "IV": "inverse variance",
    "MH": "Mantel-Haenszel",
    "DL": "DerSimonian-Laird",
    "PM": "Paule-Mandel",
    "REML": "restricted maximum likelihood (REML)",
}


NOTE_WIDTH = 100  # characters of the note per line


@dataclass
class Layout:
    """The columns, left to right: study, the arms' cells, weight, effect in words, the plot."""

    cell_right: list[float]  # each arm cell's right edge (numbers are right-aligned)
    cell_w: float
    weight_right: float
    effect_x: float
    axis: Axis | None  # None when nothing is pooled
    plot_left: float
    plot_right: float


def forest_axis(run: AnalysisRun) -> Axis | None:
    """The axis forest_svg(run) draws on (None when no study is pooled): `x(value)` of a value
    on the natural scale."""
    lines = lines_of(run)
    return _layout(run, lines, not_pooled(run)).axis


def forest_svg(run: AnalysisRun) -> str:
    """The forest plot as a standalone SVG document."""
    lines, excluded = lines_of(run), not_pooled(run)
    layout = _layout(run, lines, excluded)
    body, y = _top_svg(run, layout)
    rows_top = y
    for line in lines:
        height = WORDS_ROW if line.kind == "words" else ROW
        body.append(_line_svg(line, layout, y + height / 2))
        y += height
    widths = [layout.plot_right + MARGIN]
    if layout.axis is not None:
        axis, axis_y = layout.axis, y + 6
        null_x = axis.x(1.0 if run.ratio else 0.0)
        body.append(
            f'<line class="null-line" x1="{null_x:.2f}" y1="{rows_top:.2f}" x2="{null_x:.2f}" '
            f'y2="{axis_y:.2f}" stroke="{INK}" stroke-width="1"/>'
        )
        body += axis_svg(axis, axis_y)
        y = axis_y + 5 + SIZE + LINE_GAP
        body += _favours_svg(null_x, y, run.favours)
        right = len(f"Favours {run.favours[1]} →") * SMALL_CHAR
        widths.append(null_x + 6 + right + MARGIN)
    if excluded:
        y += LINE_GAP + 8
        body.append(text(MARGIN, y, "Not pooled", attrs=f'font-weight="bold" fill="{GREY}"'))
        y += 6
        for line in excluded:
            body.append(_line_svg(line, layout, y + ROW / 2))
            y += ROW
        widths.append(layout.effect_x + width_of([line.effect for line in excluded]) + MARGIN)
    for words in _method_words(run):
        y += LINE_GAP
        body.append(text(MARGIN, y, words, attrs=f'font-size="{SMALL}" fill="{GREY}"'))
        widths.append(MARGIN * 2 + len(words) * SMALL_CHAR)
    widths += [MARGIN * 2 + width_of([run.title, *textwrap.wrap(run.note, NOTE_WIDTH)])]
    size = (max(widths), y + MARGIN)
    return document("forest", size, f"Forest plot: {run.title}", _desc(run), body)


def _layout(run: AnalysisRun, lines: list[Line], excluded: list[Line]) -> Layout:
    """Each column as wide as its longest text; the study column wider still when the words
    under a total (the heterogeneity) would otherwise reach the plot."""
    rows = [line for line in lines + excluded if line.kind != "words"]
    subheads = SUBHEADS[arm_mode(run)]
    cell_w = max(CELL_W, width_of([*subheads, *(c for line in rows for c in line.cells)]) + 10)
    effect_w = width_of([*_effect_heads(run), *(line.effect for line in lines)])
    cells = len(subheads) * 2
    rest = GAP + cells * cell_w + GAP + WEIGHT_W + GAP + effect_w + GAP
    words_w = width_of([line.label for line in lines if line.kind == "words"], SMALL_CHAR)
    labels = ["Study or Subgroup", *(fit(line.label, NAME_CHARS) for line in rows)]
    label_w = max(width_of(labels), words_w - rest)
    cells_x = MARGIN + label_w + GAP
    cell_right = [cells_x + (i + 1) * cell_w for i in range(cells)]
    weight_right = (cell_right[-1] if cells else cells_x - GAP) + GAP + WEIGHT_W
    effect_x = weight_right + GAP
    plot_left = effect_x + effect_w + GAP
    plot_right = plot_left + PLOT_W
    return Layout(
        cell_right=cell_right,
        cell_w=cell_w,
        weight_right=weight_right,
        effect_x=effect_x,
        axis=_axis(run, lines, plot_left, plot_right),
        plot_left=plot_left,
        plot_right=plot_right,
    )


def _axis(run: AnalysisRun, lines: list[Line], left: float, right: float) -> Axis | None:
    """Log and symmetric about 1 for ratios, linear and centred on 0 for differences, holding
    every estimate and, as far as it can, every interval (a longer one gets an arrow)."""
    drawn = [line.interval for line in lines if line.interval is not None]
    if not drawn:
        return None
    estimates = [estimate for estimate, _, _ in drawn]
    bounds = [bound for _, low, high in drawn for bound in (low, high)]
    if run.ratio:
        return log_axis(estimates, bounds, left, right)
    return linear_axis(estimates, bounds, left, right, include=(0.0,), symmetric=True)


def _effect_heads(run: AnalysisRun) -> tuple[str, str]:
    """The effect column's heading, as RevMan's "Risk Ratio" over "M-H, Random, 95% CI"."""
    pooled = run.pooled
    method, model = (pooled.method, pooled.model) if pooled else (run.method, run.model)
    return run.measure_label, f"{'M-H' if method == 'MH' else 'IV'}, {model.title()}, 95% CI"


def _top_svg(run: AnalysisRun, layout: Layout) -> tuple[list[str], float]:
    """The title, the note, the columns' two lines of headings and the rule under them; and
    where the rows begin."""
    out = [text(MARGIN, TITLE_Y, run.title, attrs='font-weight="bold"')]
    y = TITLE_Y
    for line in textwrap.wrap(run.note, NOTE_WIDTH):  # a long note wraps, not the plot
        y += LINE_GAP
        out.append(text(MARGIN, y, line, attrs=f'class="note" font-style="italic" fill="{NOTE}"'))
    first, second = y + LINE_GAP + 4, y + LINE_GAP + 20
    bold = 'font-weight="bold"'
    subheads = SUBHEADS[arm_mode(run)]
    for arm, label in enumerate(("Experimental", "Control")):
        if not subheads:
            break
        start = layout.cell_right[arm * len(subheads)] - layout.cell_w
        middle = start + len(subheads) * layout.cell_w / 2
        out.append(text(middle, first, label, attrs=f'{bold} text-anchor="middle"'))
        for i, subhead in enumerate(subheads):
            right = layout.cell_right[arm * len(subheads) + i]
            out.append(text(right, second, subhead, attrs=f'{bold} text-anchor="end"'))
    label = "Study or Subgroup" if run.subgroups else "Study"
    out.append(text(MARGIN, second, label, attrs=bold))
    out.append(text(layout.weight_right, second, "Weight", attrs=f'{bold} text-anchor="end"'))
    plot_middle = (layout.plot_left + layout.plot_right) / 2
    for y_head, words in zip((first, second), _effect_heads(run), strict=True):
        out.append(text(layout.effect_x, y_head, words, attrs=bold))
        out.append(text(plot_middle, y_head, words, attrs=f'{bold} text-anchor="middle"'))
    rule = second + 8
    out.append(
        f'<line x1="{MARGIN}" y1="{rule:.2f}" x2="{layout.plot_right:.2f}" y2="{rule:.2f}" '
        f'stroke="{GREY}" stroke-width="0.6"/>'
    )
    return out, rule


def _line_svg(line: Line, layout: Layout, cy: float) -> str:
    """One row of the plot: its words in the columns, and its square, diamond or interval."""
    baseline = cy + SIZE * 0.35
    if line.kind == "words":
        return text(MARGIN, baseline, line.label, attrs=f'class="{line.css}" font-size="{SMALL}"')
    style = ' font-weight="bold"' if line.kind in ("heading", "total") else ""
    style += f' fill="{GREY}"' if line.kind == "excluded" else ""
    label = fit(line.label, NAME_CHARS)
    # A cut name is whole in the row's tooltip.
    tip = f"<title>{escape(line.label)}</title>" if label != line.label else ""
    parts = [
        f'<g class="{line.css}"{style}>{tip}',
        text(MARGIN, baseline, label, attrs='class="label"'),
    ]
    for right, cell in zip(layout.cell_right, line.cells, strict=False):
        if cell:
            parts.append(text(right, baseline, cell, attrs='text-anchor="end"'))
    if line.weight:
        parts.append(
            text(
                layout.weight_right, baseline, line.weight, attrs='class="weight" text-anchor="end"'
            )
        )
    if line.effect:
        parts.append(text(layout.effect_x, baseline, line.effect, attrs='class="effect"'))
    if line.interval is not None and layout.axis is not None:
        parts.append(_mark_svg(line, layout.axis, cy))
    parts.append("</g>")
    return "".join(parts)


def _mark_svg(line: Line, axis: Axis, cy: float) -> str:
    """A study's interval and square, a total's diamond, or the prediction interval's line."""
    estimate, low, high = line.interval
    x1, x2 = axis.x(axis.clamp(low)), axis.x(axis.clamp(high))
    if line.kind == "total":
        x = axis.x(axis.clamp(estimate))
        top, bottom = cy - DIAMOND_HALF, cy + DIAMOND_HALF
        return (
            f'<polygon class="diamond" points="{x1:.2f},{cy:.2f} {x:.2f},{top:.2f} '
            f'{x2:.2f},{cy:.2f} {x:.2f},{bottom:.2f}" fill="{DIAMOND}"/>'
        )
    parts = [
        f'<line class="ci" x1="{x1:.2f}" y1="{cy:.2f}" x2="{x2:.2f}" y2="{cy:.2f}" '
        f'stroke="{LINE_COLOUR}" stroke-width="1.4"/>'
    ]
    if low < axis.low:
        parts.append(_arrow(x1, cy, -1))
    if high > axis.high:
        parts.append(_arrow(x2, cy, 1))
    if line.kind == "interval":  # the prediction interval: a line with its ends marked
        parts += [
            f'<line x1="{x:.2f}" y1="{cy - 4:.2f}" x2="{x:.2f}" y2="{cy + 4:.2f}" '
            f'stroke="{LINE_COLOUR}" stroke-width="1.4"/>'
            for x, bound in ((x1, low), (x2, high))
            if axis.low <= bound <= axis.high
        ]
    else:
        x, half = axis.x(estimate), line.side / 2
        parts.append(
            f'<rect class="square" x="{x - half:.2f}" y="{cy - half:.2f}" '
            f'width="{line.side:.2f}" height="{line.side:.2f}" fill="{SQUARE}"/>'
        )
    return "".join(parts)


def _arrow(x: float, y: float, direction: int) -> str:
    """A small triangle at the axis' end, pointing the way the interval goes on."""
    tip, back = x + 3 * direction, x - 5 * direction
    return (
        f'<polygon class="arrow" points="{tip:.2f},{y:.2f} {back:.2f},{y - 4:.2f} '
        f'{back:.2f},{y + 4:.2f}" fill="{LINE_COLOUR}"/>'
    )


def _favours_svg(null_x: float, y: float, favours: tuple[str, str]) -> list[str]:
    """RevMan's labels: left of the line favours the experimental arm (a ratio below 1, a
    difference below 0) when the outcome is a harm, the control arm when it is a benefit."""
    small = f'class="favours" font-size="{SMALL}"'
    return [
        text(null_x - 6, y, f"← Favours {favours[0]}", attrs=f'{small} text-anchor="end"'),
        text(null_x + 6, y, f"Favours {favours[1]} →", attrs=small),
    ]


def _method_words(run: AnalysisRun) -> list[str]:
    """The model and methods, as a footnote."""
    pooled = run.pooled
    if pooled is None:
        return []
    if pooled.model == "fixed":
        words = [f"Fixed-effect model, {METHODS[pooled.method]}."]
    else:
        hksj = "; CI by the Hartung-Knapp-Sidik-Jonkman method" if pooled.hksj else ""
        words = [f"Random-effects model, Tau² by {METHODS[pooled.method]}{hksj}."]
    if pooled.prediction_interval:
        words.append("Prediction interval: where the effect of a new study is expected (95%).")
    return words


def _desc(run: AnalysisRun) -> str:
    """The pooled result in words, for a screen reader."""
    pooled = run.pooled
    if pooled is None:
        return "No study can be pooled."
    ends = (pooled.estimate, pooled.ci_low, pooled.ci_high)
    model = "fixed-effect" if pooled.model == "fixed" else "random-effects"
    words = [
        f"{run.measure_label} {effect_words(*map(run.natural, ends))}, "
        f"{_studies(pooled.k)} pooled with a {model} model.",
        f"{heterogeneity_words(pooled)}.",
        f"{overall_words(pooled)}.",
    ]
    if pooled.prediction_interval:
        low, high = map(run.natural, pooled.prediction_interval)
        words.append(f"Prediction interval {number(low)} to {number(high)}.")
    if run.subgroups:
        words.append(f"{subgroup_difference_words(run.subgroups)}.")
    left_out = len(run.rows) - len(run.included)
    if left_out:
        words.append(f"{_studies(left_out)} not pooled.")
    return " ".join(words)


def _studies(k: int) -> str:
    return "1 study" if k == 1 else f"{k} studies"
