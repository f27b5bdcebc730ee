"""The inclusions curve as SVG: relevant records found against records screened.

Drawn on the server like the PRISMA diagram, with no script and nothing fetched. The curve flattens
as prioritised screening runs out of relevant records; beside it, the straight line a random
order would follow on average and the estimated number of relevant records (when the ranking
model gives one), and a marker where random sampling for the stopping rule began.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

FONT = "Arial, Helvetica, sans-serif"
SIZE = 12
WIDTH, HEIGHT = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 70, 24, 20, 52  # margins around the plot
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
MAX_POINTS = 400
# The colours of screening/prisma/svg.py (not imported: that module pulls in Django).
BLUE, GREY, INK, NOTE = "#9dc3e6", "#d9d9d9", "#000000", "#b35900"

Point = tuple[int, int]


def render_curve(
    points: Sequence[Point],
    *,
    total: int,
    estimate: float | None = None,
    sample_start: int | None = None,
) -> str:
    """The curve from cumulative (screened, found) pairs over a stage of `total` records.

    `estimate` is the estimated number of relevant records in the stage (found so far plus the
    model's estimate of those left); `sample_start` the records screened when random sampling
    began.
    """
    points = [(int(x), int(y)) for x, y in points]
    if points and points[-1][0] > total:
        raise ValueError(f"{points[-1][0]:,} records screened, but the stage has only {total:,}.")
    if sample_start is not None and not 0 <= sample_start <= total:
        raise ValueError(
            f"Random sampling cannot begin after {sample_start:,} records: the stage has {total:,}."
        )
    if not points:
        return _svg("No records screened yet.", [_message("No records screened yet")])
    if points[0] != (0, 0):
        points.insert(0, (0, 0))
    screened, found = points[-1]
    y_top = max(found, math.ceil(estimate or 0), 1)
    y_ticks = _ticks(y_top)
    y_top = max(y_top, y_ticks[-1])
    x_top = max(total, 1)

    def sx(value: float) -> float:
        return LEFT + PLOT_W * value / x_top

    def sy(value: float) -> float:
        return TOP + PLOT_H * (1 - value / y_top)

    body = []
    for tick in _ticks(x_top, limit=total):
        body.append(_line(sx(tick), TOP, sx(tick), TOP + PLOT_H, GREY))
        body.append(_text(sx(tick), TOP + PLOT_H + 16, f"{tick:,}", anchor="middle"))
    for tick in y_ticks:
        body.append(_line(LEFT, sy(tick), LEFT + PLOT_W, sy(tick), GREY))
        body.append(_text(LEFT - 6, sy(tick) + 4, f"{tick:,}", anchor="end"))
    body.append(_line(LEFT, TOP + PLOT_H, LEFT + PLOT_W, TOP + PLOT_H, INK))
    body.append(_line(LEFT, TOP, LEFT, TOP + PLOT_H, INK))
    body.append(_text(LEFT + PLOT_W / 2, HEIGHT - 12, "Records screened", anchor="middle"))
    cx, cy = 16, TOP + PLOT_H / 2
    body.append(
        f'<text x="{cx}" y="{cy:.1f}" transform="rotate(-90 {cx} {cy:.1f})" '
        f'text-anchor="middle">Relevant records found</text>'
    )
    desc = f"{found:,} relevant records found among {screened:,} of {total:,} records screened."
    if estimate is not None:
        right, level = sx(total), sy(estimate)
        body += [
            _line(LEFT, sy(0), right, level, BLUE, 'class="random"'),
            _line(LEFT, level, right, level, NOTE, 'class="estimate" stroke-dasharray="6 4"'),
            _text(right - 4, level - 5, "estimated relevant records", anchor="end", fill=NOTE),
        ]
        desc += (
            f" Estimated relevant records: {estimate:,.0f}. The straight line is what a random"
            " order would find on average."
        )
    if sample_start is not None:
        x = sx(sample_start)
        label_x, anchor = (x - 4, "end") if sample_start > 0.8 * total else (x + 4, "start")
        body += [
            _line(x, TOP, x, TOP + PLOT_H, NOTE, 'class="sample-start"'),
            _text(label_x, TOP + 12, "random sample", anchor=anchor, fill=NOTE),
        ]
        desc += f" Random sampling for the stopping rule began after {sample_start:,} records."
    drawn = " ".join(f"{sx(x):.2f},{sy(y):.2f}" for x, y in thin(points, total=total))
    body.append(
        f'<polyline class="curve" points="{drawn}" fill="none" stroke="{INK}" '
        'stroke-width="1.6" stroke-linejoin="round"/>'
    )
    return _svg(desc, body)


def thin(points: Sequence[Point], *, total: int, limit: int = MAX_POINTS) -> list[Point]:
    """The points to draw: the same line through fewer of them.

    A point inside a flat run lies on the straight line between its neighbours, so it goes; the
    point where `found` rises and the one before it stay, and the curve is exact. Past `limit`,
    the point that ends a flat run narrower than a pixel goes too: the rise then leans by less
    than a pixel. Every rise is kept, so a stage with very many of them may still pass `limit`.
    """
    if len(points) <= 2:
        return list(points)
    kept = [points[0]]
    for before, here, after in zip(points, points[1:], points[2:], strict=False):
        if not before[1] == here[1] == after[1]:
            kept.append(here)
    kept.append(points[-1])
    if len(kept) <= limit:
        return kept
    pixel = max(total, 1) / PLOT_W
    narrow = {
        i
        for i in range(1, len(kept) - 1)
        if kept[i - 1][1] == kept[i][1] < kept[i + 1][1] and kept[i][0] - kept[i - 1][0] < pixel
    }
    return [point for i, point in enumerate(kept) if i not in narrow]


def _ticks(top: int, *, limit: int | None = None, count: int = 5) -> list[int]:
    """0 and whole multiples of 1, 2 or 5 x 10^k, about `count` of them, reaching `top`."""
    raw = max(top / count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    end = limit if limit is not None else math.ceil(top / step) * step
    return list(range(0, end + 1, step))


def _line(x1, y1, x2, y2, colour: str, extra: str = "") -> str:
    return (
        f'<line x1="{x1:.2f}" y1="{y1:.2f}" x2="{x2:.2f}" y2="{y2:.2f}" stroke="{colour}" '
        f'stroke-width="1" {extra}/>'
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = INK) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}">{escape(text)}</text>'
    )


def _message(text: str) -> str:
    return _text(WIDTH / 2, HEIGHT / 2, text, anchor="middle", fill=INK)


def _svg(desc: str, body: list[str]) -> str:
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT}" font-size="{SIZE}" '
            'role="img" aria-labelledby="curve-title curve-desc">',
            '<title id="curve-title">Relevant records found against records screened</title>',
            f'<desc id="curve-desc">{escape(desc)}</desc>',
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
            *body,
            "</svg>",
        ]
    )
