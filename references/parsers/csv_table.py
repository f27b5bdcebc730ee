"""Tables of references: PubMed's CSV export, Scopus, Web of Science, Embase, Zotero, Rayyan,
Excel (semicolon-separated), tab-separated text; any table with a title or abstract column.

detect.py has found the header row (after any preamble lines, such as Embase writes) and the
delimiter. Column names are matched case-insensitively against the names those tools use.
Rows are read as a stream with the csv module; each row keeps its own text as `raw`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from references import normalise as n
from references.parsers.base import (
    AbstractSection,
    Entry,
    ImportFileError,
    ParsedReference,
    UnreadableEntry,
)
from references.parsers.detect import Detection
from references.parsers.text_formats import normalise_column

# For each field, the column names that hold it, best first.
COLUMNS: dict[str, tuple[str, ...]] = {
    "title": (
        "title",
        "article title",
        "document title",
        "primary title",
        "title of article",
        "article_title",
        "titles",
        "ti",
        "t1",
    ),
    "abstract": ("abstract", "abstract note", "abstracts", "ab", "n2"),
    "authors": (
        "author full names",
        "af",
        "authors",
        "author",
        "author names",
        "author(s)",
        "author name",
        "au",
        "a1",
    ),
    "journal": (
        "source title",
        "journal",
        "journal/book",
        "journal title",
        "journal name",
        "publication title",
        "secondary title",
        "source",
        "so",
        "jo",
        "jf",
        "t2",
    ),
    "year": (
        "year",
        "publication year",
        "py",
        "pubyear",
        "publication_year",
        "year published",
        "publication date",
        "date of publication",
    ),
    "volume": ("volume", "vl"),
    "issue": ("issue", "number", "is"),
    "pages": ("pages", "page", "page numbers", "pagination", "pg"),
    "start_page": ("page start", "start page", "first page", "bp", "sp"),
    "end_page": ("page end", "end page", "last page", "ep"),
    "article_number": ("art. no.", "article number", "ar"),
    "doi": ("doi", "di", "do", "digital object identifier"),
    "pmid": ("pmid", "pubmed id", "medline pmid", "pubmed_id", "pm", "pubmed"),
    "pmcid": ("pmcid", "pmc id", "pmc"),
    "registry": (
        "clinical trial number",
        "clinical trial numbers",
        "trial registration",
        "trial registration number",
        "registry number",
    ),
    "publication_types": (
        "document type",
        "publication type",
        "publication types",
        "item type",
        "dt",
        "pt",
    ),
    "mesh": ("mesh terms", "mesh", "mesh headings", "mh"),
    "keywords": (
        "author keywords",
        "keywords",
        "keyword",
        "index keywords",
        "manual tags",
        "de",
        "emtree medical index terms",
        "emtree drug index terms",
        "kw",
    ),
    "language": (
        "language",
        "language of original document",
        "language of article",
        "la",
    ),
    "urls": ("url", "link", "links", "full text link", "ur"),
    "citation": ("citation",),
}
# WoS writes "PT" (publication type) as a one-letter code: not a publication type worth keeping.
_TYPE_CODES = re.compile(r"^[A-Z]$")
_CITATION = re.compile(r";\s*(?P<volume>[\w-]+)(?:\((?P<issue>[^)]+)\))?:(?P<pages>[\w-]+)")
_SCOPUS_ID = re.compile(r"\s*\(\d{6,}\)")


class _RecordingLines:
    def __init__(self, handle):
        self._handle = handle
        self.lines: list[str] = []

    def __iter__(self):
        for line in self._handle:
            self.lines.append(line)
            yield line

    def take(self) -> str:
        text = "".join(self.lines).rstrip("\r\n")
        self.lines = []
        return text


def iter_entries(path: Path, detection: Detection) -> Iterator[Entry]:
    with path.open(encoding=detection.encoding, errors="replace", newline="") as handle:
        for _ in range(detection.header_line):
            handle.readline()
        lines = _RecordingLines(handle)
        reader = csv.reader(lines, delimiter=detection.delimiter)
        try:
            header = next(reader, None)
            lines.take()
            if header is None:
                return
            columns = _column_indexes(header)
            number = 0
            for row in reader:
                raw = lines.take()
                if not any(cell.strip() for cell in row):
                    continue
                number += 1
                yield _entry(row, columns, raw, number)
        except csv.Error as error:
            raise ImportFileError(
                f"The table could not be read after line {reader.line_num + detection.header_line}"
                f": {error}. Check that it was saved as CSV."
            ) from None


def _column_indexes(header: list[str]) -> dict[str, list[int]]:
    names = [normalise_column(cell) for cell in header]
    indexes: dict[str, list[int]] = {}
    for field, candidates in COLUMNS.items():
        found = [names.index(name) for name in candidates if name in names]
        if found:
            indexes[field] = found
    return indexes


def _entry(row: list[str], columns: dict[str, list[int]], raw: str, number: int) -> Entry:
    try:
        reference = _reference(row, columns)
    except Exception as error:  # noqa: BLE001 - one odd row must not stop the import
        return UnreadableEntry(
            position=number,
            reason=f"row {number} could not be read ({error.__class__.__name__}: {error})",
            excerpt=raw[:300],
        )
    reference.raw = raw
    return reference


def _cells(row: list[str], columns: dict[str, list[int]], field: str) -> list[str]:
    return [
        text
        for index in columns.get(field, [])
        if index < len(row) and (text := n.clean_text(row[index]))
    ]


def _cell(row: list[str], columns: dict[str, list[int]], field: str) -> str:
    cells = _cells(row, columns, field)
    return cells[0] if cells else ""


def _split(value: str) -> list[str]:
    return [n.clean_text(part) for part in re.split(r"[;|]", value) if n.clean_text(part)]


def _reference(row: list[str], columns: dict[str, list[int]]) -> ParsedReference:
    def cell(field: str) -> str:
        return _cell(row, columns, field)

    reference = ParsedReference()
    reference.title = cell("title")
    reference.abstract, sections = n.structured_abstract(cell("abstract"))
    reference.abstract_sections = [AbstractSection(label, text) for label, text in sections]
    reference.authors = n.split_author_list(_SCOPUS_ID.sub("", cell("authors")))
    reference.journal = cell("journal")
    reference.year = n.parse_year(cell("year"))
    reference.volume = cell("volume")
    reference.issue = cell("issue")
    reference.pages = (
        n.join_pages(cell("pages"))
        or n.join_pages(cell("start_page"), cell("end_page"))
        or cell("article_number")
    )
    citation = _CITATION.search(cell("citation"))
    if citation:
        reference.volume = reference.volume or citation.group("volume")
        reference.issue = reference.issue or (citation.group("issue") or "")
        reference.pages = reference.pages or citation.group("pages")

    reference.doi = next(
        (doi for value in _cells(row, columns, "doi") if (doi := n.normalise_doi(value))), ""
    )
    reference.pmid = n.clean_pmid(cell("pmid"))
    reference.pmcid = n.clean_pmcid(cell("pmcid"))
    reference.registry_ids = n.find_registry_ids(" ".join(_cells(row, columns, "registry")))
    reference.publication_types = n.unique(
        value for value in _split(cell("publication_types")) if not _TYPE_CODES.match(value)
    )
    reference.mesh_terms = n.unique(
        term.split("/", 1)[0].lstrip("*").strip() for term in _split(cell("mesh"))
    )
    reference.keywords = n.unique(
        keyword.lstrip("*").strip()
        for value in _cells(row, columns, "keywords")
        for keyword in _split(value)
    )
    reference.language = cell("language")
    reference.urls = n.unique(
        url
        for value in _cells(row, columns, "urls")
        for url in re.split(r"[\s;|]+", value)
        if url.lower().startswith(("http", "www."))
    )
    return reference
