"""Where the boxes of the PRISMA diagram go: its measures, the boxes with their wrapped text,
the columns, the rows the boxes are placed in, and the arrows between them. What the boxes say,
and the drawing of them, is in svg.py."""

from __future__ import annotations

from dataclasses import dataclass, field

SIZE = 13
LINE = 17
PAD = 9
CHAR = 6.6  # average width of a character at SIZE, for wrapping
BOX_W = 300
SIDE_W = 300
GAP = 36  # between a column's main box and its side box
COL_GAP = 56  # between the two columns
BAND_W = 26
ROW_GAP = 34
MARGIN = 12
PREV_W = 220
PREV_X = MARGIN + BAND_W + 14  # the previous-studies column, right of the bands

Arrow = tuple[float, float, float, float]  # from (x, y) to (x, y)
Band = tuple[str, float, float]  # its word, top and bottom


@dataclass
class Line:
    text: str
    bold: bool = False
    italic: bool = False
    indent: int = 0
    link: tuple[str, int | None] | None = None  # (box, reason id) of a line that links alone


@dataclass
class Box:
    x: float
    y: float
    width: float
    lines: list[Line]
    box: str | None = None  # the BOXES name (or another page) it links to
    fill: str = "#ffffff"
    height: float = 0.0
    wrapped: list[Line] = field(default_factory=list)
    # For each wrapped line, the index in `lines` of the line it is part of: a wrapped line is
    # one link, and one name for a screen reader, however many rows it takes.
    sources: list[int] = field(default_factory=list)

    def layout(self) -> None:
        self.wrapped, self.sources = [], []
        for index, line in enumerate(self.lines):
            room = int((self.width - 2 * PAD - line.indent) / CHAR)
            words, current = line.text.split(" "), ""
            for word in words:
                candidate = f"{current} {word}".strip()
                if len(candidate) > room and current:
                    self.wrapped.append(_like(line, current))
                    self.sources.append(index)
                    current = word
                else:
                    current = candidate
            self.wrapped.append(_like(line, current))
            self.sources.append(index)
        self.height = max(self.height, 2 * PAD + LINE * len(self.wrapped))

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def middle_y(self) -> float:
        return self.y + self.height / 2


def _like(line: Line, text: str) -> Line:
    return Line(text, line.bold, line.italic, line.indent, line.link)


@dataclass(frozen=True)
class Columns:
    """The x of each column of boxes (a main box and, beside it, a side box), and the width of
    the diagram."""

    updated: bool  # an updated review: the previous-studies column, on the left
    other: bool  # other methods were used: their column, on the right
    left: float
    left_side: float
    right: float
    right_side: float
    width: float

    @classmethod
    def of(cls, *, updated: bool, other: bool) -> Columns:
        left = PREV_X + (PREV_W + COL_GAP if updated else 0)
        left_side = left + BOX_W + GAP
        right = left_side + SIDE_W + COL_GAP
        right_side = right + BOX_W + GAP
        width = (right_side + SIDE_W if other else left_side + SIDE_W) + MARGIN
        return cls(updated, other, left, left_side, right, right_side, width)


@dataclass
class Drawing:
    """The boxes and arrows placed so far, the bands beside them, and where the next row
    starts."""

    y: float
    boxes: list[Box] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)

    def place(self, row: list[Box]) -> None:
        self.y = _place_row(row, self.y)
        self.boxes += row

    def band(self, word: str, top: float) -> None:
        """A band beside the rows placed since `top`."""
        self.bands.append((word, top, self.y - ROW_GAP))


def _place_row(row: list[Box], y: float) -> float:
    """Lay the boxes out, give them the height of the tallest, return where the next row starts."""
    for box in row:
        box.y = y
        box.layout()
    height = max(box.height for box in row)
    for box in row:
        box.height = height
    return y + height + ROW_GAP


def down_arrow(upper: Box, lower: Box) -> Arrow:
    x = upper.x + upper.width / 2
    return (x, upper.bottom, x, lower.y)


def right_arrow(main: Box, side: Box) -> Arrow:
    return (main.x + main.width, main.middle_y, side.x, main.middle_y)


@dataclass
class Diagram:
    """The whole diagram laid out: the title boxes over the columns, the rows of boxes with
    their arrows and bands, the footnotes' lines under them, and the height of it all."""

    columns: Columns
    titles: list[Box]
    drawing: Drawing
    note_lines: list[Line]
    height: float
