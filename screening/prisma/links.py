"""What each box of the PRISMA diagram links to, and the name a screen reader gives the link:
one rule for the SVG (svg.py) and the diagram as a list (outline.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from screening.prisma.counts import BOXES
from screening.prisma.svg_layout import Box, Line

# link(box, reason_id): the URL of the references a box (or one of its reasons) counts.
Link = Callable[[str, int | None], str | None]


@dataclass(frozen=True)
class BoxLinks:
    """Where a box and its lines link, and its definition (the tooltip)."""

    href: str | None  # the whole box's link
    lines: list[str | None]  # each of box.lines' own link, in a box whose lines link
    definition: str


def links_of(box: Box, link: Link | None) -> BoxLinks:
    """Links do not nest: a box whose lines link on their own (each reason) is not one itself,
    and its other lines link to the box's list instead."""
    href = link(box.box, None) if (link and box.box) else None
    definition = BOXES[box.box].definition if box.box in BOXES else ""
    if not any(line.link for line in box.lines):
        return BoxLinks(href, [None] * len(box.lines), definition)
    lines = [link(*line.link) if (link and line.link) else href for line in box.lines]
    return BoxLinks(None, lines, definition)


def spoken(lines: list[Line]) -> str:
    """A box's lines as one phrase, the name a screen reader gives its link."""
    parts: list[str] = []
    for line in lines:
        if parts and not parts[-1].endswith(":"):
            parts[-1] += ";"  # a pause between the lines, as the box's layout shows one
        parts.append(line.text)
    return " ".join(parts)
