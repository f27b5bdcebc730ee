"""RIS (EndNote, Zotero, Mendeley, Ovid, Embase, Scopus, Cochrane Library ...), read as a stream.

The file is cut into records here, one "TY  -" line to the next "ER  -" line, so that each
record keeps its own text as `raw` and a record without an end tag is noticed; rispy then
reads the tags of each record. Lines outside records are skipped: Ovid's "1." numbers, the
Cochrane Library's "Record #1 of 2" preambles, text after an ER line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import rispy
from rispy.config import TYPE_OF_REFERENCE_MAPPING

from references import normalise as n
from references.parsers.base import AbstractSection, Entry, ParsedReference
from references.parsers.detect import Detection
from references.parsers.tagged import tagged_entries

_PARSER = rispy.RisParser()


def _tag(line: str) -> str:
    # The rule rispy uses: two upper-case characters, the first a letter, then "  -".
    if line[2:5] == "  -" and line[:1].isalpha() and line[:2].isupper():
        return line[:2]
    return ""


def iter_entries(path: Path, detection: Detection) -> Iterator[Entry]:
    with path.open(encoding=detection.encoding, errors="replace") as handle:
        yield from read_records(line.rstrip("\r\n") for line in handle)


def read_records(lines: Iterable[str]) -> Iterator[Entry]:
    return tagged_entries(
        lines,
        starts=lambda line: _tag(line) == "TY",
        ends=lambda line: _tag(line) == "ER",
        parser=_PARSER,
        end_line="ER  - ",
        to_reference=_reference,
    )


def _values(record: dict, *keys: str) -> list[str]:
    """Every non-empty value of the given keys (rispy names or unknown tags), in key order."""
    unknown = record.get("unknown_tag") or {}
    values = []
    for key in keys:
        value = record.get(key) if key in record else unknown.get(key)
        if value is None:
            continue
        for item in [value] if isinstance(value, str) else value:
            text = n.clean_text(item)
            if text:
                values.append(text)
    return values


def _raw_values(record: dict, key: str) -> list[str]:
    """The values of a rispy field as written, only stripped (notes are kept verbatim)."""
    value = record.get(key)
    values = [value] if isinstance(value, str) else (value or [])
    return [item.strip() for item in values if isinstance(item, str)]


def _first(record: dict, *keys: str) -> str:
    values = _values(record, *keys)
    return values[0] if values else ""


def _reference(record: dict) -> ParsedReference:
    reference = ParsedReference()
    reference.title = _first(record, "title", "primary_title", "BT", "translated_title")
    if not reference.title:
        reference.title = _first(record, "short_title")
    abstract = _first(record, "abstract", "notes_abstract")
    reference.abstract, sections = n.structured_abstract(abstract)
    reference.abstract_sections = [AbstractSection(label, text) for label, text in sections]

    authors = _values(record, "authors", "first_authors") or _values(record, "secondary_authors")
    reference.authors = n.unique(n.format_author(name) for name in authors)
    reference.journal = _first(
        record,
        "alternate_title3",
        "secondary_title",
        "journal_name",
        "alternate_title1",
        "alternate_title2",
    )
    years = (n.parse_year(value) for value in _values(record, "year", "publication_year", "date"))
    reference.year = next((year for year in years if year), None)
    reference.volume = _first(record, "volume", "VO")
    reference.issue = _first(record, "number", "CP")
    reference.pages = n.join_pages(_first(record, "start_page"), _first(record, "end_page"))

    reference.doi = _doi(record)
    reference.pmid, reference.pmcid = _pubmed_ids(record)

    kind = _first(record, "type_of_reference")
    types = [TYPE_OF_REFERENCE_MAPPING.get(kind.upper(), kind)] if kind else []
    type_of_work = _first(record, "type_of_work")
    if type_of_work and "/" not in type_of_work:
        types.append(type_of_work)
    reference.publication_types = n.unique(types)
    reference.keywords = n.unique(
        value.lstrip("*").strip() for value in _values(record, "keywords")
    )
    reference.language = _first(record, "language")
    # N1 as written (Rayyan puts its decisions there: "RAYYAN-INCLUSION: {...} | ...").
    reference.notes = "\n".join(note for note in _raw_values(record, "notes") if note)
    reference.urls = n.unique(
        url for url in _values(record, "urls", "LK") if url.lower().startswith(("http", "www."))
    )
    return reference


def _doi(record: dict) -> str:
    for value in _values(record, "doi", "DI"):
        doi = n.normalise_doi(value)
        if doi:
            return doi
    # DOIs also travel as links: L3 (EndNote), UR, M3, N1.
    for value in _values(record, "L3", "urls", "type_of_work", "notes"):
        lowered = value.lower()
        if "doi.org/" in lowered or lowered.startswith(("10.", "doi:")):
            doi = n.normalise_doi(value)
            if doi:
                return doi
    return ""


def _pubmed_ids(record: dict) -> tuple[str, str]:
    pmid = ""
    database = " ".join(_values(record, "name_of_database", "database_provider")).lower()
    for value in _values(record, "accession_number", "PM", "PMID"):
        lowered = value.lower()
        if lowered.startswith("pmid") or "pubmed" in database or "medline" in database:
            pmid = n.clean_pmid(value)
            if pmid:
                break
    if not pmid and "embase" in database:
        # Embase.com writes the MEDLINE PMID of a record it shares with MEDLINE in C5.
        pmid = next((p for v in _values(record, "custom5", "C5") if (p := n.clean_pmid(v))), "")
    pmcid = ""
    for value in _values(record, "custom2", "PMC", "PMCID"):
        if value.upper().startswith("PMC"):
            pmcid = n.clean_pmcid(value)
            if pmcid:
                break
    return pmid, pmcid
