"""A forest plot drawn as a standalone SVG document: the columns of words, each row's square and
interval on the axis, the line of no effect, and the notes below."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from screening.prisma.svg import FONT, SIZE

from ..constants import OutcomeKind
from .axis import Axis, linear_axis, log_axis, tick_text
from .plot import ForestPlot, ForestRow

CHAR = 7.2  # a generous average character width at SIZE: labels must not run into the next column
MARGIN = 12
ROW = 26
LINE_GAP = 20
GAP = 16  # between columns
PLOT_W = 320
SQUARE = 9
BIAS_COLUMN = 24  # a risk-of-bias dot's column
BIAS_GAP = 8  # before the overall column, as robvis separates it
BIAS_R = 8
INK, GREY = "#000000", "#6b6b6b"
COLOURS = {"square": "#1f5fae", "line": "#1d2430"}
TITLE_Y = MARGIN + SIZE
HEAD_Y = TITLE_Y + LINE_GAP
ROWS_TOP = HEAD_Y + 8


def render_svg(plot: ForestPlot) -> str:
    """The plot as a standalone SVG document."""
    if not plot.rows:
        raise ValueError("A forest plot needs at least one row.")
    layout = _layout(plot)
    axis = _axis(plot, layout.plot_left, layout.plot_right)
    out = _heading_svg(plot, layout)
    for i, row in enumerate(plot.rows):
        out.append(_row_svg(row, plot, axis, ROWS_TOP + ROW * i + ROW / 2, layout))
    axis_y = ROWS_TOP + ROW * len(plot.rows) + 6
    out += _axis_svg(plot, axis, axis_y)
    below = axis_y + 5 + SIZE + LINE_GAP
    favours, favours_right = _favours_svg(plot, axis, below)
    if favours:
        out += favours
        below += LINE_GAP
    out.append(
        f'<text class="axis-label" x="{(layout.plot_left + layout.plot_right) / 2:.2f}" '
        f'y="{below}" text-anchor="middle">{escape(plot.axis_label)}</text>'
    )
    for note in _notes(plot):
        below += LINE_GAP
        out.append(
            f'<text x="{MARGIN}" y="{below}" font-size="{SIZE - 2}" fill="{GREY}">'
            f"{escape(note)}</text>"
        )
    width = max(layout.width, favours_right)
    return "\n".join([*_document_head(plot, width, below + MARGIN), *out, "</svg>"])


@dataclass
class Layout:
    """The columns, left to right: study, arms, the plot, the estimate in words."""

    arms_head: str
    estimate_head: str
    study_x: float
    study_w: float
    arms_x: float
    arms_w: float
    plot_left: float
    plot_right: float
    text_x: float
    bias_x: float  # the first risk-of-bias column's centre (unused without them)
    width: float


def _layout(plot: ForestPlot) -> Layout:
    """Each column as wide as its longest text, within bounds."""
    arms_head = "Arm" if plot.per_arm else "Comparison"
    estimate_head = f"{'Value' if plot.per_arm else _short(plot.measure)} [95% CI]"
    study_w = _width(["Study", *(r.study for r in plot.rows)], 60, 220)
    arms_w = _width([arms_head, *(r.arms for r in plot.rows)], 80, 320)
    text_w = _width([estimate_head, *(r.text for r in plot.rows)], 100, 260)
    study_x = MARGIN
    arms_x = study_x + study_w + GAP
    plot_left = arms_x + arms_w + GAP + 6
    plot_right = plot_left + PLOT_W
    text_x = plot_right + GAP + 6
    bias_x = text_x + text_w + GAP + BIAS_COLUMN / 2
    width = text_x + text_w + MARGIN
    if plot.bias_columns:
        width = bias_x + BIAS_COLUMN * (len(plot.bias_columns) - 0.5) + BIAS_GAP + MARGIN
    return Layout(
        arms_head=arms_head,
        estimate_head=estimate_head,
        study_x=study_x,
        study_w=study_w,
        arms_x=arms_x,
        arms_w=arms_w,
        plot_left=plot_left,
        plot_right=plot_right,
        text_x=text_x,
        bias_x=bias_x,
        width=width,
    )


def _axis(plot: ForestPlot, left: float, right: float) -> Axis:
    """Log for ratios; else linear, holding the line of no effect (or 0, from which percentages
    and medians are read), and centred on 0 for a difference."""
    estimates = [float(r.estimate) for r in plot.rows]
    bounds = [float(b) for r in plot.rows for b in (r.low, r.high) if b is not None]
    if plot.log:
        return log_axis(estimates, bounds, left, right)
    include: tuple[float, ...] = ()
    if plot.null is not None:
        include = (plot.null,)
    elif plot.kind in (OutcomeKind.PROPORTION, OutcomeKind.TIME_TO_EVENT, OutcomeKind.COUNT):
        include = (0.0,)  # percentages and medians are read from zero
    return linear_axis(estimates, bounds, left, right, include=include, symmetric=not plot.per_arm)


def _heading_svg(plot: ForestPlot, layout: Layout) -> list[str]:
    """The title, the columns' headings and the rule under them."""
    return [
        f'<text x="{MARGIN}" y="{TITLE_Y}" font-weight="bold">{escape(plot.title)}</text>',
        f'<g font-weight="bold">'
        f'<text x="{layout.study_x}" y="{HEAD_Y}">Study</text>'
        f'<text x="{layout.arms_x}" y="{HEAD_Y}">{layout.arms_head}</text>'
        f'<text x="{layout.text_x}" y="{HEAD_Y}">{escape(layout.estimate_head)}</text>'
        + "".join(
            f'<text x="{_bias_x(layout, plot, i):.2f}" y="{HEAD_Y}" text-anchor="middle" '
            f'font-size="{SIZE - 2}">{escape(_bias_head(column))}</text>'
            for i, column in enumerate(plot.bias_columns)
        )
        + "</g>",
        f'<line x1="{MARGIN}" y1="{ROWS_TOP}" x2="{layout.width - MARGIN}" y2="{ROWS_TOP}" '
        f'stroke="{GREY}" stroke-width="0.6"/>',
    ]


def _axis_svg(plot: ForestPlot, axis: Axis, axis_y: float) -> list[str]:
    """The line of no effect down the rows, the axis under them, and its ticks."""
    out = []
    if plot.null is not None:
        x = axis.x(plot.null)
        out.append(
            f'<line class="null-line" x1="{x:.2f}" y1="{ROWS_TOP}" x2="{x:.2f}" y2="{axis_y}" '
            f'stroke="{INK}" stroke-width="1"/>'
        )
    out.append(
        f'<line class="axis" x1="{axis.left:.2f}" y1="{axis_y}" x2="{axis.right:.2f}" '
        f'y2="{axis_y}" stroke="{INK}" stroke-width="1"/>'
    )
    for tick in axis.ticks:
        x = axis.x(tick)
        out.append(
            f'<line class="tick" x1="{x:.2f}" y1="{axis_y}" x2="{x:.2f}" y2="{axis_y + 5}" '
            f'stroke="{INK}" stroke-width="1"/>'
            f'<text class="tick-label" x="{x:.2f}" y="{axis_y + 5 + SIZE}" text-anchor="middle" '
            f'font-size="{SIZE - 1}">{tick_text(tick)}</text>'
        )
    return out


def _favours_svg(plot: ForestPlot, axis: Axis, y: float) -> tuple[list[str], float]:
    """The "Favours ..." labels either side of the line of no effect, and how far right the
    document must reach to hold them (0 when there is no right label)."""
    left_label, right_label = (label.strip() for label in plot.favours)
    if plot.null is None or not (left_label or right_label):
        return [], 0
    x = axis.x(plot.null)
    out, right = [], 0
    if left_label:
        out.append(
            f'<text class="favours" x="{x - 6:.2f}" y="{y}" text-anchor="end" '
            f'font-size="{SIZE - 1}">← Favours {escape(left_label)}</text>'
        )
    if right_label:
        right = x + 6 + len(f"Favours {right_label} →") * CHAR + MARGIN
        out.append(
            f'<text class="favours" x="{x + 6:.2f}" y="{y}" font-size="{SIZE - 1}">'
            f"Favours {escape(right_label)} →</text>"
        )
    return out, right


def _bias_x(layout: Layout, plot: ForestPlot, index: int) -> float:
    """The centre of risk-of-bias column `index`; the last (overall) one set apart."""
    apart = BIAS_GAP if index == len(plot.bias_columns) - 1 else 0
    return layout.bias_x + index * BIAS_COLUMN + apart


def _bias_head(column: str) -> str:
    return "All" if column == "Overall" else column


def _bias_svg(row: ForestRow, plot: ForestPlot, layout: Layout, cy: float) -> str:
    """The row's risk-of-bias dots, robvis-style (none: the result has no consensus yet)."""
    parts = []
    for index, (column, (judgement, colour, symbol)) in enumerate(
        zip(plot.bias_columns, row.bias, strict=False)
    ):
        x = _bias_x(layout, plot, index)
        parts.append(
            f'<g class="bias"><title>{escape(row.study)}, {column}: {escape(judgement)}</title>'
            f'<circle cx="{x:.2f}" cy="{cy:.2f}" r="{BIAS_R}" fill="{colour}" stroke="{INK}" '
            f'stroke-width="0.8"/><text x="{x:.2f}" y="{cy + SIZE * 0.35:.2f}" '
            f'text-anchor="middle" font-size="{SIZE - 2}" font-weight="bold">{symbol}</text></g>'
        )
    return "".join(parts)


def _notes(plot: ForestPlot) -> list[str]:
    notes = ["Each study's own estimate, as reported; not pooled."]
    if plot.bias_columns:
        notes.append(plot.bias_note)
    if plot.omitted:
        notes.append(
            f"{plot.omitted} arm value{'s' if plot.omitted > 1 else ''} of another kind or "
            "unit not drawn."
        )
    return notes


def _document_head(plot: ForestPlot, width: float, height: float) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" font-size="{SIZE}" '
        'role="img" aria-labelledby="forest-title">',
        f'<title id="forest-title">Forest plot: {escape(plot.title)}</title>',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
    ]


def _fit(text: str, width: float) -> str:
    room = max(int(width / CHAR), 4)
    return text if len(text) <= room else text[: room - 1].rstrip() + "…"


def _width(texts: list[str], least: float, most: float) -> float:
    return min(max([least, *(len(t) * CHAR for t in texts)]), most)


def _short(measure: str) -> str:
    return {"hr": "HR", "or": "OR", "rr": "RR", "rd": "RD", "md": "MD"}.get(measure, measure)


def _row_svg(row: ForestRow, plot: ForestPlot, axis: Axis, cy: float, layout: Layout) -> str:
    """One row: its study and arms (cut to their column, whole in a tooltip), the estimate in
    words, and the square and interval on the axis."""
    baseline = cy + SIZE * 0.35
    parts = ['<g class="forest-row">']
    for x, w, text in ((layout.study_x, layout.study_w, row.study),
                       (layout.arms_x, layout.arms_w, row.arms)):  # fmt: skip
        fitted = _fit(text, w)
        tip = f"<title>{escape(text)}</title>" if fitted != text else ""
        parts.append(f'<text x="{x}" y="{baseline:.2f}">{tip}{escape(fitted)}</text>')
    parts.append(
        f'<text class="estimate-text" x="{layout.text_x:.2f}" y="{baseline:.2f}">'
        f"{escape(row.text)}</text>"
    )
    if row.low is not None and row.high is not None:
        low, high = float(row.low), float(row.high)
        x1, x2 = axis.x(axis.clamp(low)), axis.x(axis.clamp(high))
        parts.append(
            f'<line class="ci" x1="{x1:.2f}" y1="{cy:.2f}" x2="{x2:.2f}" y2="{cy:.2f}" '
            f'stroke="{COLOURS["line"]}" stroke-width="1.4"/>'
        )
        if low < axis.low:
            parts.append(_arrow(x1, cy, -1))
        if high > axis.high:
            parts.append(_arrow(x2, cy, 1))
    x = axis.x(float(row.estimate))
    half = SQUARE / 2
    parts.append(
        f'<rect class="estimate" x="{x - half:.2f}" y="{cy - half:.2f}" width="{SQUARE}" '
        f'height="{SQUARE}" fill="{COLOURS["square"]}"/>'
    )
    parts.append(_bias_svg(row, plot, layout, cy))
    parts.append("</g>")
    return "".join(parts)


def _arrow(x: float, y: float, direction: int) -> str:
    """A small triangle at the axis' end, pointing the way the interval goes on."""
    tip, back = x + 3 * direction, x - 5 * direction
    return (
        f'<polygon class="arrow" points="{tip:.2f},{y:.2f} {back:.2f},{y - 4:.2f} '
        f'{back:.2f},{y + 4:.2f}" fill="{COLOURS["line"]}"/>'
    )
