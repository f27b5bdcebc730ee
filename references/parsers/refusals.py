"""Why a file is refused before any parsing: the sentences shown to the person who uploaded it.

Each names what the file is (a PDF, a web page, a table without a title column...) and what to
import instead, so that the person can act on it without help.
"""

from __future__ import annotations

import csv
import re

from references.normalise import clean_text
from references.parsers.base import ImportFileError
from references.parsers.formats import FORMAT_NAMES
from references.parsers.text_formats import DELIMITERS

SUPPORTED = (
    "The formats that can be imported are PubMed XML, MEDLINE (.nbib), RIS, EndNote XML, "
    "Web of Science tagged text, BibTeX, CSL-JSON and CSV tables with a title, abstract, PMID "
    "or DOI column."
)
# Formats recognised by their structure, not by a line: a text file is never one of them.
STRUCTURED = ("pubmed-xml", "endnote-xml", "csl-json")
# Why a JSON file is not CSL-JSON, for each shape `text_formats.json_shape` finds.
_JSON_SHAPES = {
    "object": "it holds one object, not a list of items",
    "empty list": "its list is empty",
    "list": "its list does not hold CSL items (objects with a “type” and a title, authors or DOI)",
}

_MAGIC = (
    (b"%PDF", "This is a PDF document, not a literature export."),
    (
        b"PK\x03\x04",
        "This is a compressed (ZIP) file, such as an Excel .xlsx or a Word document. "
        "Unzip it, or save the table as CSV, and import that.",
    ),
    (b"\x1f\x8b", "This is a compressed (gzip) file. Decompress it and import the file inside."),
    (
        b"\xd0\xcf\x11\xe0",
        "This is an old Microsoft Office file (.xls or .doc). Save the table as CSV and "
        "import that.",
    ),
    (b"{\\rtf", "This is a Rich Text (RTF) document, not a literature export."),
)


# Ovid's own text exports number their records "<1. >" (the tagged format of its "EndNote",
# "Citavi" and "Reference Manager" exports, whose lines read "VN  - Ovid Technologies") or
# "<1>" (the labelled display, "Title" then the title indented on the next line).
OVID_RECORD = re.compile(r"<\d+\.?\s*>\s*$")
_OVID_TAG = re.compile(r"[A-Z][A-Z0-9]  - ")


def starts_like_ovid(text: str) -> bool:
    """Whether a file's text starts with an Ovid record number ("<1. >"), not an XML tag."""
    return bool(OVID_RECORD.match(text.split("\n", 1)[0].strip()))


def _ovid_export(lines: list[str]) -> str:
    """ "tagged" or "labelled" for Ovid's own text exports, "" for anything else."""
    head = [line.strip() for line in lines[:50] if line.strip()]
    if any(line.startswith("VN  - Ovid") for line in head[:5]):
        return "tagged"
    if not head or not OVID_RECORD.match(head[0]):
        return ""
    return "tagged" if any(_OVID_TAG.match(line) for line in head[1:4]) else "labelled"


def refuse_known_binary(head: bytes) -> None:
    for magic, message in _MAGIC:
        if head.startswith(magic):
            raise ImportFileError(message)


def json_refusal(shape: str, forced: str) -> ImportFileError:
    """A JSON file that is not CSL-JSON (`shape`: what `text_formats.json_shape` found)."""
    if forced == "csl-json":
        start = f"You chose {FORMAT_NAMES[forced]}, but this JSON file is not CSL-JSON"
    else:
        start = "This is a JSON file, but not CSL-JSON"
    return ImportFileError(
        f"{start}: {_JSON_SHAPES.get(shape, shape)}. From JSON, only CSL-JSON (Zotero's and "
        "Mendeley's “CSL JSON” export) can be imported. " + SUPPORTED
    )


def html_error() -> ImportFileError:
    return ImportFileError(
        "This is a web page (HTML), not an export. Use the database's export or "
        "“Send to > Citation manager” function and import the file it saves."
    )


def unsafe_xml() -> ImportFileError:
    return ImportFileError(
        "The XML file declares entities in its DOCTYPE. That is never found in a PubMed or "
        "EndNote export and can be used to attack the server (entity expansion or reading local "
        "files), so the file was refused."
    )


def forced_mismatch(forced: str, found: str | None) -> ImportFileError:
    """The file is not in the format the person chose (`found`: what it looks like instead)."""
    chosen = FORMAT_NAMES.get(forced, forced)
    if found:
        return ImportFileError(
            f"You chose {chosen}, but the file looks like {FORMAT_NAMES[found]}. "
            "Choose that format, or let the format be recognised automatically."
        )
    return ImportFileError(f"You chose {chosen}, but the file does not look like {chosen}.")


def not_literature(lines: list[str], forced: str) -> ImportFileError:
    """Text in none of the formats: a table without a title, abstract, PMID or DOI column, or
    anything else."""
    ovid = _ovid_export(lines)
    if ovid:
        return ImportFileError(
            f"This is an export in Ovid's own {ovid} text format, which cannot be imported. "
            "In Ovid, export the records again choosing the RIS format (Export, then "
            "Format: RIS) and import that file."
        )
    if forced in STRUCTURED:
        return forced_mismatch(forced, None)
    first = next((line for line in lines if line.strip()), "")
    for delimiter in DELIMITERS:
        if first.count(delimiter) >= 2:
            try:
                cells = next(csv.reader([first], delimiter=delimiter))
            except (csv.Error, StopIteration):
                continue
            columns = ", ".join(clean_text(c) for c in cells[:12] if clean_text(c))
            prefix = (
                f"You chose {FORMAT_NAMES[forced]}, but this is a table that "
                if forced not in ("auto", "csv")
                else "This table "
            )
            return ImportFileError(
                f"{prefix}has no title, abstract, PMID or DOI column (its columns are: {columns}), "
                "so it does not look like a list of references."
            )
    if forced != "auto":
        return ImportFileError(
            f"You chose {FORMAT_NAMES.get(forced, forced)}, but the file does not look like "
            f"{FORMAT_NAMES.get(forced, forced)}, nor like any literature export. " + SUPPORTED
        )
    return ImportFileError("The file does not look like a literature export. " + SUPPORTED)
