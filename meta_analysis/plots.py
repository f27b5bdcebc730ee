"""The meta-analysis plots: the forest plot (forest_svg.py) and, with 10 studies or more, the
funnel plot (funnel_svg.py), both as SVG; their shared parts and RevMan's words are in
plot_parts.py."""

from .forest_svg import forest_svg
from .funnel_svg import funnel_svg

__all__ = ["forest_svg", "funnel_svg"]
