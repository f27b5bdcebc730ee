"""Tables of references: the CSV (or tab-separated) exports of PubMed, Scopus, Web of Science,
Embase, Zotero, EndNote, Rayyan, Covidence and ASReview, Excel's semicolon-separated CSV; any
table with a title, abstract, PMID or DOI column.

detect.py has found the header row (after any preamble lines, such as Embase writes) and the
delimiter. A header is matched by its letters and digits only, case aside (`normalise_column`:
"PubMed ID", "pubmedID" and "pubmed_id" are one column) against the names those tools write.
Rows are read as a stream with the csv module; each row keeps its own text as `raw`. What no
field takes is kept for the screening app to read (another tool's labels and decisions): the
notes column(s) in `notes`, every other non-empty cell in `extra` under its header, verbatim.
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
from references.parsers.text_formats import column_keys, normalise_column

# For each field, the column names that hold it, best first. Where the names come from (the
# header rows of real exports; tests/data/csv/ holds one file per tool, see its MANIFEST rows):
# - PubMed "Save > CSV": PMID, Title, Authors, Citation, First Author, Journal/Book, Publication
#   Year, Create Date, PMCID, NIHMS ID, DOI.
# - Scopus: Authors, Author full names, Author(s) ID, Title, Year, Source title, Volume, Issue,
#   Art. No., Page start, Page end, Page count, Cited by, DOI, Link, ..., Abstract, Author
#   Keywords, Index Keywords, ..., PubMed ID, Language of Original Document, Document Type, ...,
#   EID (the list in albesibbe/scopus_of_science constants.py S_TAGS).
# - Web of Science "Excel"/"Tab delimited" with full names: Publication Type, Authors, ...,
#   Author Full Names, ..., Article Title, Source Title, ..., Author Keywords, Keywords Plus,
#   Abstract, ..., Publication Year, Volume, Issue, ..., Start Page, End Page, Article Number,
#   DOI, DOI Link, ..., Pubmed Id, ..., UT (Unique WOS ID); and with tags (PT AU AF TI SO ...).
# - Zotero "CSV": Key, Item Type, Publication Year, Author, Title, Publication Title, ISBN, ISSN,
#   DOI, Url, Abstract Note, Date, ..., Pages, Num Pages, Issue, Volume, ..., Language, ...,
#   Extra, Notes, File Attachments, Link Attachments, Manual Tags, Automatic Tags, Editor, ...
# - EndNote tables (its field names): Reference Type, Author, Year, Title, Secondary Title,
#   Volume, Number, Pages, Keywords, Abstract, Notes, Research Notes, URL, DOI, Accession
#   Number, Name of Database, PMCID.
# - Rayyan (rayyanqcri/rayyan-formats-core lib/rayyan-formats-core/plugins/csv.rb, export):
#   key, title, year, journal, issn, volume, issue, pages, authors (joined with " and "), url,
#   language, publisher, location, abstract, notes; its import templates add doi, keywords,
#   pubmed_id, pmc_id, day, month.
# - Covidence: Title, Authors, Abstract, Published Year, Published Month, Journal, Volume,
#   Issue, Pages, Accession Number, DOI, Ref, Covidence #, Study, Notes, Tags.
# - ASReview (asreview/data/config.py COLUMN_DEFINITIONS and its export): record_id, title or
#   primary_title, abstract or notes_abstract, authors or first_authors, keywords, year, doi,
#   included / label_included / asreview_label, asreview_ranking, exported_notes_1, ...
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "title": (
        "title",
        "article title",
        "document title",
        "primary title",
        "title of article",
        "titles",
        "ti",
        "t1",
    ),
    "abstract": ("abstract", "abstract note", "abstracts", "notes_abstract", "ab", "n2"),
    "authors": (
        "author full names",
        "af",
        "authors",
        "author",
        "author names",
        "author(s)",
        "author name",
        "first_authors",
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
        "published year",
        "py",
        "pubyear",
        "year published",
        "publication date",
        "date of publication",
        "date",
    ),
    "volume": ("volume", "vl"),
    "issue": ("issue", "number", "is"),
    "pages": ("pages", "page", "page numbers", "pagination", "pg"),
    "start_page": ("page start", "start page", "first page", "bp", "sp"),
    "end_page": ("page end", "end page", "last page", "ep"),
    "article_number": ("art. no.", "article number", "ar"),
    "doi": ("doi", "di", "do", "digital object identifier"),
    "pmid": ("pmid", "pubmed id", "medline pmid", "pm", "pubmed"),
    # EndNote's and Covidence's "Accession Number" is the PMID of a PubMed record, and another
    # database's own number otherwise: read as a PMID only under the rules of _accession_pmid.
    "accession": ("accession number",),
    "database": ("name of database", "database", "database provider"),
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
        "reference type",
        "type_of_reference",
        "dt",
        "pt",
    ),
    "mesh": ("mesh terms", "mesh", "mesh headings", "mh"),
    "keywords": (
        "author keywords",
        "keywords",
        "keyword",
        "keywords plus",
        "index keywords",
        "manual tags",
        "automatic tags",
        "de",
        "emtree medical index terms",
        "emtree drug index terms",
        "kw",
    ),
    "language": ("language", "language of original document", "language of article", "la"),
    "urls": ("url", "link", "links", "full text link", "doi link", "ur"),
    "citation": ("citation",),
    # Kept verbatim in `notes` (Rayyan's "RAYYAN-INCLUSION: {...} | ..." is there).
    "notes": ("notes", "note", "research notes", "n1"),
}
COLUMNS: dict[str, tuple[str, ...]] = {
    field: column_keys(*names) for field, names in COLUMN_NAMES.items()
}
# WoS writes "PT" (publication type) as a one-letter code: not a publication type worth keeping.
_TYPE_CODES = re.compile(r"^[A-Z]$")
_CITATION = re.compile(r";\s*(?P<volume>[\w-]+)(?:\((?P<issue>[^)]+)\))?:(?P<pages>[\w-]+)")
_SCOPUS_ID = re.compile(r"\s*\(\d{6,}\)")
# Zotero keeps a record's PubMed ids in its "Extra" field: "PMID: 31234567\nPMCID: PMC123".
_EXTRA_ID = re.compile(r"^\s*(PMID|PMCID):\s*(\S+)\s*$", re.IGNORECASE | re.MULTILINE)
_MAX_BARE_PMID = 8  # digits of a PMID today (the 40 millions); other databases' numbers are longer


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


class _Columns:
    """Where each field's cells are in a row, and the headers of the columns no field takes."""

    def __init__(self, header: list[str]):
        names = [normalise_column(cell) for cell in header]
        self.indexes: dict[str, list[int]] = {}
        for field, candidates in COLUMNS.items():
            found = [i for name in candidates for i, cell in enumerate(names) if cell == name]
            if found:
                self.indexes[field] = found
        taken = {i for found in self.indexes.values() for i in found}
        self.others: list[tuple[int, str]] = []
        labels: set[str] = set()
        for i, cell in enumerate(header):
            if i in taken:
                continue
            label = base = cell.replace("\ufeff", "").strip() or f"column {i + 1}"
            count = 1
            while label in labels:
                count += 1
                label = f"{base} ({count})"
            labels.add(label)
            self.others.append((i, label))


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
            columns = _Columns(header)
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


def _entry(row: list[str], columns: _Columns, raw: str, number: int) -> Entry:
    try:
        reference = _reference(row, columns.indexes)
        _keep_the_rest(reference, row, columns)
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
    listed = n.list_literal_items(value)  # ASReview writes lists as "['a', 'b']"
    parts = listed if listed is not None else re.split(r"[;|]", value)
    return [n.clean_text(part) for part in parts if n.clean_text(part)]


def _accession_pmid(accession: str, database: str) -> str:
    """The PMID an "Accession Number" cell holds: one marked "PMID", one from a PubMed or
    MEDLINE record, or, when no database is named, a number as short as a PMID."""
    if not accession:
        return ""
    database = database.lower()
    if accession.lower().startswith("pmid") or "pubmed" in database or "medline" in database:
        return n.clean_pmid(accession)
    if database:
        return ""  # an Embase, Web of Science or CINAHL number
    pmid = n.clean_pmid(accession)
    return pmid if len(pmid) <= _MAX_BARE_PMID else ""


def _reference(row: list[str], columns: dict[str, list[int]]) -> ParsedReference:
    def cell(field: str) -> str:
        return _cell(row, columns, field)

    reference = ParsedReference()
    reference.title = cell("title")
    reference.abstract, sections = n.structured_abstract(cell("abstract"))
    reference.abstract_sections = [AbstractSection(label, text) for label, text in sections]
    reference.authors = n.split_author_list(_SCOPUS_ID.sub("", cell("authors")))
    reference.journal = cell("journal")
    years = (n.parse_year(value) for value in _cells(row, columns, "year"))
    reference.year = next((year for year in years if year), None)
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
    reference.pmid = n.clean_pmid(cell("pmid")) or _accession_pmid(
        cell("accession"), cell("database")
    )
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


def _keep_the_rest(reference: ParsedReference, row: list[str], columns: _Columns) -> None:
    """The notes column(s) and the cells no field took, as written (only stripped)."""
    notes = (row[i].strip() for i in columns.indexes.get("notes", []) if i < len(row))
    reference.notes = "\n".join(note for note in notes if note)
    reference.extra = {
        label: row[i].strip() for i, label in columns.others if i < len(row) and row[i].strip()
    }
    for label, value in reference.extra.items():
        if normalise_column(label) == "extra":  # Zotero's "Extra"
            for kind, found in _EXTRA_ID.findall(value):
                if kind.upper() == "PMID" and not reference.pmid:
                    reference.pmid = n.clean_pmid(found)
                elif kind.upper() == "PMCID" and not reference.pmcid:
                    reference.pmcid = n.clean_pmcid(found)
