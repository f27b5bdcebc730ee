"""The PRISMA diagram as a list, for a phone, where the drawing is too wide to read: the same
boxes, words, numbers and links as the SVG (both come from one `diagram_layout`), column by
column in the order the flow goes, each side box (removed, excluded, not retrieved) after the box
it branches from, then the boxes of the studies included."""

from __future__ import annotations

from dataclasses import dataclass

from screening.prisma.links import Link, links_of
from screening.prisma.svg_layout import Box, Diagram


@dataclass(frozen=True)
class OutlineLine:
    text: str
    href: str | None  # a line that links on its own (a reason), never inside a linked box
    bold: bool
    italic: bool
    indented: bool


@dataclass(frozen=True)
class OutlineBox:
    lines: list[OutlineLine]
    href: str | None  # the whole box's link
    definition: str
    side: bool  # beside the flow: what left it at this step


@dataclass(frozen=True)
class OutlineSection:
    heading: str
    boxes: list[OutlineBox]


def diagram_outline(diagram: Diagram, *, link: Link | None) -> list[OutlineSection]:
    """The diagram's boxes under the headings the drawing puts over them: its title boxes
    (databases and registers, other methods, previous studies) and the last band's word for
    the studies included, which gathers every column."""
    columns, drawing = diagram.columns, diagram.drawing
    headings = [title.lines[0].text for title in diagram.titles]
    included_word = drawing.bands[-1][0]
    included_top = drawing.bands[-1][1]
    sections: dict[str, list[OutlineBox]] = {heading: [] for heading in headings}
    sections[included_word] = []
    for box in drawing.boxes:
        side = box.x in (columns.left_side, columns.right_side)
        if box.y >= included_top:
            heading = included_word
        elif box.x in (columns.left, columns.left_side):
            heading = headings[0]
        elif box.x in (columns.right, columns.right_side):
            heading = headings[1]
        else:  # the previous review's column, drawn last among the titles
            heading = headings[-1]
        sections[heading].append(_outline_box(box, link, side=side))
    return [OutlineSection(heading, boxes) for heading, boxes in sections.items() if boxes]


def _outline_box(box: Box, link: Link | None, *, side: bool) -> OutlineBox:
    links = links_of(box, link)
    lines = [
        OutlineLine(line.text, href, line.bold, line.italic, bool(line.indent))
        for line, href in zip(box.lines, links.lines, strict=True)
    ]
    return OutlineBox(lines, links.href, links.definition, side)
