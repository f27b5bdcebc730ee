"""What every parser yields: plain dataclasses, no ORM.

A parser turns a file into a stream of entries, in file order. Each entry is either a
`ParsedReference` or an `UnreadableEntry` (it could not be parsed, or carries nothing that
identifies a work). A file that cannot be read at all raises `ImportFileError` with a sentence
meant for the person who uploaded it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter


class ImportFileError(Exception):
    """The file as a whole is refused. `str(error)` is shown to the user as is."""


@dataclass
class AbstractSection:
    label: str
    text: str


@dataclass
class ParsedReference:
    title: str = ""
    abstract: str = ""
    # Structured abstracts keep their labelled sections; `abstract` is their plain join.
    abstract_sections: list[AbstractSection] = field(default_factory=list)
    # In order, each "Surname, Given names" (or a collective name as written).
    authors: list[str] = field(default_factory=list)
    journal: str = ""
    year: int | None = None
    volume: str = ""
    issue: str = ""
    pages: str = ""
    pmid: str = ""
    pmcid: str = ""
    doi: str = ""  # normalised: lower case, no URL or "doi:" prefix
    registry_ids: list[str] = field(default_factory=list)  # NCT01234567, ...
    publication_types: list[str] = field(default_factory=list)
    mesh_terms: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    language: str = ""
    urls: list[str] = field(default_factory=list)
    # What the file says beside the bibliographic fields, for the screening app to read (a
    # tool's labels and decisions, e.g. Rayyan's notes, ASReview's `included` column): the
    # entry's notes (RIS N1, a CSV "notes" column) and the CSV columns no field took, by header.
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    raw: str = ""  # the entry as it stood in the file
    position: int = 0  # 1-based entry number in the file
    warnings: list[str] = field(default_factory=list)  # e.g. "no title", "possible mojibake"

    def identifies_a_work(self) -> bool:
        return bool(self.title or self.doi or self.pmid or self.authors)

    def __reduce__(self):
        # Pickled as its class and its field values: a large file's entries cross a pipe from
        # the process that parses it (screening/identification/parse_process.py), and are
        # unpickled in half the time of the default (an object, then a dict of its fields).
        return (type(self), _reference_values(self))


_reference_values = attrgetter(*(f.name for f in fields(ParsedReference)))


@dataclass
class UnreadableEntry:
    position: int  # 1-based entry number in the file
    reason: str  # a sentence for the user: "duplicate field 'title'"
    excerpt: str = ""  # the start of the entry, to find it in the file


Entry = ParsedReference | UnreadableEntry
