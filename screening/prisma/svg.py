"""The PRISMA 2020 flow diagram as SVG, drawn on the server from a PrismaReport.

It follows the official template (Page et al., BMJ 2021;372:n71; the "new systematic reviews
which included searches of databases, registers and other sources" version): the yellow title
box over databases and registers, the grey one over other methods (drawn only when other methods
were used), the blue Identification / Screening / Included bands, the template's wording, the
reasons listed with their numbers, thousands separators, and the footnotes. For an updated
review, a "previous studies" column holds the two numbers a person typed in, marked so. While
screening goes on, each box shows what is still in progress.

`render_svg(report, link=...)`: with `link(box, reason_id)` returning a URL, each box (and each
reason) is a link named by its words for a screen reader, with its definition as a tooltip; the
page shows that one. Without, it is the plain diagram for a paper, one image; `render_png` and
`render_pdf` draw the same SVG with cairo. `diagram_layout` lays the boxes out once, for the SVG
(`diagram_svg`) and for the same boxes as a list on a phone (outline.py); where they go is
worked out in svg_layout.py, what they link to in links.py.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from screening.prisma.counts import PrismaReport
from screening.prisma.links import Link, links_of, spoken
from screening.prisma.svg_layout import (
    BAND_W,
    BOX_W,
    LINE,
    MARGIN,
    PAD,
    PREV_W,
    PREV_X,
    ROW_GAP,
    SIDE_W,
    SIZE,
    Box,
    Columns,
    Diagram,
    Drawing,
    Line,
    down_arrow,
    right_arrow,
)

FONT = "Arial, Helvetica, sans-serif"
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


def n(value: int | None) -> str:
    return f"(n = {value or 0:,})"


def _pending(count: int, what: str) -> list[Line]:
    return [Line(f"In progress: {count:,} {what}", italic=True)] if count else []


def _title(text: str, x: float, width: float, fill: str) -> Box:
    return Box(x, MARGIN, width, [Line(text, bold=True)], fill=fill)


def render_svg(report: PrismaReport, *, link: Link | None = None) -> str:
    """The diagram. Refuses a report whose numbers do not reconcile."""
    return diagram_svg(diagram_layout(report), link=link)


def diagram_layout(report: PrismaReport) -> Diagram:
    """The boxes with their words and numbers, placed: what the SVG draws and the outline
    (outline.py) lists. Refuses a report whose numbers do not reconcile."""
    if report.errors:
        raise ValueError("The PRISMA numbers do not reconcile; the diagram is not drawn.")
    updated = report.previous_studies is not None or report.previous_reports is not None
    columns = Columns.of(updated=updated, other=report.uses_other_methods)
    titles = _titles(columns)
    drawing = Drawing(max(box.bottom for box in titles) + ROW_GAP)
    identified, other_identified, previous = _identification(report, columns, drawing)
    assessed = _screening(report, columns, drawing, identified, other_identified)
    _included(report, columns, drawing, assessed, previous)
    note_lines = _footnote_lines(columns.width)
    height = drawing.y + LINE * len(note_lines) + MARGIN
    return Diagram(columns, titles, drawing, note_lines, height)


def _titles(columns: Columns) -> list[Box]:
    """The title boxes over the columns, laid out."""
    titles = [
        _title(
            "Identification of new studies via databases and registers",
            columns.left,
            columns.left_side + SIDE_W - columns.left,
            YELLOW,
        )
    ]
    if columns.other:
        titles.append(
            _title(
                "Identification of new studies via other methods",
                columns.right,
                columns.right_side + SIDE_W - columns.right,
                GREY,
            )
        )
    if columns.updated:
        titles.append(_title("Previous studies", PREV_X, PREV_W, GREY))
    for box in titles:
        box.layout()
    return titles


def _identification(
    report: PrismaReport, columns: Columns, drawing: Drawing
) -> tuple[Box, Box | None, Box | None]:
    """The first row: records identified and removed, and the previous review's studies.
    Returns the boxes that later rows hang from: identified, other methods', previous."""
    top = drawing.y
    identified = Box(columns.left, top, BOX_W, _identified_lines(report), box="searches")
    removed = Box(columns.left_side, top, SIDE_W, _removed_lines(report))
    row = [identified, removed]
    other_identified = previous = None
    if columns.other:
        other_lines = _other_identified_lines(report)
        other_identified = Box(columns.right, top, BOX_W, other_lines, box="searches")
        row.append(other_identified)
    if columns.updated:
        previous = Box(PREV_X, top, PREV_W, _previous_lines(report))
        row.append(previous)
    drawing.place(row)
    drawing.band("Identification", top)
    drawing.arrows.append(right_arrow(identified, removed))
    return identified, other_identified, previous


def _identified_lines(report: PrismaReport) -> list[Line]:
    return [
        Line("Records identified from*:", bold=True),
        Line(f"Databases {n(report.database_results)}"),
        *_named_counts(report.database_specific_results),
        Line(f"Registers {n(report.register_results)}"),
        *_named_counts(report.register_specific_results),
    ]


def _named_counts(results: list[tuple[str, int]]) -> list[Line]:
    """Each database's (or register's) own count, under their total."""
    return [Line(f"{name} {n(count)}", indent=14) for name, count in results]


def _removed_lines(report: PrismaReport) -> list[Line]:
    return [
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
    ]


def _other_identified_lines(report: PrismaReport) -> list[Line]:
    return [
        Line("Records identified from:", bold=True),
        Line(f"Websites {n(report.website_results)}"),
        Line(f"Organisations {n(report.organisation_results)}"),
        Line(f"Citation searching {n(report.citations_results)}"),
    ]


def _previous_lines(report: PrismaReport) -> list[Line]:
    return [
        Line(f"Studies included in previous version of review {n(report.previous_studies)}"),
        Line(
            "Reports of studies included in previous version of review "
            f"{n(report.previous_reports)}"
        ),
        Line("(typed in by a person)", italic=True),
    ]


def _screening(
    report: PrismaReport,
    columns: Columns,
    drawing: Drawing,
    identified: Box,
    other_identified: Box | None,
) -> dict[str, Box]:
    """Records screened, then reports sought and assessed in each column. Returns each
    column's assessed box ("dbr", and "other" when other methods were used)."""
    top = drawing.y
    screened = _records_screened(report, columns, drawing, identified)
    # The other column has no screening row: its reports hang from the records identified.
    above = {"dbr": screened}
    if other_identified is not None:
        above["other"] = other_identified
    assessed = _retrieval_and_assessment(report, columns, drawing, above)
    drawing.band("Screening", top)
    return assessed


def _records_screened(
    report: PrismaReport, columns: Columns, drawing: Drawing, identified: Box
) -> Box:
    screened = Box(
        columns.left,
        drawing.y,
        BOX_W,
        [
            Line(f"Records screened {n(report.records_screened)}"),
            *_pending(report.screening_pending, "awaiting screening or in conflict"),
        ],
        box="records_screened",
    )
    excluded_lines = [Line(f"Records excluded** {n(report.records_excluded)}")]
    excluded = Box(columns.left_side, drawing.y, SIDE_W, excluded_lines, box="records_excluded")
    drawing.place([screened, excluded])
    drawing.arrows += [down_arrow(identified, screened), right_arrow(screened, excluded)]
    return screened


def _retrieval_and_assessment(
    report: PrismaReport, columns: Columns, drawing: Drawing, above: dict[str, Box]
) -> dict[str, Box]:
    """The same two rows in each column of `above` (the box each column's first row hangs
    from): reports sought and not retrieved, then assessed and excluded. Returns each column's
    assessed box."""
    places = {
        "dbr": (columns.left, columns.left_side),
        "other": (columns.right, columns.right_side),
    }
    rows = {column: _report_rows(report, column) for column in above}
    above = dict(above)
    for index in range(2):
        pairs = {}
        for column in rows:
            main_lines, main_name, side_lines, side_name = rows[column][index]
            x, side_x = places[column]
            pairs[column] = (
                Box(x, drawing.y, BOX_W, main_lines, box=main_name),
                Box(side_x, drawing.y, SIDE_W, side_lines, box=side_name),
            )
        # The row's boxes take one height: arrows come after.
        drawing.place([box for pair in pairs.values() for box in pair])
        for column, (main, side) in pairs.items():
            drawing.arrows += [down_arrow(above[column], main), right_arrow(main, side)]
            above[column] = main
    return above


def _included(
    report: PrismaReport,
    columns: Columns,
    drawing: Drawing,
    assessed: dict[str, Box],
    previous: Box | None,
) -> None:
    """The last row: the new studies included and, for an updated review, the total."""
    top = drawing.y
    included_lines = [
        Line(f"New studies included in review {n(report.new_studies)}"),
        Line(f"Reports of new included studies {n(report.new_reports)}"),
    ]
    # Tall enough for the band's word beside it.
    included = Box(columns.left, top, BOX_W, included_lines, box="new_reports", height=96)
    if previous is None:
        drawing.place([included])
    else:
        total_lines = [
            Line(f"Total studies included in review {n(report.total_studies)}"),
            Line(f"Reports of total included studies {n(report.total_reports)}"),
        ]
        total = Box(PREV_X, top, PREV_W, total_lines, box="new_reports")
        drawing.place([included, total])
    drawing.arrows.append(down_arrow(assessed["dbr"], included))
    if "other" in assessed:
        # From the other column's assessed box down and across into the included box.
        other_assessed = assessed["other"]
        x = other_assessed.x + BOX_W / 2
        drawing.arrows.append((x, other_assessed.bottom, x, included.middle_y))
        drawing.arrows.append((x, included.middle_y, included.x + BOX_W, included.middle_y))
    if previous is not None:
        drawing.arrows.append(
            (previous.x + PREV_W / 2, previous.bottom, total.x + PREV_W / 2, total.y)
        )
        drawing.arrows.append((included.x, included.middle_y, total.x + PREV_W, total.middle_y))
    drawing.band("Included", top)


def _footnote_lines(width: float) -> list[Line]:
    """The footnotes, wrapped to the diagram's width."""
    lines = []
    for note in FOOTNOTES:
        note_box = Box(MARGIN, 0, width - 2 * MARGIN, [Line(note)])
        note_box.layout()
        lines += note_box.wrapped
    return lines


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


def diagram_svg(diagram: Diagram, *, link: Link | None = None) -> str:
    """The laid-out diagram as SVG: with `link`, each box (or line) a link to its references,
    the whole a group of links; without, one image, for a paper."""
    width, height, drawing = diagram.columns.width, diagram.height, diagram.drawing
    notes_y = drawing.y  # the footnotes start where the next row would
    # An image's content is presentational, so links inside role="img" are "nested
    # interactive" (axe) and a screen reader never reaches them: the linked diagram is a group.
    role = "group" if link else "img"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" font-size="{SIZE}" '
        f'role="{role}" aria-labelledby="prisma-title">',
        '<title id="prisma-title">PRISMA 2020 flow diagram</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M 0 0 L 10 5 L 0 10 z" fill="{INK}"/></marker></defs>',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
    ]
    for box in diagram.titles:
        out.append(_box_svg(box, None, rounded=True))
    # Each band's word, then the boxes beside it: a screen reader reads the diagram in the
    # order of the flow, row by row.
    for word, top, bottom in drawing.bands:
        out += _band_svg(word, top, bottom)
        out += [_box_svg(box, link) for box in drawing.boxes if top <= box.y <= bottom]
    for x1, y1, x2, y2 in drawing.arrows:
        out.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{INK}" '
            'stroke-width="1.2" marker-end="url(#arrow)"/>'
        )
    for i, line in enumerate(diagram.note_lines):
        out.append(
            f'<text x="{MARGIN}" y="{notes_y + LINE * i + SIZE:.0f}" font-size="{SIZE - 2}">'
            f"{escape(line.text)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _band_svg(word: str, top: float, bottom: float) -> list[str]:
    """A blue band down the left edge, its word turned to read upwards."""
    x, h = MARGIN, bottom - top
    cx, cy = x + BAND_W / 2, top + h / 2
    return [
        f'<rect x="{x}" y="{top:.0f}" width="{BAND_W}" height="{h:.0f}" rx="6" '
        f'fill="{BLUE}" stroke="{INK}" stroke-width="0.6"/>',
        f'<text x="{cx:.1f}" y="{cy:.1f}" transform="rotate(-90 {cx:.1f} {cy:.1f})" '
        f'text-anchor="middle" dominant-baseline="central" font-weight="bold">'
        f"{escape(word)}</text>",
    ]


def _box_svg(box: Box, link: Link | None, rounded: bool = False) -> str:
    links = links_of(box, link)
    radius = ' rx="8"' if rounded else ""
    shape = (
        f'<rect x="{box.x:.0f}" y="{box.y:.0f}" width="{box.width:.0f}" '
        f'height="{box.height:.0f}"{radius} fill="{box.fill}" stroke="{INK}" stroke-width="1"/>'
    )
    text = []
    for index, line in enumerate(box.lines):
        rows = [row for row, source in enumerate(box.sources) if source == index]
        element = _text_svg(box, rows, rounded)
        if links.lines[index]:
            # The line's rows across the box are the link, not only the letters: a pointer
            # between two words, or between a wrapped line's rows, still opens it.
            area = (
                f'<rect x="{box.x + 1:.0f}" y="{box.y + PAD + LINE * rows[0]:.0f}" '
                f'width="{box.width - 2:.0f}" height="{LINE * len(rows)}" fill="#ffffff" '
                'fill-opacity="0"/>'
            )
            name = quoteattr(line.text)
            href = quoteattr(links.lines[index])
            element = f"<a href={href} aria-label={name}>{area}{element}</a>"
        text.append(element)
    tooltip = f"<title>{escape(links.definition)}</title>" if links.definition else ""
    group = tooltip + shape + "".join(text)
    if links.href:
        return (
            f'<a href={quoteattr(links.href)} class="prisma-box" '
            f"aria-label={quoteattr(spoken(box.lines))}>{group}</a>"
        )
    return f"<g>{group}</g>"


def _text_svg(box: Box, rows: list[int], rounded: bool) -> str:
    """One line of a box as one text element, its wrapped rows in tspans: a reader (and a
    copy) gets the line's words with a space where it wraps, not two run together."""
    line = box.wrapped[rows[0]]
    style = ""
    if line.bold:
        style += ' font-weight="bold"'
    if line.italic:
        style += f' font-style="italic" fill="{NOTE}"'
    anchor = ' text-anchor="middle"' if rounded else ""
    x = box.x + box.width / 2 if rounded else box.x + PAD + line.indent
    parts = []
    for row in rows:
        y = box.y + PAD + SIZE + LINE * row
        parts.append(f'<tspan x="{x:.0f}" y="{y:.0f}">{escape(box.wrapped[row].text)}</tspan>')
    return f"<text{anchor}{style}>{' '.join(parts)}</text>"


def render_png(svg: str, scale: float = 2.0) -> bytes:
    import cairosvg

    return cairosvg.svg2png(bytestring=svg.encode(), scale=scale)


def render_pdf(svg: str) -> bytes:
    import cairosvg

    return cairosvg.svg2pdf(bytestring=svg.encode())
