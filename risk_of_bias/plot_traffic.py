"""The traffic-light plot of risk of bias as standalone SVG: one row per assessed result, a
circle per domain and one for the overall judgement (in its own grey column, set apart), each in
the judgement's colour with its symbol, and below, the domains' names and the judgements' key.

The look follows robvis (github.com/mcguinlu/robvis): R/rob_traffic_light.R
(`rob_traffic_light_rob2`: the columns D1..D5 and Overall, the shapes, the "Domains:" caption)
and R/helpers.R (`rob_tf_theme`: the grey heading strips, the grey overall column, the circles'
black outline, the "Judgement" legend). Written anew here, not translated.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from risk_of_bias.plots import (
    COLOUR_SCHEMES,
    GAP,
    HIGH,
    INK,
    LIGHT_WORDS,
    LINE,
    LOW,
    MARGIN,
    MUTED,
    NO_INFORMATION,
    SIZE,
    SOME_CONCERNS,
    SYMBOLS,
    TITLE_Y,
    PlotDomain,
    PlotRow,
    check_plot,
    document,
    fit,
    text_width,
)

RULE, STRIP, OVERALL_FILL = "#bdbdbd", "#a9a9a9", "#d3d3d3"  # robvis's panel, strip, overall
CELL, RADIUS, SEPARATION = 34, 12, 8  # a cell, its circle, the gap before the overall column
STRIP_H = 22
LABEL_MOST = 440  # a longer label is cut (whole in its tooltip) rather than widen the plot


def _light(
    cx: float,
    cy: float,
    judgement: str,
    scheme: dict,
    radius: float,
    tip: str = "",
    column: str = "",
) -> str:
    """A filled circle with the judgement's symbol in it: a cell of the plot (with its column
    and a tooltip) or, without a column, a key in the legend."""
    size = radius * 1.4  # the symbol fills most of the circle, as robvis's
    kind = f'class="cell" data-column="{escape(column)}"' if column else 'class="key"'
    title = f"<title>{escape(tip)}</title>" if tip else ""
    return (
        f'<g {kind} data-judgement="{judgement}">{title}'
        f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius}" fill="{scheme[judgement]}" '
        f'stroke="{INK}" stroke-width="0.8"/>'
        f'<text x="{cx:.1f}" y="{cy + size * 0.35:.1f}" text-anchor="middle" font-weight="bold" '
        f'font-size="{size:.0f}" aria-hidden="true">{SYMBOLS[judgement]}</text></g>'
    )


def traffic_light_svg(
    rows: list[PlotRow], domains: list[PlotDomain], *, title: str, colours: str = "cochrane"
) -> str:
    """One row per result, one circle per domain and one for overall, and the legend below."""
    check_plot(rows, domains, colours, "traffic-light plot")
    scheme = COLOUR_SCHEMES[colours]
    # Up to a whole pixel: a label measured to fit its column must still fit.
    label_w = math.ceil(min(max(60, *(_label_width(r) for r in rows)), LABEL_MOST))
    columns, x = [], MARGIN + label_w + GAP
    for name in [*(d.id for d in domains), "Overall"]:
        if name == "Overall":
            x += SEPARATION  # the overall column stands apart, as robvis's
        width = max(CELL, round(text_width(name)) + 8)  # "Overall" is wider than a circle's cell
        columns.append((name, x, width))
        x += width
    grid_x, right = columns[0][1], x
    strip_y = TITLE_Y + 2 * LINE
    top = strip_y + STRIP_H
    body = [
        f'<text x="{(grid_x + right) / 2:.1f}" y="{strip_y - 6}" text-anchor="middle">'
        "Risk of bias domains</text>",
        f'<text x="{MARGIN}" y="{strip_y + 15}" font-weight="bold">Study</text>',
    ]
    for name, x, width in columns:
        body.append(
            f'<rect x="{x:.1f}" y="{strip_y}" width="{width:.1f}" height="{STRIP_H}" '
            f'fill="{STRIP}" stroke="{RULE}" stroke-width="0.6"/>'
            f'<text x="{x + width / 2:.1f}" y="{strip_y + 15}" text-anchor="middle">'
            f"{escape(name)}</text>"
        )
    for i, row in enumerate(rows):
        y = top + CELL * i
        body.append(_label_svg(row, y + CELL / 2, label_w))
        body += [_cell_svg(row, column, y, scheme) for column in columns]
    legend, legend_right, bottom = _light_legend(domains, scheme, top + CELL * len(rows) + 28)
    desc = "; ".join(
        f"{r.label}: "
        + ", ".join([*(f"{d.id} {r.judgements[d.id]}" for d in domains), f"overall {r.overall}"])
        for r in rows
    )
    width = max(right, legend_right) + MARGIN
    return document("rob-traffic", width, bottom + MARGIN, title, desc, body + legend)


def _cell_svg(row: PlotRow, column: tuple[str, float, float], y: float, scheme: dict) -> str:
    """A result's judgement in one column: the cell (grey for overall) and its light."""
    name, x, width = column
    judgement = row.overall if name == "Overall" else row.judgements[name]
    fill = OVERALL_FILL if name == "Overall" else "#ffffff"
    tip = f"{row.label}, {name}: {judgement}"
    return (
        f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{CELL}" fill="{fill}" '
        f'stroke="{RULE}" stroke-width="0.6"/>'
        + _light(x + width / 2, y + CELL / 2, judgement, scheme, RADIUS, tip, column=name)
    )


def _label_width(row: PlotRow) -> float:
    note = text_width(f"  {row.note}", SIZE - 2) if row.note else 0
    return text_width(row.label) + note


def _label_svg(row: PlotRow, cy: float, width: float) -> str:
    """The result's label, cut to its column (whole in a tooltip), and its note, muted."""
    note = text_width(f"  {row.note}", SIZE - 2) if row.note else 0
    fitted = fit(row.label, width - note)
    tip = f"<title>{escape(row.label)}</title>" if fitted != row.label else ""
    muted = (
        f'<tspan fill="{MUTED}" font-size="{SIZE - 2}">  {escape(row.note)}</tspan>'
        if row.note
        else ""
    )
    return (
        f'<text class="label" x="{MARGIN}" y="{cy + SIZE * 0.35:.1f}" xml:space="preserve">'
        f"{tip}{escape(fitted)}{muted}</text>"
    )


def _light_legend(domains: list[PlotDomain], scheme: dict, top: float):
    """robvis's caption and legend: the domains with their names at left, the judgements with
    their colours and symbols at right. Returns the SVG, its right edge and its bottom."""
    out = [f'<text x="{MARGIN}" y="{top}" font-weight="bold">Domains:</text>']
    lines = [f"{d.id}: {d.name}" for d in domains]
    for i, line in enumerate(lines):
        out.append(f'<text x="{MARGIN}" y="{top + LINE * (i + 1)}">{escape(line)}</text>')
    x = MARGIN + max([0, *(text_width(line) for line in lines)]) + 2 * GAP
    out.append(f'<text x="{x:.1f}" y="{top}" font-weight="bold">Judgement</text>')
    order = (HIGH, SOME_CONCERNS, LOW, NO_INFORMATION)  # robvis's legend order
    for i, judgement in enumerate(order):
        y = top + LINE * (i + 1) + 4 * i
        out.append(_light(x + 8, y - 4, judgement, scheme, 8, ""))
        out.append(f'<text x="{x + 22:.1f}" y="{y}">{LIGHT_WORDS[judgement]}</text>')
    right = x + 22 + max(text_width(word) for word in LIGHT_WORDS.values())
    bottom = top + max(LINE * len(lines), (LINE + 4) * len(order))
    return out, right, bottom
