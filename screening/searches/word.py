"""The search appendix as a Word document (python-docx): the same parts as the Markdown, for a
review's supplementary material. Without python-docx, `DOCX_AVAILABLE` is false and the pages
offer Markdown only."""

from __future__ import annotations

import io
import re

from screening.searches.appendix import (
    NOT_GIVEN,
    RUN_COLUMNS,
    SUMMARY_COLUMNS,
    Appendix,
    citation_text,
    deduplication_text,
    fields,
    run_rows,
    summary_rows,
)
from screening.searches.selectors import Entry

try:
    import docx
    from docx.shared import Pt
except ImportError:  # pragma: no cover - python-docx is a dependency; this keeps pages up
    docx = None

DOCX_AVAILABLE = docx is not None
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MONOSPACE = "Courier New"
# Characters XML 1.0 cannot hold (a strategy pasted from a terminal may carry some).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", str(text))


def _table(document, columns: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    for cell, heading in zip(table.rows[0].cells, columns, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(_clean(heading)).bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = _clean(value)


def _code(document, text: str) -> None:
    paragraph = document.add_paragraph()
    run = paragraph.add_run(_clean(text.rstrip("\n")))
    run.font.name = MONOSPACE
    run.font.size = Pt(9)


def _search(document, entry: Entry) -> None:
    document.add_heading(_clean(f"{entry.label}. {entry.search.source.name}: {entry.search}"), 2)
    for label, value in fields(entry):
        paragraph = document.add_paragraph(style="List Bullet")
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(_clean(value))
    document.add_paragraph("Strategy, exactly as run:")
    if entry.search.strategy:
        _code(document, entry.search.strategy)
    else:
        document.add_paragraph(NOT_GIVEN).runs[0].italic = True
    if entry.search.query_translation:
        document.add_paragraph("PubMed's translation of the query at its latest run:")
        _code(document, entry.search.query_translation)
    if entry.runs:
        _table(document, RUN_COLUMNS, run_rows(entry))


def _checklist(document, appendix: Appendix) -> None:
    document.add_heading("PRISMA-S checklist", 1)
    rows = [
        [
            str(item.number),
            item.topic,
            item.text,
            item.status_label,
            "\n".join(item.reported),
            item.where,
            "\n".join(item.missing),
        ]
        for item in appendix.checklist
    ]
    columns = ["#", "Item", "Checklist item", "Status", "What the searches report", "Where"]
    _table(document, [*columns, "Missing"], rows)
    document.add_heading("Still missing", 2)
    for gap in appendix.missing or ["Nothing: every item is reported."]:
        document.add_paragraph(_clean(gap), style="List Bullet")
    document.add_paragraph(_clean(citation_text())).runs[0].italic = True


def appendix_docx(appendix: Appendix) -> bytes:
    """The appendix as a .docx file's bytes."""
    if docx is None:
        raise RuntimeError("python-docx is not installed: the appendix is offered as Markdown.")
    review = appendix.review
    document = docx.Document()
    document.add_heading(_clean(f"Search appendix: {review.title}"), 0)
    document.add_paragraph(
        _clean(
            f"Review {review.slug}; {len(appendix.entries)} searches, "
            f"{appendix.total_records:,} records. Written "
            f"{appendix.generated_at:%d %b %Y %H:%M} from the review's searches, as PRISMA 2020 "
            "(items 6, 7 and 16) and PRISMA-S ask."
        )
    )
    document.add_heading("Searches", 1)
    _table(document, SUMMARY_COLUMNS, summary_rows(appendix))
    for entry in appendix.entries:
        _search(document, entry)
    document.add_heading("Deduplication", 1)
    for sentence in deduplication_text(appendix):
        document.add_paragraph(_clean(sentence + "."), style="List Bullet")
    _checklist(document, appendix)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
