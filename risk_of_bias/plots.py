"""What the two risk-of-bias plots share: the judgements, robvis's colour schemes, symbols and
words, the data a plot is drawn from, the checks on it, and the SVG document around a plot.
The plots themselves are drawn in plot_traffic.py (`traffic_light_svg`) and plot_summary.py
(`summary_svg`): plain data in, standalone SVG out, no Django and no model; `plot_png` draws
either with the project's cairo renderer.

The colours, symbols and words follow robvis, the R package by Luke McGuinness that made these
plots standard: github.com/mcguinlu/robvis, R/helpers.R (`get_colour`: the "cochrane" and
"colourblind" schemes) and R/rob_traffic_light.R (`rob_traffic_light_rob2`: the shapes + - x ?,
drawn here with a capital X, and the legend's words). Written anew here, not translated.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from screening.prisma.svg import FONT, SIZE, render_png

LOW, SOME_CONCERNS, HIGH, NO_INFORMATION = "low", "some concerns", "high", "no information"
JUDGEMENTS = (LOW, SOME_CONCERNS, HIGH, NO_INFORMATION)  # the order of a summary bar, left first
COLOUR_SCHEMES = {
    "cochrane": {
        LOW: "#02C100",
        SOME_CONCERNS: "#E2DF07",
        HIGH: "#BF0000",
        NO_INFORMATION: "#4EA1F7",
    },
    "colourblind": {
        LOW: "#fed98e",
        SOME_CONCERNS: "#fe9929",
        HIGH: "#d95f0e",
        NO_INFORMATION: "#ffffff",  # white: so every shape has a black outline
    },
}
SYMBOLS = {LOW: "+", SOME_CONCERNS: "-", HIGH: "X", NO_INFORMATION: "?"}
# robvis's words: the traffic light's legend says "High", the summary's "High risk".
LIGHT_WORDS = {
    LOW: "Low",
    SOME_CONCERNS: "Some concerns",
    HIGH: "High",
    NO_INFORMATION: "No information",
}
BAR_WORDS = {**LIGHT_WORDS, LOW: "Low risk", HIGH: "High risk"}

INK, MUTED = "#000000", "#6b6b6b"
MARGIN, GAP, LINE = 12, 16, 17
TITLE_Y = MARGIN + SIZE


@dataclass(frozen=True)
class PlotRow:
    label: str
    judgements: dict[str, str]  # domain id -> judgement
    overall: str
    weight: float = 1.0
    note: str = ""


@dataclass(frozen=True)
class PlotDomain:
    id: str
    name: str


def plot_png(svg: str) -> bytes:
    """Either plot as PNG, drawn by cairo from the same SVG (as the PRISMA diagram)."""
    return render_png(svg)


def text_width(text: str, size: float = SIZE) -> float:
    """A generous guess at Arial's width: capitals are wide ("HARMONi-A"), so a label measured
    so never runs into the circles or bars beside it."""
    return sum(0.72 if char.isupper() else 0.55 for char in text) * size


def fit(text: str, width: float) -> str:
    """The text cut with an ellipsis to fit `width`."""
    while len(text) > 4 and text_width(text) > width:
        text = text[:-2].rstrip() + "…"
    return text


def check_plot(rows: list[PlotRow], domains: list[PlotDomain], colours: str, plot: str) -> None:
    """Refuses what cannot be drawn honestly: no result, an unknown colour scheme, a missing
    judgement or one that is not one of the four (named, with the result and the domain)."""
    if not rows:
        raise ValueError(f"A {plot} needs at least one assessed result.")
    if colours not in COLOUR_SCHEMES:
        raise ValueError(f"Unknown colour scheme {colours!r}: use one of {list(COLOUR_SCHEMES)}.")
    for row in rows:
        for where, value in [*((d.id, row.judgements.get(d.id)) for d in domains),
                             ("Overall", row.overall)]:  # fmt: skip
            if value is None:
                raise ValueError(f"{row.label!r} has no judgement for {where}.")
            if value not in JUDGEMENTS:
                raise ValueError(
                    f"Unknown risk-of-bias judgement {value!r} ({row.label}, {where})."
                )


def document(name: str, width: float, height: float, title: str, desc: str, body: list[str]) -> str:
    """The standalone SVG around a plot's `body`: one image for a screen reader, named by its
    title and described by `desc` (the plot in words), on white, with the title drawn on top."""
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" font-size="{SIZE}" '
            f'role="img" aria-labelledby="{name}-title {name}-desc">',
            f'<title id="{name}-title">{escape(title)}</title>',
            f'<desc id="{name}-desc">{escape(desc)}</desc>',
            f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
            f'<text x="{MARGIN}" y="{TITLE_Y}" font-weight="bold">{escape(title)}</text>',
            *body,
            "</svg>",
        ]
    )
