"""Forest plots of one outcome across a review's studies, drawn as SVG on the server.

An outcome is every outcome of that name (letter case aside) in the review's studies. With
between-arm estimates, the plot has one row per comparison: the study, the arm against its
comparator, the estimate and its 95% CI in words, a square at the estimate and a line for the
interval (an arrow where it runs off the axis), and a vertical line of no effect: at 1 on a log
axis for ratios, at 0 on a linear one for differences. An outcome reported only arm by arm (a
response rate in %, a median in months) gets the per-arm plot instead: one row per study x arm,
a linear axis and no line of no effect. A row without an interval shows its point and says "CI
not reported". The squares are all one size: these are the studies' own estimates, not pooled.
Beside each row, when its result has a risk-of-bias consensus, robvis's dots for D1-D5 and the
overall judgement (bias.py asks the risk_of_bias app through a setting).

    choices = forest_choices(review)             # what the picker offers, in two queries
    chosen = default_choice(choices)             # the one with the most studies, then rows
    plot = forest_plot(review, "Progression-free survival", measure="hr")
    svg = render_svg(plot)                       # render_png(svg) from screening.prisma.svg

plot.py says what a plot is, data.py reads it, axis.py scales it and svg.py draws it.
"""

from .axis import Axis, linear_axis, log_axis
from .bias import with_risk_of_bias
from .data import default_choice, forest_choices, forest_plot
from .plot import ARMS, ForestChoice, ForestPlot, ForestRow, outcome_key
from .svg import render_svg

__all__ = [
    "ARMS",
    "Axis",
    "default_choice",
    "ForestChoice",
    "ForestPlot",
    "ForestRow",
    "forest_choices",
    "forest_plot",
    "linear_axis",
    "log_axis",
    "outcome_key",
    "render_svg",
    "with_risk_of_bias",
]
