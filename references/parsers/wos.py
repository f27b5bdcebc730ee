"""Web of Science tagged export ("Plain text file" and the `.ciw` file for EndNote: FN/VR header,
PT ... ER records, EF), as the Web of Science Core Collection, BIOSIS, CAB Abstracts and
Zoological Record write it.

Two-character tags followed by one space; a field's further lines are indented by three spaces
(BIOSIS writes them without the indent). The file is cut into records here (PT to ER) so each
keeps its own text as `raw`, and each record is read into {tag: [lines]}. Every tag is read,
known or not: the databases add tags over time (Z8, ZA, ZB, ZR, ZS in current exports; AN, BD,
OR, PS, ST, TN ... in Zoological Record and CAB ones), and such a tag stays in the record's raw
text without ever refusing it. (rispy's WokParser raises KeyError on any tag outside its list,
and reads an unindented continuation line as a tag.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from references import normalise as n
from references.parsers.base import AbstractSection, Entry, ParsedReference
from references.parsers.detect import Detection
from references.parsers.tagged import tagged_entries

_RECORD_START = re.compile(r"^PT ")
_RECORD_END = re.compile(r"^ER\s*$")
_FILE_LINES = re.compile(r"^(?:FN|VR|EF)(?: |$)")
# A field's first line: a capital and a capital or digit, then a space or the end of the line.
_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9])(?: (.*)|\s*)$")


class WosTags:
    """Reads the lines of one record into {tag: [line, ...]}, every tag kept."""

    @staticmethod
    def parse_lines(lines: Iterable[str]) -> list[dict[str, list[str]]]:
        record: dict[str, list[str]] = {}
        tag = ""
        for line in lines:
            match = _TAG_LINE.match(line)
            if match and not line.startswith(" "):
                tag = match.group(1)
                if tag == "ER":
                    break
                record.setdefault(tag, []).append((match.group(2) or "").strip())
            elif tag and line.strip():
                record[tag].append(line.strip())
        return [record]


def iter_entries(path: Path, detection: Detection) -> Iterator[Entry]:
    with path.open(encoding=detection.encoding, errors="replace") as handle:
        yield from tagged_entries(
            (line.rstrip("\r\n") for line in handle),
            starts=lambda line: bool(_RECORD_START.match(line)),
            ends=lambda line: bool(_RECORD_END.match(line)),
            skip=lambda line: bool(_FILE_LINES.match(line)) or not line.strip(),
            parser=WosTags,
            end_line="ER",
            to_reference=_reference,
        )


def _lines(record: dict, tag: str) -> list[str]:
    """The field's values one per line (authors, addresses): for list fields."""
    return [text for line in record.get(tag, ()) if (text := n.clean_text(line))]


def _text(record: dict, *tags: str) -> str:
    """The first of the fields that has text, its lines joined with spaces."""
    for tag in tags:
        text = " ".join(_lines(record, tag))
        if text:
            return text
    return ""


def _split(record: dict, tag: str) -> list[str]:
    return [part for part in (n.clean_text(p) for p in _text(record, tag).split(";")) if part]


def _reference(record: dict) -> ParsedReference:
    reference = ParsedReference()
    reference.title = _text(record, "TI")
    reference.abstract, sections = n.structured_abstract(_text(record, "AB"))
    reference.abstract_sections = [AbstractSection(label, text) for label, text in sections]
    people = _lines(record, "AF") or _lines(record, "AU")
    people = people or _lines(record, "BF") or _lines(record, "BA")
    groups = [*_lines(record, "CA"), *_lines(record, "GP")]
    reference.authors = n.unique([*(n.format_author(name) for name in people), *groups])
    reference.journal = _text(record, "SO")
    reference.year = n.parse_year(_text(record, "PY")) or n.parse_year(_text(record, "EY"))
    reference.volume = _text(record, "VL")
    reference.issue = _text(record, "IS")
    # CAB Abstracts and Zoological Record give the pages as "PS 221-230".
    reference.pages = (
        n.join_pages(_text(record, "BP"), _text(record, "EP"))
        or n.join_pages(_text(record, "PS"))
        or _text(record, "AR")
    )
    reference.doi = n.normalise_doi(_text(record, "DI"))
    reference.pmid = n.clean_pmid(_text(record, "PM"))
    reference.publication_types = n.unique(_split(record, "DT"))
    reference.keywords = n.unique([*_split(record, "DE"), *_split(record, "ID")])
    reference.language = _text(record, "LA")
    return reference
