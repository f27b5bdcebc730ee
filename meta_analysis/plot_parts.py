"""What the meta-analysis plots say and share: how numbers and P values are written,
the forest plot's rows in words (RevMan's: "Heterogeneity: Tau² = 0.03; Chi² = 2.53, df = 1
(P = 0.11); I² = 60%"), text and the SVG document around a plot. Where things go, and the
drawing, is in forest_svg.py and funnel_svg.py: an AnalysisRun in, standalone SVG out, no
database. `render_png` (the project's cairo renderer, from screening.prisma.svg) makes a PNG of
either.

    svg = forest_svg(run)
    svg = funnel_svg(run)        # None under 10 studies
    png = render_png(svg)

The axes are extraction's forest plot axes (extraction/forest/axis.py): a log axis symmetric
about 1 for ratios, a linear one with round ticks otherwise; `Axis.x(value)` says where a value
falls, and the plots expose theirs (`forest_axis`, `funnel_axes`) so that a test can check it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

from extraction.forest.axis import Axis, tick_text
from screening.prisma.svg import FONT, SIZE, render_png

from .pooling import PoolResult, SubgroupResult
from .results import AnalysisRun, StudyRow

__all__ = ["Axis", "FONT", "SIZE", "render_png"]

CHAR = 7.2  # a generous average character width at SIZE: text must not run into the next column
SMALL = SIZE - 2
SMALL_CHAR = CHAR * SMALL / SIZE
MARGIN, GAP, LINE_GAP = 12, 16, 20
INK, GREY, NOTE = "#000000", "#6b6b6b", "#b35900"
SQUARE, LINE_COLOUR, DIAMOND = "#1f5fae", "#1d2430", "#000000"
SQUARE_MAX, SQUARE_MIN = 16.0, 4.0  # the heaviest study's square, and the least one seen
# Each arm's columns: RevMan's for counts and for means.
SUBHEADS = {"counts": ("Events", "Total"), "means": ("Mean", "SD", "Total"), "": ()}


def number(value: float) -> str:
    """Two decimals, as RevMan writes an effect; two significant digits for a value so small that
    two decimals would say 0.00 (a ratio of 0.004 is not nothing)."""
    if value != 0 and abs(value) < 0.005:
        return f"{value:.{1 - math.floor(math.log10(abs(value)))}f}"
    return f"{value:.2f}"


def effect_text(estimate: float, low: float, high: float) -> str:
    """RevMan's "0.72 [0.55, 0.94]"."""
    return f"{number(estimate)} [{number(low)}, {number(high)}]"


def effect_words(estimate: float, low: float, high: float) -> str:
    """The same for a screen reader: "0.72 (95% CI 0.55 to 0.94)"."""
    return f"{number(estimate)} (95% CI {number(low)} to {number(high)})"


def p_text(p: float) -> str:
    """RevMan's P: two decimals down to 0.01, then the first significant digit, and
    "P < 0.00001" below that."""
    if math.isnan(p):
        return "P not estimable"
    if p < 0.00001:
        return "P < 0.00001"
    if p >= 0.01:
        return f"P = {p:.2f}"
    return f"P = {p:.{-math.floor(math.log10(p))}f}"


def fit(text: str, most: int) -> str:
    """The text cut to `most` characters, an ellipsis saying it was cut."""
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def width_of(texts: list[str], char: float = CHAR) -> float:
    return max([0.0, *(len(text) * char for text in texts)])


def text(x: float, y: float, words: str, *, attrs: str = "") -> str:
    """A <text> of words that may be a user's, escaped. `attrs` are ours, never a user's."""
    space = " " if attrs else ""
    return f'<text x="{x:.2f}" y="{y:.2f}"{space}{attrs}>{escape(words)}</text>'


def axis_svg(axis: Axis, y: float) -> list[str]:
    """A horizontal axis at y with its ticks and their labels."""
    out = [
        f'<line class="axis" x1="{axis.left:.2f}" y1="{y:.2f}" x2="{axis.right:.2f}" '
        f'y2="{y:.2f}" stroke="{INK}" stroke-width="1"/>'
    ]
    for tick in axis.ticks:
        x = axis.x(tick)
        out.append(
            f'<line class="tick" x1="{x:.2f}" y1="{y:.2f}" x2="{x:.2f}" y2="{y + 5:.2f}" '
            f'stroke="{INK}" stroke-width="1"/>'
            f'<text class="tick-label" x="{x:.2f}" y="{y + 5 + SIZE:.2f}" text-anchor="middle" '
            f'font-size="{SIZE - 1}">{tick_text(tick)}</text>'
        )
    return out


def document(name: str, size: tuple[float, float], title: str, desc: str, body: list[str]) -> str:
    """A standalone SVG document, named for a screen reader by its <title> and <desc>. `name`
    keeps their ids apart from another plot's on the same page."""
    width, height = size
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" font-size="{SIZE}" '
            f'role="img" aria-labelledby="{name}-title {name}-desc">',
            f'<title id="{name}-title">{escape(title)}</title>',
            f'<desc id="{name}-desc">{escape(desc)}</desc>',
            f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
            *body,
            "</svg>",
        ]
    )


def heterogeneity_words(result: PoolResult) -> str:
    """RevMan's line; a fixed-effect model has no Tau² to give."""
    if result.k < 2:
        return "Heterogeneity: Not applicable"
    tau2 = f"Tau² = {result.tau2:.2f}; " if result.model == "random" else ""
    return (
        f"Heterogeneity: {tau2}Chi² = {result.q:.2f}, df = {result.q_df} "
        f"({p_text(result.q_p)}); I² = {result.i2:.0f}%"
    )


def overall_words(result: PoolResult) -> str:
    """RevMan's "Test for overall effect: Z = 3.21 (P = 0.001)"; t and its df under HKSJ."""
    if math.isnan(result.statistic):  # HKSJ with identical effects: no SE to test with
        return "Test for overall effect: Not estimable"
    if result.distribution == "t":
        statistic = f"t = {abs(result.statistic):.2f}, df = {result.df}"
    else:
        statistic = f"Z = {abs(result.statistic):.2f}"
    return f"Test for overall effect: {statistic} ({p_text(result.p)})"


def subgroup_difference_words(result: SubgroupResult) -> str:
    """RevMan's line, with the I² of the subgroup differences, max(0, (Q - df) / Q)."""
    q, df = result.q_between, result.q_between_df
    i2 = 100 * max(0.0, (q - df) / q) if q > 0 else 0.0
    return (
        f"Test for subgroup differences: Chi² = {q:.2f}, df = {df} "
        f"({p_text(result.q_between_p)}), I² = {i2:.1f}%"
    )


@dataclass
class Line:
    """One row of the forest plot in words, before it is placed: a subgroup's heading, a study,
    a (sub)total with its diamond, its prediction interval, its total events, a line of words
    under it (heterogeneity, tests), or a study not pooled."""

    kind: str  # heading, study, total, interval, events, words, excluded
    label: str
    css: str = ""  # its class in the SVG
    cells: tuple[str, ...] = ()  # the arms' columns
    weight: str = ""
    effect: str = ""
    interval: tuple[float, float, float] | None = None  # estimate, low, high; natural scale
    side: float = 0.0  # a study's square


def arm_mode(run: AnalysisRun) -> str:
    """What the arms' columns hold: "counts", "means", or "" (no columns)."""
    if any(row.counts for row in run.rows):
        return "counts"
    if any(row.means for row in run.rows):
        return "means"
    return ""


def lines_of(run: AnalysisRun) -> list[Line]:
    """The pooled studies' rows, each subgroup's with its subtotal, then the total."""
    included = run.included
    if run.pooled is None or not included:
        return [Line("words", "No study can be pooled.", css="nothing-pooled")]
    mode = arm_mode(run)
    tenths = shown_weights([row.weight or 0.0 for row in included])
    heaviest = max(row.weight or 0.0 for row in included)
    studies = [
        _study_line(row, shown, heaviest, mode) for row, shown in zip(included, tenths, strict=True)
    ]
    out = [] if run.subgroups else studies
    if run.subgroups:
        pooled = run.subgroups.subgroups
        for group in dict.fromkeys([*pooled, *(row.subgroup for row in included)]):
            members = [i for i, row in enumerate(included) if row.subgroup == group]
            if not members:
                continue
            out.append(Line("heading", group or "No subgroup", css="subgroup-heading"))
            out += [studies[i] for i in members]
            if group in pooled:
                rows, shown = [included[i] for i in members], sum(tenths[i] for i in members)
                out += _total_lines(run, pooled[group], rows, shown, "Subtotal (95% CI)")
    out += _total_lines(run, run.pooled, included, sum(tenths), "Total (95% CI)")
    if run.subgroups:
        words = subgroup_difference_words(run.subgroups)
        out.append(Line("words", words, css="subgroup-differences"))
    return out


def not_pooled(run: AnalysisRun) -> list[Line]:
    """The studies not pooled, each with why."""
    mode = arm_mode(run)
    return [
        Line("excluded", row.name, "study excluded", _cells(row, mode), effect=row.excluded)
        for row in run.rows
        if not row.pooled
    ]


def shown_weights(weights: list[float]) -> list[int]:
    """The weights in tenths of a percent, rounded so that they add up to the total's 100.0%:
    each is rounded down, and the tenths left go to those rounded down most (the largest
    remainder method). Each stays within 0.1 of its weight."""
    total = sum(weights)
    if total <= 0:
        return [0] * len(weights)
    exact = [1000 * weight / total for weight in weights]
    tenths = [math.floor(share) for share in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: tenths[i] - exact[i])
    for i in by_remainder[: 1000 - sum(tenths)]:
        tenths[i] += 1
    return tenths


def _study_line(row: StudyRow, tenths: int, heaviest: float, mode: str) -> Line:
    """A study's row; its square's area in proportion to its weight."""
    share = (row.weight or 0.0) / heaviest if heaviest > 0 else 1.0
    return Line(
        "study",
        row.name,
        "study",
        _cells(row, mode),
        weight=f"{tenths / 10:.1f}%",
        effect=effect_text(row.estimate, row.ci_low, row.ci_high),
        interval=(row.estimate, row.ci_low, row.ci_high),
        side=max(SQUARE_MIN, SQUARE_MAX * math.sqrt(share)),
    )


def _total_lines(
    run: AnalysisRun, result: PoolResult, rows: list[StudyRow], tenths: int, label: str
) -> list[Line]:
    """A total's (or subtotal's) diamond row, its prediction interval, its events, and the
    heterogeneity and the test for the overall effect under it."""
    mode = arm_mode(run)
    ends = tuple(run.natural(value) for value in (result.estimate, result.ci_low, result.ci_high))
    css = "total" if label.startswith("Total") else "subtotal"
    weight, effect = f"{tenths / 10:.1f}%", effect_text(*ends)
    out = [Line("total", label, css, _total_cells(rows, mode), weight, effect, interval=ends)]
    if result.prediction_interval:
        low, high = map(run.natural, result.prediction_interval)
        words = f"[{number(low)}, {number(high)}]"
        interval = (ends[0], low, high)
        out.append(
            Line(
                "interval",
                "Prediction interval",
                "prediction-interval",
                effect=words,
                interval=interval,
            )
        )
    if mode == "counts":
        counts = [row.counts for row in rows if row.counts]
        events = (sum(c.experimental_events for c in counts), sum(c.control_events for c in counts))
        cells = (str(events[0]), "", str(events[1]), "")
        out.append(Line("events", "Total events", "events", cells))
    out.append(Line("words", heterogeneity_words(result), "heterogeneity"))
    out.append(Line("words", overall_words(result), "overall-effect"))
    return out


def _cells(row: StudyRow, mode: str) -> tuple[str, ...]:
    """A study's arms: events and total of each, or mean, SD and total."""
    if mode == "counts" and row.counts:
        c = row.counts
        numbers = (c.experimental_events, c.experimental_total, c.control_events, c.control_total)
        return tuple(str(n) for n in numbers)
    if mode == "means" and row.means:
        return tuple(f"{value:g}" for arm in row.means for value in arm)
    return ()


def _total_cells(rows: list[StudyRow], mode: str) -> tuple[str, ...]:
    """The participants of each arm, under its Total column."""
    if mode == "counts":
        counts = [row.counts for row in rows if row.counts]
        totals = (sum(c.experimental_total for c in counts), sum(c.control_total for c in counts))
        return ("", str(totals[0]), "", str(totals[1]))
    if mode == "means":
        means = [row.means for row in rows if row.means]
        totals = (sum(m[0][2] for m in means), sum(m[1][2] for m in means))
        return ("", "", f"{totals[0]:g}", "", "", f"{totals[1]:g}")
    return ()
