"""Export lists of references to reference managers (RIS) and spreadsheets (CSV), as a stream.

    rows = (ExportRow.from_reference(r, extra={"state": "excluded", ...}) for r in references)
    with open(path, "w", encoding="utf-8", newline="") as out:
        write_csv(rows, out, extra_columns=["stage", "state", "reason"])
    with open(path, "w", encoding="utf-8") as out:
        write_ris(rows, out)

Plain Python, no Django: the caller turns its models into `ExportRow`s, adding what it knows
about screening in `extra` (ordered, free-form). Both writers handle one row at a time, so a
list of 100 000 references is never held in memory; `iter_ris` and `iter_csv` yield the same
text chunk by chunk for an HTTP response that streams (Django's StreamingHttpResponse).

RIS goes to EndNote, Zotero and Mendeley, and reads back with `references.parsers.read_file`.
CSV is UTF-8 with a byte-order mark (Excel otherwise reads it as the local code page) and has
its cells neutralised against spreadsheet formula injection.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO
from urllib.parse import quote

from .spreadsheet import spreadsheet_cell

__all__ = [
    "CSV_COLUMNS",
    "ExportRow",
    "csv_filename",
    "csv_header",
    "csv_row",
    "iter_csv",
    "iter_ris",
    "ris_entry",
    "ris_filename",
    "split_pages",
    "write_csv",
    "write_ris",
]


@dataclass
class ExportRow:
    # Bibliographic fields, as on references.models.Reference:
    title: str = ""
    abstract: str = ""
    authors: list[str] = field(default_factory=list)  # "Surname, Given", in order
    journal: str = ""
    year: int | None = None
    volume: str = ""
    issue: str = ""
    pages: str = ""
    pmid: str = ""
    pmcid: str = ""
    doi: str = ""
    registry_ids: list[str] = field(default_factory=list)
    publication_types: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    mesh_terms: list[str] = field(default_factory=list)
    language: str = ""
    urls: list[str] = field(default_factory=list)
    reference_id: int | None = None  # the app's id: the CSV's first column, RIS's ID tag
    # Screening information from the caller, in the order it should be shown, e.g.
    # {"stage": "full_text", "state": "excluded", "reason": "Wrong comparator"}.
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_reference(cls, reference: Any, extra: dict[str, str] | None = None) -> ExportRow:
        """A row from anything with Reference's attributes (a model instance, a namespace).

        Read by attribute name so that this module needs no import of the model."""
        values: dict[str, Any] = {}
        for name in _STRING_FIELDS:
            values[name] = getattr(reference, name, "") or ""
        for name in _LIST_FIELDS:
            values[name] = list(getattr(reference, name, None) or [])
        return cls(
            **values,
            year=getattr(reference, "year", None),
            reference_id=getattr(reference, "pk", getattr(reference, "id", None)),
            extra=dict(extra or {}),
        )


_STRING_FIELDS = (
    "title",
    "abstract",
    "journal",
    "volume",
    "issue",
    "pages",
    "pmid",
    "pmcid",
    "doi",
    "language",
)
_LIST_FIELDS = (
    "authors",
    "registry_ids",
    "publication_types",
    "keywords",
    "mesh_terms",
    "urls",
)


# --- RIS --------------------------------------------------------------------------------------

# Control characters (C0, DEL, C1) become spaces: some break lines for one reader and not for
# another (\x1c-\x1f, \x85 for str.splitlines), and a few make read_file take the file for binary.
_CONTROLS = dict.fromkeys((*range(0x20), *range(0x7F, 0xA0)), " ")

# PubMed prints page ranges with the end page shortened ("113-25" for 113-125) and sometimes a
# letter prefix on both ends ("S12-4", "e1234-e1240").
_PAGE_RANGE = re.compile(r"^([A-Za-z]*)(\d+)\s*[-–—]{1,2}\s*([A-Za-z]*)(\d+)$")


def _one_line(value: object) -> str:
    """The value on one line, whitespace collapsed.

    A RIS value cannot hold a line break: the next line would be read as a continuation, or
    as a new tag when it starts like one ("ER  - "), which would end the record early."""
    if value is None:
        return ""
    return " ".join(str(value).translate(_CONTROLS).split())


def split_pages(pages: str) -> tuple[str, str]:
    """(start page, end page) for RIS's SP and EP: "113-25" -> ("113", "125").

    Only a range of two page numbers is split; anything else ("e1234", "iii-xii",
    "113-25; discussion 126") stays whole in the start page, where it loses nothing."""
    text = _one_line(pages)
    match = _PAGE_RANGE.match(text)
    if not match:
        return text, ""
    start_prefix, start, end_prefix, end = match.groups()
    if end_prefix and end_prefix != start_prefix:
        return text, ""
    if len(end) < len(start):
        end = start[: len(start) - len(end)] + end
    return start_prefix + start, start_prefix + end


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))


def _urls(row: ExportRow) -> list[str]:
    urls = []
    pmid = _one_line(row.pmid)
    if pmid:
        urls.append(f"https://pubmed.ncbi.nlm.nih.gov/{quote(pmid, safe='')}/")
    doi = _one_line(row.doi)
    if doi:
        # DOIs may hold ";", "<", ">", "#" (old Wiley SICIs); doi.org resolves them escaped.
        urls.append(f"https://doi.org/{quote(doi, safe='/:()')}")
    # rispy splits UR values at ";" when reading, so a ";" inside a URL is escaped.
    urls.extend(_one_line(url).replace(";", "%3B") for url in row.urls)
    return _unique(urls)


def _screening_note(extra: dict[str, str]) -> str:
    parts = [
        f"{_one_line(key)} {_one_line(value)}" for key, value in extra.items() if _one_line(value)
    ]
    return "Screening: " + "; ".join(parts) if parts else ""


def ris_entry(row: ExportRow) -> str:
    """One RIS record, "TY  - " to "ER  - ", each line ending in a newline."""
    lines: list[str] = []

    def tag(name: str, value: object) -> None:
        text = _one_line(value)
        if text:
            lines.append(f"{name}  - {text}\n")

    journal = _one_line(row.journal)
    tag("TY", "JOUR" if journal else "GEN")
    tag("TI", row.title)
    for author in row.authors:
        tag("AU", author)
    tag("PY", row.year)
    # JO for EndNote and Mendeley, T2 for Zotero (its "Publication"); the reader takes either.
    tag("JO", journal)
    tag("T2", journal)
    tag("VL", row.volume)
    tag("IS", row.issue)
    start_page, end_page = split_pages(row.pages)
    tag("SP", start_page)
    tag("EP", end_page)
    tag("AB", row.abstract)
    for keyword in _unique(_one_line(k) for k in (*row.keywords, *row.mesh_terms)):
        tag("KW", keyword)
    tag("DO", row.doi)
    if _one_line(row.pmid):
        # An accession number is only a PMID together with the database it is from: the
        # repository's reader, like EndNote, takes AN for a PMID when DB names PubMed.
        tag("AN", row.pmid)
        tag("DB", "PubMed")
    tag("C2", row.pmcid)  # where PubMed's own exports to EndNote put the PMCID
    for url in _urls(row):
        tag("UR", url)
    tag("LA", row.language)
    tag("ID", row.reference_id)
    tag("N1", _screening_note(row.extra))
    lines.append("ER  - \n\n")
    return "".join(lines)


def iter_ris(rows: Iterable[ExportRow]) -> Iterator[str]:
    """The RIS file as text chunks, one record each."""
    for row in rows:
        yield ris_entry(row)


def write_ris(rows: Iterable[ExportRow], out: TextIO) -> int:
    """Write RIS records to `out` as they come; the number of records written.

    Open a file for it with encoding="utf-8": EndNote, Zotero and Mendeley read UTF-8 RIS."""
    count = 0
    for row in rows:
        out.write(ris_entry(row))
        count += 1
    return count


# --- CSV --------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "reference_id",
    "title",
    "authors",
    "year",
    "journal",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "pmcid",
    "registry_ids",
    "publication_types",
    "keywords",
    "abstract",
)


def _cell(value: object) -> str:
    return spreadsheet_cell("" if value is None else str(value))


def _number(value: int | None) -> str:
    # Written by us from an int, so never a formula; left bare to stay a number in Excel.
    return "" if value is None else str(int(value))


def csv_header(extra_columns: Iterable[str]) -> list[str]:
    """The header row: CSV_COLUMNS, then the extra columns in the order given."""
    return [*CSV_COLUMNS, *(_cell(name) for name in extra_columns)]


def csv_row(row: ExportRow, extra_columns: Iterable[str]) -> list[str]:
    """One row's cells, in the order of `csv_header(extra_columns)`."""
    out = [
        _number(row.reference_id),
        _cell(row.title),
        _cell("; ".join(row.authors)),
        _number(row.year),
    ]
    out.extend(
        _cell(value)
        for value in (
            row.journal,
            row.volume,
            row.issue,
            row.pages,
            row.doi,
            row.pmid,
            row.pmcid,
            "; ".join(row.registry_ids),
            "; ".join(row.publication_types),
            "; ".join(row.keywords),
            row.abstract,
        )
    )
    out.extend(_cell(row.extra.get(name, "")) for name in extra_columns)
    return out


class _Echo:
    """A "file" whose write returns the text, so csv.writer's writerow hands back each line."""

    def write(self, text: str) -> str:
        return text


def _wants_bom(out: TextIO) -> bool:
    # A stream opened with encoding="utf-8-sig" writes its own byte-order mark.
    encoding = getattr(out, "encoding", None)
    if not isinstance(encoding, str):
        return True
    try:
        return codecs.lookup(encoding).name != "utf-8-sig"
    except LookupError:
        return True


def iter_csv(rows: Iterable[ExportRow], extra_columns: Iterable[str]) -> Iterator[str]:
    """The CSV file as text chunks: the byte-order mark and header, then one chunk per row."""
    columns = list(extra_columns)
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(csv_header(columns))
    for row in rows:
        yield writer.writerow(csv_row(row, columns))


def write_csv(rows: Iterable[ExportRow], out: TextIO, extra_columns: Iterable[str]) -> int:
    """Write the CSV (header, then each row as it comes) to `out`; the number of rows written.

    Open a file for it with encoding="utf-8" and newline="" (the csv module's rule: it writes
    its own CRLF line ends, and quoted newlines inside cells must reach the file unchanged)."""
    columns = list(extra_columns)
    if _wants_bom(out):
        out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(csv_header(columns))
    count = 0
    for row in rows:
        writer.writerow(csv_row(row, columns))
        count += 1
    return count


# --- File names -------------------------------------------------------------------------------


def _slug(stem: str) -> str:
    # ASCII letters, digits and hyphens only: safe in a Content-Disposition header and on every
    # file system. Accents are dropped, not the letters ("Médecine" -> "medecine").
    ascii_text = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:120].rstrip("-") or "references"


def ris_filename(stem: str) -> str:
    """A safe file name: "Ivonescimab excluded 2026-12-01" -> "ivonescimab-excluded-2026-12-01.ris".

    Empty or all-symbol stems give "references.ris"."""
    return f"{_slug(stem)}.ris"


def csv_filename(stem: str) -> str:
    """The CSV counterpart of `ris_filename`: "... 2026-12-01" -> "...-2026-12-01.csv"."""
    return f"{_slug(stem)}.csv"
