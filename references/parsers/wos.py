"""Web of Science tagged export ("Plain text file": FN/VR header, PT ... ER records, EF).

Two-letter tags followed by one space, continuation lines indented by three spaces. The file
is cut into records here (PT to ER) so each keeps its own text; rispy's WoK parser reads the
tags of each record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import rispy

from references import normalise as n
from references.parsers.base import AbstractSection, Entry, ParsedReference
from references.parsers.detect import Detection
from references.parsers.tagged import tagged_entries

_PARSER = rispy.WokParser()
_RECORD_START = re.compile(r"^PT ")
_RECORD_END = re.compile(r"^ER\s*$")
_FILE_LINES = re.compile(r"^(?:FN|VR|EF)(?: |$)")


def iter_entries(path: Path, detection: Detection) -> Iterator[Entry]:
    with path.open(encoding=detection.encoding, errors="replace") as handle:
        yield from tagged_entries(
            (line.rstrip("\r\n") for line in handle),
            starts=lambda line: bool(_RECORD_START.match(line)),
            ends=lambda line: bool(_RECORD_END.match(line)),
            skip=lambda line: bool(_FILE_LINES.match(line)) or not line.strip(),
            parser=_PARSER,
            end_line="ER",
            to_reference=_reference,
        )


def _list(record: dict, key: str) -> list[str]:
    value = record.get(key)
    if value is None:
        return []
    values = [value] if isinstance(value, str) else value
    return [text for item in values if (text := n.clean_text(item))]


def _text(record: dict, key: str) -> str:
    return " ".join(_list(record, key))


def _split(record: dict, key: str) -> list[str]:
    return [n.clean_text(part) for part in _text(record, key).split(";") if n.clean_text(part)]


def _reference(record: dict) -> ParsedReference:
    reference = ParsedReference()
    reference.title = _text(record, "document_title")
    reference.abstract, sections = n.structured_abstract(_text(record, "abstract"))
    reference.abstract_sections = [AbstractSection(label, text) for label, text in sections]
    people = _list(record, "author_full_name") or _list(record, "authors")
    people = people or _list(record, "book_authors_full_name") or _list(record, "book_authors")
    reference.authors = n.unique(
        [*(n.format_author(name) for name in people), *_list(record, "group_authors")]
    )
    reference.journal = _text(record, "publication_name")
    reference.year = n.parse_year(_text(record, "publication_year")) or n.parse_year(
        _text(record, "early_access_year")
    )
    reference.volume = _text(record, "volume")
    reference.issue = _text(record, "issue")
    reference.pages = n.join_pages(
        _text(record, "beginning_page"), _text(record, "ending_page")
    ) or _text(record, "article_number")
    reference.doi = n.normalise_doi(_text(record, "doi"))
    reference.pmid = n.clean_pmid(_text(record, "pubmed_id"))
    reference.publication_types = n.unique(_split(record, "document_type"))
    reference.keywords = n.unique(
        [*_split(record, "author_keywords"), *_split(record, "keywords_plus")]
    )
    reference.language = _text(record, "language")
    return reference
