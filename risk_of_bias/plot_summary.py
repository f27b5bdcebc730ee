"""The summary plot of risk of bias as standalone SVG: per domain, and last for the overall
judgement, one horizontal bar split into the shares of results judged low, some concerns, high
and no information, weighted (by each result's weight) or not; a 0-100% axis and a key below.
The shares are exact fractions of the total weight, so a bar's segments fill it exactly.

The look follows robvis (github.com/mcguinlu/robvis): R/rob_summary.R (`rob_summary_rob2`: the
domains' names, "Overall risk of bias", the judgements' order and words) and R/helpers.R
(`rob_summ_theme`: bars 0.7 of a row with black outlines, domains top to bottom and overall last
in bold, the percentage axis, the boxed key below). Written anew here, not translated.
"""

from __future__ import annotations

import math
from fractions import Fraction
from xml.sax.saxutils import escape

from risk_of_bias.plots import (
    BAR_WORDS,
    COLOUR_SCHEMES,
    GAP,
    INK,
    JUDGEMENTS,
    LINE,
    MARGIN,
    MUTED,
    SIZE,
    TITLE_Y,
    PlotDomain,
    PlotRow,
    check_plot,
    document,
    text_width,
)

OVERALL_BAR = "Overall risk of bias"
ROW, BAR_H, BAR_W = 30, 21, 480  # a bar fills 0.7 of its row, as robvis's
TICKS = (0, 25, 50, 75, 100)


def summary_svg(
    rows: list[PlotRow],
    domains: list[PlotDomain],
    *,
    title: str,
    weighted: bool = True,
    colours: str = "cochrane",
) -> str:
    """One bar per domain and one for overall (robvis's order: domains top to bottom, overall
    last), each split into the shares of the judgements, left to right low to no information."""
    check_plot(rows, domains, colours, "summary plot")
    scheme = COLOUR_SCHEMES[colours]
    weights = _weights(rows, weighted)
    bars = [(d.name, [r.judgements[d.id] for r in rows]) for d in domains]
    bars.append((OVERALL_BAR, [r.overall for r in rows]))
    # On a whole pixel: crisp edges, and the axis' ends are the bar's exactly.
    bar_x = MARGIN + round(max(text_width(name) for name, _ in bars)) + GAP
    top = TITLE_Y + LINE
    body, desc = [], []
    for i, (name, judgements) in enumerate(bars):
        shares = _shares(judgements, weights)
        y = top + ROW * i + (ROW - BAR_H) / 2
        bold = ' font-weight="bold"' if i == len(bars) - 1 else ""  # overall, as robvis
        body.append(
            f'<text x="{bar_x - 8:.1f}" y="{y + BAR_H / 2 + SIZE * 0.35:.1f}" '
            f'text-anchor="end"{bold}>{escape(name)}</text>'
        )
        body += _bar_svg(name, shares, bar_x, y, scheme)
        words = (f"{BAR_WORDS[j].lower()} {_percent(s)}" for j, s in shares.items() if s)
        desc.append(f"{name}: {', '.join(words)}")
    axis_y = top + ROW * len(bars) + 4
    body += _axis_svg(bar_x, axis_y)
    legend, right, bottom = _bar_legend(bar_x + BAR_W / 2, axis_y + 5 + SIZE + 14, scheme)
    how = (
        "Weighted: each result counts in proportion to its weight."
        if weighted
        else "Unweighted: each result counts once."
    )
    body += [
        *legend,
        f'<text x="{MARGIN}" y="{bottom + LINE}" font-size="{SIZE - 2}" fill="{MUTED}">'
        f"{how}</text>",
    ]
    # The axis' last label, "100%", is centred on the bar's end: room for its half.
    width = max(bar_x + BAR_W + text_width("100%", SIZE - 1) / 2, right) + MARGIN
    desc_text = f"{how} " + "; ".join(desc)
    return document("rob-summary", width, bottom + LINE + MARGIN, title, desc_text, body)


def _weights(rows: list[PlotRow], weighted: bool) -> list[Fraction]:
    """Each result's weight as an exact fraction (so the shares are exact), or 1 each."""
    if not weighted:
        return [Fraction(1)] * len(rows)
    for row in rows:
        if not math.isfinite(row.weight) or row.weight < 0:
            raise ValueError(f"The weight of {row.label!r} must be 0 or more, not {row.weight!r}.")
    weights = [Fraction(row.weight) for row in rows]
    if not sum(weights):
        raise ValueError("The results' weights add up to 0: a weighted summary cannot be drawn.")
    return weights


def _shares(judgements: list[str], weights: list[Fraction]) -> dict[str, Fraction]:
    """Each judgement's share of the total weight, in the bar's order; they sum to exactly 1."""
    total = sum(weights)
    return {
        judgement: sum((w for j, w in zip(judgements, weights, strict=True) if j == judgement),
                       Fraction(0)) / total
        for judgement in JUDGEMENTS
    }  # fmt: skip


def _percent(share: Fraction) -> str:
    return f"{float(share * 100):.1f}".removesuffix(".0") + "%"


def _bar_svg(name: str, shares: dict[str, Fraction], left: float, y: float, scheme: dict):
    """The bar's segments, each from where the shares before it end: the last ends at the bar's
    full width exactly. A judgement nobody made draws nothing."""
    out, done = [], Fraction(0)
    for judgement, share in shares.items():
        if not share:
            continue
        x0, done = left + float(BAR_W * done), done + share
        x1 = left + float(BAR_W * done)
        tip = f"{name}: {BAR_WORDS[judgement]} {_percent(share)}"
        out.append(
            f'<rect class="segment" data-judgement="{judgement}" x="{x0:.3f}" y="{y:.1f}" '
            f'width="{x1 - x0:.3f}" height="{BAR_H}" fill="{scheme[judgement]}" stroke="{INK}" '
            f'stroke-width="0.6"><title>{escape(tip)}</title></rect>'
        )
    return out


def _axis_svg(left: float, y: float) -> list[str]:
    out = [
        f'<line x1="{left:.1f}" y1="{y}" x2="{left + BAR_W:.1f}" y2="{y}" stroke="{INK}" '
        'stroke-width="1"/>'
    ]
    for tick in TICKS:
        x = left + BAR_W * tick / 100
        out.append(
            f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 5}" stroke="{INK}"/>'
            f'<text x="{x:.1f}" y="{y + 5 + SIZE}" text-anchor="middle" font-size="{SIZE - 1}">'
            f"{tick}%</text>"
        )
    return out


def _bar_legend(centre: float, top: float, scheme: dict):
    """The judgements' swatches in a box, centred under the bars, as robvis's. Returns the SVG,
    its right edge and its bottom."""
    widths = [14 + 6 + text_width(BAR_WORDS[j]) + GAP for j in JUDGEMENTS]
    box_w = sum(widths) + GAP / 2
    x = max(MARGIN, centre - box_w / 2)
    out = [
        f'<rect x="{x:.1f}" y="{top}" width="{box_w:.1f}" height="26" fill="none" '
        f'stroke="{INK}" stroke-width="0.6"/>'
    ]
    at = x + GAP / 2
    for judgement, width in zip(JUDGEMENTS, widths, strict=True):
        out.append(
            f'<rect class="key" x="{at:.1f}" y="{top + 6}" width="14" height="14" '
            f'fill="{scheme[judgement]}" stroke="{INK}" stroke-width="0.6"/>'
            f'<text x="{at + 20:.1f}" y="{top + 17.5}">{BAR_WORDS[judgement]}</text>'
        )
        at += width
    return out, x + box_w, top + 26
