"""Read literature files (PubMed XML, MEDLINE, RIS, EndNote XML, Web of Science, BibTeX, CSL-JSON,
CSV) into plain data.

    parsed = read_file(path)              # format and encoding recognised from the content
    for entry in parsed.entries():        # streamed, in file order, positions from 1
        if isinstance(entry, UnreadableEntry): ...

`read_file` refuses a file that is empty, not a literature export, an E-utilities answer that is
not a set of articles, JSON that is not CSL-JSON, a web page, or unsafe XML, by raising
ImportFileError with a sentence for the person who uploaded it. Iterating `entries()` can raise
ImportFileError too (a truncated XML or JSON file, or a file in which no record at all could be
found).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from references import normalise as n
from references.parsers import (
    bibtex,
    csl_json,
    csv_table,
    endnote_xml,
    medline,
    pubmed_xml,
    ris,
    wos,
)
from references.parsers.base import (
    AbstractSection,
    Entry,
    ImportFileError,
    ParsedReference,
    UnreadableEntry,
)
from references.parsers.detect import Detection, detect
from references.parsers.formats import FORMAT_LABELS, FORMAT_NAMES, FORMATS

__all__ = [
    "FORMATS",
    "FORMAT_LABELS",
    "AbstractSection",
    "Entry",
    "ImportFileError",
    "ParsedFile",
    "ParsedReference",
    "UnreadableEntry",
    "read_file",
]

# One reader per format of FORMATS (tests/references/test_parsers.py checks that none is missing).
_PARSERS: dict[str, Callable[[Path, Detection], Iterator[Entry]]] = {
    "pubmed-xml": pubmed_xml.iter_entries,
    "medline": medline.iter_entries,
    "ris": ris.iter_entries,
    "endnote-xml": endnote_xml.iter_entries,
    "wos": wos.iter_entries,
    "bibtex": bibtex.iter_entries,
    "csl-json": csl_json.iter_entries,
    "csv": csv_table.iter_entries,
}

NO_TITLE = "no title"


@dataclass
class ParsedFile:
    format: str  # one of FORMATS
    encoding: str  # e.g. "utf-8", "utf-8-sig", "cp1252"
    warnings: list[str]  # file-level sentences for a person
    path: Path | None = field(default=None, repr=False)
    detection: Detection | None = field(default=None, repr=False)

    def entries(self) -> Iterator[ParsedReference | UnreadableEntry]:
        """The file's entries in file order, numbered from 1, read as a stream."""
        if self.path is None or self.detection is None:
            raise ImportFileError("The file was not read with read_file().")
        count = 0
        try:
            for entry in _PARSERS[self.format](self.path, self.detection):
                count += 1
                yield finish_entry(entry, count)
        except ImportFileError:
            raise
        except Exception as error:  # noqa: BLE001 - the contract: only ImportFileError escapes
            raise ImportFileError(
                f"The file could not be read as {FORMAT_NAMES[self.format]} after "
                f"{count} record(s): {error.__class__.__name__}: {error}"
            ) from error
        if count == 0:
            raise ImportFileError(
                f"No records were found in the file, although it looks like "
                f"{FORMAT_NAMES[self.format]}. Check that the export holds references."
            )


def read_file(path: str | Path, *, format: str = "auto") -> ParsedFile:  # noqa: A002
    """Recognise the format (from the content, never the name) and encoding of a file.

    With `format` other than "auto", the content must look like that format; otherwise the
    ImportFileError says what it looks like instead.
    """
    if format != "auto" and format not in FORMATS:
        raise ValueError(f"format must be 'auto' or one of {FORMATS}, not {format!r}")
    path = Path(path)
    detection = detect(path, forced=format)
    return ParsedFile(
        format=detection.format,
        encoding=detection.encoding,
        warnings=list(detection.warnings),
        path=path,
        detection=detection,
    )


def finish_entry(entry: Entry, position: int) -> Entry:
    """What every format gets alike: position, registry ids from the text and from registry
    addresses, warnings."""
    entry.position = position
    if isinstance(entry, UnreadableEntry):
        return entry
    if not entry.identifies_a_work():
        return UnreadableEntry(
            position=position,
            reason="the record has no title, DOI, PMID or authors, so it identifies no work",
            excerpt=entry.raw[:300],
        )
    found = n.find_registry_ids(f"{entry.title}\n{entry.abstract}")
    found += n.registry_ids_in_urls(entry.urls)
    if found or entry.registry_ids:
        entry.registry_ids = n.unique([*(i.upper() for i in entry.registry_ids), *found])
    if not entry.title and NO_TITLE not in entry.warnings:
        entry.warnings.append(NO_TITLE)
    sample = n.mojibake_sample(
        "\n".join((entry.title, entry.abstract, entry.journal, *entry.authors))
    )
    if sample:
        entry.warnings.append(
            f"possible mojibake: “{sample}” suggests text that was decoded with the wrong "
            "encoding somewhere on its way"
        )
    return entry
