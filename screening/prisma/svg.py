"""The PRISMA 2020 flow diagram as SVG, drawn on the server from a PrismaReport.

It follows the official template (Page et al., BMJ 2021;372:n71; the "new systematic reviews
which included searches of databases, registers and other sources" version): the yellow title
box over databases and registers, the grey one over other methods (drawn only when other methods
were used), the blue Identification / Screening / Included bands, the template's wording, the
reasons listed with their numbers, thousands separators, and the footnotes. For an updated
review, a "previous studies" column holds the two numbers a person typed in, marked so. While
screening goes on, each box shows what is still in progress.

`render_svg(report, link=...)`: with `link(box, reason_id)` returning a URL, each box (and each
reason) is a link, with its definition as a tooltip; the page shows that one. Without, it is the
plain diagram for a paper; `render_png` and `render_pdf` draw the same SVG with cairo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from screening.prisma.counts import BOXES, PrismaReport

FONT = "Arial, Helvetica, sans-serif"
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
YELLOW, GREY, BLUE, INK, NOTE = "#ffc000", "#d9d9d9", "#9dc3e6", "#000000", "#b35900"
CITATION = (
    "From: Page MJ, McKenzie JE, Bossuyt PM, Boutron I, Hoffmann TC, Mulrow CD, et al. The "
    "PRISMA 2020 statement: an updated guideline for reporting systematic reviews. BMJ "
    "2021;372:n71. doi: 10.1136/bmj.n71. For more information, visit: "
    "http://www.prisma-statement.org/"
)
FOOTNOTES = [
    "*Consider, if feasible to do so, reporting the number of records identified from each "
    "database or register searched (rather than the total number across all "
    "databases/registers).",
    "**If automation tools were used, indicate how many records were excluded by a human and "
    "how many were excluded by automation tools.",
    CITATION,
]

Link = Callable[[str, int | None], str | None]


def n(value: int | None) -> str:
    return f"(n = {value or 0:,})"


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

    def layout(self) -> None:
        self.wrapped = []
        for line in self.lines:
            room = int((self.width - 2 * PAD - line.indent) / CHAR)
            words, current = line.text.split(" "), ""
            for word in words:
                candidate = f"{current} {word}".strip()
                if len(candidate) > room and current:
                    self.wrapped.append(_like(line, current))
                    current = word
                else:
                    current = candidate
            self.wrapped.append(_like(line, current))
        self.height = max(self.height, 2 * PAD + LINE * len(self.wrapped))

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def middle_y(self) -> float:
        return self.y + self.height / 2


def _like(line: Line, text: str) -> Line:
    return Line(text, line.bold, line.italic, line.indent, line.link)


def _pending(count: int, what: str) -> list[Line]:
    return [Line(f"In progress: {count:,} {what}", italic=True)] if count else []


def _title(text: str, x: float, width: float, fill: str) -> Box:
    return Box(x, MARGIN, width, [Line(text, bold=True)], fill=fill)


def render_svg(report: PrismaReport, *, link: Link | None = None) -> str:
    """The diagram. Refuses a report whose numbers do not reconcile."""
    if report.errors:
        raise ValueError("The PRISMA numbers do not reconcile; the diagram is not drawn.")
    updated = report.previous_studies is not None or report.previous_reports is not None
    other = report.uses_other_methods
    left = MARGIN + BAND_W + 14 + (PREV_W + COL_GAP if updated else 0)
    left_side = left + BOX_W + GAP
    right = left_side + SIDE_W + COL_GAP
    right_side = right + BOX_W + GAP
    width = (right_side + SIDE_W if other else left_side + SIDE_W) + MARGIN

    boxes: list[Box] = []
    arrows: list[tuple[float, float, float, float]] = []
    titles = [
        _title(
            "Identification of new studies via databases and registers",
            left,
            left_side + SIDE_W - left,
            YELLOW,
        )
    ]
    if other:
        titles.append(
            _title(
                "Identification of new studies via other methods",
                right,
                right_side + SIDE_W - right,
                GREY,
            )  # fmt: skip
        )
    if updated:
        titles.append(_title("Previous studies", MARGIN + BAND_W + 14, PREV_W, GREY))
    for box in titles:
        box.layout()
    row_y = max(box.bottom for box in titles) + ROW_GAP

    # Identification
    identified_lines = [Line("Records identified from*:", bold=True)]
    identified_lines.append(Line(f"Databases {n(report.database_results)}"))
    for name, count in report.database_specific_results:
        identified_lines.append(Line(f"{name} {n(count)}", indent=14))
    identified_lines.append(Line(f"Registers {n(report.register_results)}"))
    for name, count in report.register_specific_results:
        identified_lines.append(Line(f"{name} {n(count)}", indent=14))
    identified = Box(left, row_y, BOX_W, identified_lines, box="searches")
    removed = Box(
        left_side,
        row_y,
        SIDE_W,
        [
            Line("Records removed before screening:", bold=True),
            Line(f"Duplicate records removed {n(report.duplicates)}", link=("duplicates", None)),
            Line(
                f"Records marked as ineligible by automation tools {n(report.excluded_automatic)}",
                link=("excluded_automatic", None),
            ),
            Line(
                f"Records removed for other reasons {n(report.excluded_other)}",
                link=("excluded_other", None),
            ),
        ],
    )
    row = [identified, removed]
    if other:
        other_identified = Box(
            right,
            row_y,
            BOX_W,
            [
                Line("Records identified from:", bold=True),
                Line(f"Websites {n(report.website_results)}"),
                Line(f"Organisations {n(report.organisation_results)}"),
                Line(f"Citation searching {n(report.citations_results)}"),
            ],
            box="searches",
        )
        row.append(other_identified)
    if updated:
        previous = Box(
            MARGIN + BAND_W + 14,
            row_y,
            PREV_W,
            [
                Line(
                    f"Studies included in previous version of review {n(report.previous_studies)}"
                ),
                Line(
                    "Reports of studies included in previous version of review "
                    f"{n(report.previous_reports)}"
                ),
                Line("(typed in by a person)", italic=True),
            ],
        )
        row.append(previous)
    identification_top = row_y
    row_y = _place_row(row, row_y)
    identification_bottom = row_y - ROW_GAP
    boxes += row
    arrows.append(_right_arrow(identified, removed))

    # Screening
    screening_top = row_y
    screened = Box(
        left,
        row_y,
        BOX_W,
        [
            Line(f"Records screened {n(report.records_screened)}"),
            *_pending(report.screening_pending, "awaiting screening or in conflict"),
        ],
        box="records_screened",
    )
    excluded = Box(
        left_side, row_y, SIDE_W, [Line(f"Records excluded** {n(report.records_excluded)}")],
        box="records_excluded",
    )  # fmt: skip
    row_y = _place_row([screened, excluded], row_y)
    boxes += [screened, excluded]
    arrows += [_down_arrow(identified, screened), _right_arrow(screened, excluded)]

    # Retrieval and assessment: the same two rows in each column.
    columns = [("dbr", left, left_side, screened)]
    if other:
        columns.append(("other", right, right_side, other_identified))
    above = {column: upper for column, _, _, upper in columns}
    rows = {column: _report_rows(report, column) for column, *_ in columns}
    for index in range(2):
        pairs = {}
        for column, x, side_x, _ in columns:
            main_lines, main_name, side_lines, side_name = rows[column][index]
            pairs[column] = (
                Box(x, row_y, BOX_W, main_lines, box=main_name),
                Box(side_x, row_y, SIDE_W, side_lines, box=side_name),
            )
        row = [box for pair in pairs.values() for box in pair]
        row_y = _place_row(row, row_y)  # the row's boxes take one height: arrows come after
        boxes += row
        for column, (main, side) in pairs.items():
            arrows += [_down_arrow(above[column], main), _right_arrow(main, side)]
            above[column] = main
    assessed, other_assessed = above["dbr"], above.get("other")
    screening_bottom = row_y - ROW_GAP

    # Included
    included_top = row_y
    included_lines = [
        Line(f"New studies included in review {n(report.new_studies)}"),
        Line(f"Reports of new included studies {n(report.new_reports)}"),
    ]
    # Tall enough for the band's word beside it.
    included = Box(left, row_y, BOX_W, included_lines, box="new_reports", height=96)
    row = [included]
    if updated:
        total = Box(
            MARGIN + BAND_W + 14,
            row_y,
            PREV_W,
            [
                Line(f"Total studies included in review {n(report.total_studies)}"),
                Line(f"Reports of total included studies {n(report.total_reports)}"),
            ],
            box="new_reports",
        )
        row.append(total)
    row_y = _place_row(row, row_y)
    boxes += row
    arrows.append(_down_arrow(assessed, included))
    if other:
        # From the other column's assessed box down and across into the included box.
        x = other_assessed.x + BOX_W / 2
        arrows.append((x, other_assessed.bottom, x, included.middle_y))
        arrows.append((x, included.middle_y, included.x + BOX_W, included.middle_y))
    if updated:
        arrows.append((previous.x + PREV_W / 2, previous.bottom, total.x + PREV_W / 2, total.y))
        arrows.append((included.x, included.middle_y, total.x + PREV_W, total.middle_y))
    included_bottom = row_y - ROW_GAP

    bands = [
        ("Identification", identification_top, identification_bottom),
        ("Screening", screening_top, screening_bottom),
        ("Included", included_top, included_bottom),
    ]
    notes_y = row_y
    note_lines = []
    for note in FOOTNOTES:
        note_box = Box(MARGIN, 0, width - 2 * MARGIN, [Line(note)])
        note_box.layout()
        note_lines += note_box.wrapped
    height = notes_y + LINE * len(note_lines) + MARGIN
    return _svg(width, height, titles, boxes, arrows, bands, note_lines, notes_y, link)


def _report_rows(report: PrismaReport, column: str) -> list[tuple]:
    """A column's retrieval and assessment rows ("dbr" or "other"): for each, the main box's
    lines and name, and the side box's."""

    def value(name: str):
        return getattr(report, f"{column}_{name}")

    return [
        (
            [
                Line(f"Reports sought for retrieval {n(value('sought_reports'))}"),
                *_pending(value("retrieval_pending"), "being sought"),
            ],
            f"{column}_sought_reports",
            [Line(f"Reports not retrieved {n(value('notretrieved_reports'))}")],
            f"{column}_notretrieved_reports",
        ),
        (
            [
                Line(f"Reports assessed for eligibility {n(value('assessed'))}"),
                *_pending(value("assessment_pending"), "being assessed or in conflict"),
            ],
            f"{column}_assessed",
            _reason_lines(value("excluded"), f"{column}_excluded"),
            f"{column}_excluded",
        ),
    ]


def _reason_lines(reasons, box: str) -> list[Line]:
    total = sum(r.n for r in reasons)
    lines = [Line(f"Reports excluded {n(total)}:", bold=True)]
    for reason in reasons:
        lines.append(
            Line(f"{reason.reason} {n(reason.n)}", indent=14, link=(box, reason.reason_id))
        )
    return lines


def _place_row(row: list[Box], y: float) -> float:
    """Lay the boxes out, give them the height of the tallest, return where the next row starts."""
    for box in row:
        box.y = y
        box.layout()
    height = max(box.height for box in row)
    for box in row:
        box.height = height
    return y + height + ROW_GAP


def _down_arrow(upper: Box, lower: Box) -> tuple[float, float, float, float]:
    x = upper.x + upper.width / 2
    return (x, upper.bottom, x, lower.y)


def _right_arrow(main: Box, side: Box) -> tuple[float, float, float, float]:
    return (main.x + main.width, main.middle_y, side.x, main.middle_y)


def _svg(width, height, titles, boxes, arrows, bands, note_lines, notes_y, link) -> str:
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" font-size="{SIZE}" '
        'role="img" aria-labelledby="prisma-title">',
        '<title id="prisma-title">PRISMA 2020 flow diagram</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M 0 0 L 10 5 L 0 10 z" fill="{INK}"/></marker></defs>',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
    ]
    for label, top, bottom in bands:
        x, h = MARGIN, bottom - top
        out.append(
            f'<rect x="{x}" y="{top:.0f}" width="{BAND_W}" height="{h:.0f}" rx="6" '
            f'fill="{BLUE}" stroke="{INK}" stroke-width="0.6"/>'
        )
        cx, cy = x + BAND_W / 2, top + h / 2
        out.append(
            f'<text x="{cx:.1f}" y="{cy:.1f}" transform="rotate(-90 {cx:.1f} {cy:.1f})" '
            f'text-anchor="middle" dominant-baseline="central" font-weight="bold">'
            f"{escape(label)}</text>"
        )
    for box in titles:
        out.append(_box_svg(box, None, rounded=True))
    for box in boxes:
        out.append(_box_svg(box, link))
    for x1, y1, x2, y2 in arrows:
        out.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{INK}" '
            'stroke-width="1.2" marker-end="url(#arrow)"/>'
        )
    for i, line in enumerate(note_lines):
        out.append(
            f'<text x="{MARGIN}" y="{notes_y + LINE * i + SIZE:.0f}" font-size="{SIZE - 2}">'
            f"{escape(line.text)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _box_svg(box: Box, link: Link | None, rounded: bool = False) -> str:
    parts = []
    href = link(box.box, None) if (link and box.box) else None
    definition = BOXES[box.box].definition if box.box in BOXES else ""
    # Links do not nest: a box whose lines link on their own (each reason) is not one itself;
    # its other lines link to the box's list instead.
    lines_link = any(line.link for line in box.wrapped)
    radius = ' rx="8"' if rounded else ""
    shape = (
        f'<rect x="{box.x:.0f}" y="{box.y:.0f}" width="{box.width:.0f}" '
        f'height="{box.height:.0f}"{radius} fill="{box.fill}" stroke="{INK}" stroke-width="1"/>'
    )
    text = []
    for i, line in enumerate(box.wrapped):
        y = box.y + PAD + SIZE + LINE * i
        style = ""
        if line.bold:
            style += ' font-weight="bold"'
        if line.italic:
            style += f' font-style="italic" fill="{NOTE}"'
        anchor = ' text-anchor="middle"' if rounded else ""
        x = box.x + box.width / 2 if rounded else box.x + PAD + line.indent
        element = f'<text x="{x:.0f}" y="{y:.0f}"{anchor}{style}>{escape(line.text)}</text>'
        line_href = None
        if link and line.link:
            line_href = link(*line.link)
        elif lines_link:
            line_href = href
        if line_href:
            element = f"<a href={quoteattr(line_href)}>{element}</a>"
        text.append(element)
    group = shape + "".join(text)
    if lines_link:
        tooltip = f"<title>{escape(definition)}</title>" if definition else ""
        parts.append(f"<g>{tooltip}{group}</g>")
    elif href:
        tooltip = f"<title>{escape(definition)}</title>" if definition else ""
        parts.append(f'<a href={quoteattr(href)} class="prisma-box">{tooltip}{group}</a>')
    else:
        parts.append(f"<g>{group}</g>")
    return "".join(parts)


def render_png(svg: str, scale: float = 2.0) -> bytes:
    import cairosvg

    return cairosvg.svg2png(bytestring=svg.encode(), scale=scale)


def render_pdf(svg: str) -> bytes:
    import cairosvg

    return cairosvg.svg2pdf(bytestring=svg.encode())
