"""The summary-of-findings table as a Word document (python-docx) and as CSV: the same rows as
the page, the footnotes under the table."""

from __future__ import annotations

import csv
import io

from docx import Document
from docx.shared import Pt

from references.spreadsheet import spreadsheet_cell
from screening.models import Review

from .table import SofRow


def relative_text(row: SofRow) -> str:
    if row.relative is None:
        return "not pooled"
    estimate, low, high = row.relative
    return f"{row.measure} {estimate:.2f} ({low:.2f} to {high:.2f})"


def absolute_text(row: SofRow) -> tuple[str, str]:
    """(risk with control, difference with intervention), per 1,000."""
    a = row.absolute
    if a is None:
        return "", ""
    sign = "more" if a.difference_per_1000 >= 0 else "fewer"
    return (
        f"{a.control_per_1000:.0f} per 1,000 ({a.control_source})",
        f"{abs(a.difference_per_1000):.0f} {sign} per 1,000 "
        f"({a.difference_low:.0f} to {a.difference_high:.0f})",
    )


def certainty_text(row: SofRow) -> str:
    if not row.certainty:
        return "not yet judged"
    marks = "".join(j.footnote_mark for j in row.judgements if j.footnote_mark and j.level)
    return f"{row.symbols} {row.certainty.upper()}" + (f" ({marks})" if marks else "")


HEADINGS = [
    "Outcome", "Participants (studies)", "Relative effect (95% CI)", "Risk with control",
    "Risk difference with intervention (95% CI)", "Certainty of the evidence (GRADE)",
]  # fmt: skip


def cells(row: SofRow) -> list[str]:
    control, difference = absolute_text(row)
    people = f"{row.participants:,}" if row.participants else "—"
    return [
        row.outcome + (f" ({row.comparison})" if row.comparison else ""),
        f"{people} ({row.studies} {'study' if row.studies == 1 else 'studies'})",
        relative_text(row),
        control,
        difference,
        certainty_text(row),
    ]


def csv_text(rows: list[SofRow]) -> str:
    """The table's cells, then each row's domains: one line per outcome and domain."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*HEADINGS, "Domain", "Proposed", "Decided", "Footnote"])
    for row in rows:
        for judgement in row.judgements:
            writer.writerow(
                [spreadsheet_cell(c) for c in cells(row)]
                + [
                    judgement.label,
                    "" if judgement.proposed is None else judgement.proposed,
                    "" if judgement.level is None else judgement.level,
                    spreadsheet_cell(judgement.footnote),
                ]
            )
    return "\ufeff" + out.getvalue()


def docx_bytes(review: Review, rows: list[SofRow]) -> bytes:
    document = Document()
    document.add_heading(f"Summary of findings: {review.title}", level=1)
    table = document.add_table(rows=1, cols=len(HEADINGS))
    table.style = "Table Grid"
    for cell, heading in zip(table.rows[0].cells, HEADINGS, strict=True):
        cell.text = heading
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, cells(row), strict=True):
            cell.text = text
    notes = [(mark, text) for row in rows for mark, text in row.footnotes]
    notes += [("", row.note) for row in rows if row.note]
    for mark, text in notes:
        paragraph = document.add_paragraph(f"{mark}. {text}" if mark else text)
        paragraph.runs[0].font.size = Pt(9)
    document.add_paragraph(
        "GRADE certainty: ⊕⊕⊕⊕ high, ⊕⊕⊕◯ moderate, ⊕⊕◯◯ low, ⊕◯◯◯ very low."
    ).runs[0].font.size = Pt(9)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
