"""CSL-JSON (Zotero's and Mendeley's "CSL JSON" export, citeproc-js and pandoc input), streamed.

The file is a JSON array of items (https://github.com/citation-style-language/schema, file
csl-data.json): `type`, `title`, `author` [{family, given, literal...}], `container-title`,
`issued` {date-parts}, `volume`, `issue`, `page`, `DOI`, `PMID`, `PMCID`, `abstract`,
`keyword`, `URL`, `note`. The array is read one item at a time (json's `raw_decode` on a
buffer that is refilled as needed and emptied after each item), so memory stays flat however
many items the file holds; each item keeps its own text as `raw`.

Titles may carry CSL's rich-text markup (<i>, <b>, <sub>, <sup>, <span class="nocase">): it is
reduced to its text. Zotero writes the Extra field as `note`, where "PMID: 123" lines stand
when the item has no PMID variable.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from references import normalise as n
from references.parsers.base import (
    AbstractSection,
    Entry,
    ImportFileError,
    ParsedReference,
    UnreadableEntry,
)
from references.parsers.detect import Detection

CHUNK_CHARS = 1024 * 1024
# One item larger than this is not a reference: the file is refused rather than held whole.
MAX_ITEM_CHARS = 64 * 1024 * 1024
# The name lists that name a work's authors, best first (editors when there is no author).
CREATORS = ("author", "editor", "container-author", "collection-editor", "director")
_MARKUP = re.compile(r"</?(?:i|b|sub|sup|sc|span)(?:\s[^<>]*)?>", re.IGNORECASE)
# Ids in Zotero's Extra field (CSL `note`): "PMID: 123" lines, or citeproc-js's "{:PMID: 123}".
_EXTRA_ID = re.compile(
    r"^\s*(PMID|PMCID|DOI)\s*:\s*(\S+)\s*$|\{:(PMID|PMCID|DOI)\s*:\s*([^{}]+)\}",
    re.IGNORECASE | re.MULTILINE,
)
_DECODER = json.JSONDecoder(strict=False)  # a raw tab or newline in a string is read


def iter_entries(path: Path, detection: Detection) -> Iterator[Entry]:
    with path.open(encoding=detection.encoding, errors="replace") as handle:
        for item, raw in _Items(handle):
            yield _entry(item, raw)


class _Items:
    """The items of a JSON array read from `handle`, each with its text, one at a time."""

    def __init__(self, handle: TextIO):
        self._handle = handle
        self._buffer = ""
        self._pos = 0
        self._at_end = False
        self._line = 1  # the line of the file at which the buffer starts

    def __iter__(self) -> Iterator[tuple[object, str]]:
        if self._next_char() != "[":
            raise ImportFileError("The file is not a JSON list of items, as CSL-JSON is.")
        self._pos += 1
        if self._next_char() == "]":
            return
        while True:
            yield self._item()
            char = self._next_char()
            if char == "]":
                return
            if not char:
                raise self._truncated()
            if char != ",":
                raise self._damaged("a comma or the end of the list was expected")
            self._pos += 1

    def _fill(self) -> bool:
        """Read more of the file into the buffer; False at the end of the file."""
        if self._at_end:
            return False
        self._line += self._buffer.count("\n", 0, self._pos)
        self._buffer = self._buffer[self._pos :]
        self._pos = 0
        data = self._handle.read(max(CHUNK_CHARS, len(self._buffer)))
        if not data:
            self._at_end = True
            return False
        self._buffer += data
        return True

    def _next_char(self) -> str:
        """The next character that is not whitespace ("" at the end of the file)."""
        while True:
            while self._pos < len(self._buffer) and self._buffer[self._pos] in " \t\r\n\ufeff":
                self._pos += 1
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._fill():
                return ""

    def _item(self) -> tuple[object, str]:
        if not self._next_char():
            raise self._truncated()
        while True:
            try:
                item, end = _DECODER.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as error:
                # Cut by the end of the buffer: inside a string, or within a few characters
                # of the end (a number, a word, an escape). Read on, and decode again.
                in_string = error.msg.startswith("Unterminated string")
                if not self._at_end and (in_string or error.pos >= len(self._buffer) - 16):
                    self._more()
                    continue
                if in_string or error.pos >= len(self._buffer.rstrip()):
                    raise self._truncated() from None
                raise self._damaged(error.msg, error.pos) from None
            if end == len(self._buffer) and not isinstance(item, dict) and not self._at_end:
                self._more()  # a number or word cut by the end of the buffer: read it whole
                continue
            raw = self._buffer[self._pos : end]
            self._pos = end
            return item, raw

    def _more(self) -> bool:
        """Read more of an item that the buffer holds only part of; False at the end. The
        buffer then starts at the item, so positions in it change."""
        if len(self._buffer) - self._pos > MAX_ITEM_CHARS:
            raise ImportFileError(
                "An item of the JSON file is larger than any reference can be "
                f"({MAX_ITEM_CHARS // (1024 * 1024)} MB): the file is not a CSL-JSON export."
            )
        return self._fill()

    def _truncated(self) -> ImportFileError:
        return ImportFileError(
            "The file ends in the middle of an item: it looks truncated (cut off during "
            "download or copying). Export or download it again."
        )

    def _damaged(self, message: str, at: int | None = None) -> ImportFileError:
        at = self._pos if at is None else at
        line = self._line + self._buffer.count("\n", 0, at)
        return ImportFileError(
            f"The JSON is damaged at line {line}: {message}. Export the file again."
        )


# --- Items ------------------------------------------------------------------------------------


def _entry(item: object, raw: str) -> Entry:
    if not isinstance(item, dict):
        return UnreadableEntry(
            position=0,
            reason=f"the list holds a {type(item).__name__}, not an item (a JSON object)",
            excerpt=raw[:300],
        )
    try:
        reference = _reference(item)
    except Exception as error:  # noqa: BLE001 - one odd item must not stop the import
        return UnreadableEntry(
            position=0,
            reason=f"the item could not be read ({error.__class__.__name__}: {error})",
            excerpt=raw[:300],
        )
    reference.raw = raw
    return reference


def _string(value: object) -> str:
    """A variable as text: CSL strings and numbers; the first value of a list (Crossref)."""
    if isinstance(value, list):
        value = next((part for part in value if isinstance(part, str | int | float)), "")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return n.clean_text(str(value))


def _rich(value: object) -> str:
    """Text that may carry CSL's HTML-like markup, reduced to its text."""
    text = _string(value)
    if "<" in text:
        text = n.clean_text(_MARKUP.sub("", text))
    return html.unescape(text) if "&" in text else text


def _reference(item: dict) -> ParsedReference:
    reference = ParsedReference()
    reference.title = _rich(item.get("title")) or _rich(item.get("title-short"))
    reference.journal = _rich(item.get("container-title")) or _rich(
        item.get("container-title-short") or item.get("journalAbbreviation")
    )
    reference.authors = _creators(item)
    reference.year = _year(item.get("issued")) or _year(item.get("original-date"))
    reference.volume = _string(item.get("volume"))
    reference.issue = _string(item.get("issue"))
    reference.pages = n.join_pages(_string(item.get("page")))
    abstract, sections = n.structured_abstract(_rich(item.get("abstract")))
    reference.abstract = abstract
    reference.abstract_sections = [AbstractSection(label, text) for label, text in sections]
    reference.notes = _notes(item.get("note"))
    found = _note_ids(reference.notes)
    reference.doi = n.normalise_doi(_variable(item, "DOI") or found.get("DOI", ""))
    reference.pmid = n.clean_pmid(_variable(item, "PMID") or found.get("PMID", ""))
    reference.pmcid = n.clean_pmcid(_variable(item, "PMCID") or found.get("PMCID", ""))
    url = _variable(item, "URL")
    reference.urls = [url] if url.lower().startswith(("http://", "https://", "www.")) else []
    reference.keywords = _keywords(item.get("keyword"))
    reference.language = _string(item.get("language"))
    reference.publication_types = n.unique([_string(item.get("type")), _string(item.get("genre"))])
    custom = item.get("custom")
    if isinstance(custom, dict):
        reference.extra = {str(k): text for k, v in custom.items() if (text := _string(v))}
    return reference


def _variable(item: dict, name: str) -> str:
    """An upper-case CSL variable (DOI, PMID...), also when a tool wrote it in lower case."""
    return _string(item.get(name)) or _string(item.get(name.lower()))


def _note_ids(note: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line_key, line_value, braced_key, braced_value in _EXTRA_ID.findall(note):
        found.setdefault((line_key or braced_key).upper(), (line_value or braced_value).strip())
    return found


def _creators(item: dict) -> list[str]:
    for key in CREATORS:
        names = item.get(key)
        if not isinstance(names, list):
            continue
        found = n.unique(_name(name) for name in names)
        if found:
            return found
    return []


def _name(name: object) -> str:
    """ "Family, Given" from a CSL name; a literal (institutional) name as written."""
    if isinstance(name, str):
        return n.format_author(name)
    if not isinstance(name, dict):
        return ""
    literal = _string(name.get("literal"))
    particle, family = _string(name.get("non-dropping-particle")), _string(name.get("family"))
    family = f"{particle} {family}" if particle and family else family
    given = " ".join(
        part
        for part in (_string(name.get("given")), _string(name.get("dropping-particle")))
        if part
    )
    if not family:
        return literal or given
    return n.format_person(family, given, _string(name.get("suffix")))


def _year(date: object) -> int | None:
    """The year of a CSL date: {"date-parts": [[2020, 3]]}, {"raw"/"literal": "..."} or text."""
    if isinstance(date, dict):
        parts = date.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            year = n.parse_year(_string(parts[0][0]))
            if year:
                return year
        return n.parse_year(_string(date.get("raw")) or _string(date.get("literal")))
    return n.parse_year(_string(date))


def _notes(value: object) -> str:
    if not isinstance(value, str):
        return _string(value)
    lines = (n.clean_text(line) for line in value.splitlines())
    return "\n".join(line for line in lines if line)


def _keywords(value: object) -> list[str]:
    """CSL's `keyword` is one string ("a, b" or "a; b"); some tools write a list."""
    if isinstance(value, list):
        return n.unique(_string(part) for part in value)
    text = _string(value)
    separator = ";" if ";" in text else ","
    return n.unique(n.clean_text(part) for part in text.split(separator))
