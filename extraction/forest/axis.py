"""A forest plot's axis: log (about 1) for ratios, linear with round ticks otherwise, and where
a value falls on it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

LOG_FLOOR, LOG_CEILING = 0.01, 100.0  # a ratio's CI is cut there (with an arrow)


@dataclass
class Axis:
    low: float
    high: float
    log: bool
    left: float
    right: float
    ticks: list[float] = field(default_factory=list)

    def x(self, value: float) -> float:
        if self.log:
            share = (math.log(value) - math.log(self.low)) / (
                math.log(self.high) - math.log(self.low)
            )
        else:
            share = (value - self.low) / (self.high - self.low)
        return self.left + share * (self.right - self.left)

    def clamp(self, value: float) -> float:
        return min(max(value, self.low), self.high)


def _log_ticks() -> list[float]:
    """1e-6, 2e-6, 5e-6 ... 0.5, 1, 2, 5 ... 1e6: closed under 1/x, so the axis is symmetric."""
    return [m * 10.0**k for k in range(-6, 7) for m in (1, 2, 5) if m * 10.0**k <= 1e6]


def log_axis(estimates: list[float], bounds: list[float], left: float, right: float) -> Axis:
    """A log axis symmetric about 1 that holds every estimate, and the intervals as far as
    LOG_FLOOR and LOG_CEILING."""
    bounds = [b for b in bounds if b > 0]
    low = min([1.0, *estimates, *(max(b, min([LOG_FLOOR, *estimates])) for b in bounds)])
    high = max([1.0, *estimates, *(min(b, max([LOG_CEILING, *estimates])) for b in bounds)])
    reach = max(1 / low, high) * (1 - 1e-9)
    ticks = _log_ticks()
    top = next((t for t in ticks if t >= reach), ticks[-1])
    top = max(top, 2.0)
    shown = [t for t in ticks if 1 / top * (1 - 1e-9) <= t <= top * (1 + 1e-9)]
    if len(shown) > 9:  # a wide axis: powers of ten only
        shown = [t for t in shown if math.isclose(math.log10(t), round(math.log10(t)))]
    return Axis(1 / top, top, True, left, right, shown)


def _nice_step(span: float) -> float:
    raw = span / 5
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def linear_axis(
    estimates: list[float],
    bounds: list[float],
    left: float,
    right: float,
    *,
    include: tuple[float, ...] = (),
    symmetric: bool = False,
) -> Axis:
    """A linear axis with round ticks that holds every estimate (and `include`, the null line
    or 0); an interval reaching further than twice the estimates' spread is cut, with an arrow.
    A symmetric axis is centred on 0, as a difference's is, so each side has its room."""
    points = [*estimates, *include]
    low, high = min(points), max(points)
    spread = (high - low) or max(abs(high), 1.0)
    low = min([low, *(max(b, low - 2 * spread) for b in bounds)])
    high = max([high, *(min(b, high + 2 * spread) for b in bounds)])
    if symmetric:
        high = max(abs(low), abs(high))
        low = -high
    if low == high:
        low, high = low - 1, high + 1
    step = _nice_step(high - low)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    ticks = [round(i * step, 10) for i in range(first, last + 1)]
    return Axis(ticks[0], ticks[-1], False, left, right, ticks)


def tick_text(value: float) -> str:
    return f"{round(value, 6):g}"
