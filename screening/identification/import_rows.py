"""What an import writes: the columns of a reference and of a record, as both writers
(import_writers.py, copy_writer.py) take them, and the one place that says how a parsed entry
becomes a reference.

Nothing here loads Django: a large file's entries are prepared in a process of its own
(parse_process.py), which starts in a fifth of a second without it and in 1.3 s with it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from references import lengths
from references.duplicates import Keys, first_author_key, title_key
from references.parsers.base import ParsedReference

# The reference fields an import fills, in the order of reference_values().
REFERENCE_FIELDS = (
    "title",
    "abstract",
    "abstract_sections",
    "authors",
    "journal",
    "year",
    "volume",
    "issue",
    "pages",
    "pmid",
    "pmcid",
    "doi",
    "registry_ids",
    "publication_types",
    "mesh_terms",
    "keywords",
    "language",
    "urls",
    "raw",
    "source_format",
    "title_key",
    "first_author_key",
)
# The record fields that differ from one record of an import to the next, in the order of the
# tuples records_insert passes: (position, reference id, duplicate rule, raw, PMID).
RECORD_FIELDS = ("position", "reference", "duplicate_rule", "raw", "pmid")
# What exact matching reads of the references a batch may duplicate.
KNOWN_FIELDS = ("id", "pmid", "doi", "title_key", "year", "first_author_key")


class PreparedEntry(NamedTuple):
    """A readable entry as the parser's thread or process hands it over: its exact keys and the
    writer's row for the reference it would make."""

    position: int
    keys: Keys
    pmid: str
    raw: str
    row: object


def entry_keys(parsed: ParsedReference) -> Keys:
    """The keys exact matching compares, as the reference's columns will hold them (cut to
    their lengths), so that an entry matches the same references whether they were made
    earlier in its own file or in another import."""
    return Keys(
        pmid=parsed.pmid[: lengths.PMID],
        doi=parsed.doi[: lengths.DOI],
        title=title_key(parsed.title),
        year=parsed.year,
        first_author=first_author_key(parsed.authors),
    )


def reference_values(parsed: ParsedReference, keys: Keys, file_format: str) -> tuple:
    """The values of REFERENCE_FIELDS for a parsed entry: the one place that says how an entry
    becomes a reference (the columns' lengths are enforced here)."""
    return (
        parsed.title,
        parsed.abstract,
        [{"label": s.label, "text": s.text} for s in parsed.abstract_sections],
        parsed.authors,
        parsed.journal,
        parsed.year,
        parsed.volume[: lengths.VOLUME],
        parsed.issue[: lengths.ISSUE],
        parsed.pages[: lengths.PAGES],
        parsed.pmid[: lengths.PMID],
        parsed.pmcid[: lengths.PMCID],
        parsed.doi[: lengths.DOI],
        parsed.registry_ids,
        parsed.publication_types,
        parsed.mesh_terms,
        parsed.keywords,
        parsed.language[: lengths.LANGUAGE],
        parsed.urls,
        parsed.raw,
        file_format,
        keys.title,
        keys.first_author,
    )


def copy_values(
    parsed: ParsedReference, keys: Keys, file_format: str, json_positions: Sequence[int]
) -> list:
    """reference_values() as binary COPY sends them (copy_writer.py): the JSON columns, at
    `json_positions`, in jsonb's binary form."""
    values = list(reference_values(parsed, keys, file_format))
    for i in json_positions:
        values[i] = jsonb_bytes(values[i])
    return values


def prepare_for_copy(
    entry: ParsedReference, file_format: str, json_positions: Sequence[int]
) -> PreparedEntry:
    """A readable entry prepared for the COPY writer (its rows without id and shared columns)."""
    keys = entry_keys(entry)
    row = copy_values(entry, keys, file_format, json_positions)
    return PreparedEntry(entry.position, keys, keys.pmid, entry.raw, row)


# JSON columns get their text from this encoder (jsonb keeps the values, not the text, so
# ensure_ascii changes nothing stored), or for a list of strings, from its C string encoder alone.
_dump_json = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def _json_text(value: Any) -> str:
    """The JSON text of a value. Most of a reference's JSON columns are lists of strings
    (authors, MeSH terms, keywords...): joining their encoded strings takes half the time of the
    encoder, whose set-up alone is a microsecond a call, seven calls a row. Anything else (the
    abstract's sections are objects) goes to the encoder, without trying the join first."""
    if isinstance(value, list):
        if not value:
            return "[]"
        if isinstance(value[0], str):
            try:
                return "[" + ",".join(map(encode_basestring, value)) + "]"
            except TypeError:  # not all strings
                pass
    return _dump_json(value)


def jsonb_bytes(value: Any) -> bytes:
    """A value in jsonb's binary form, as binary COPY sends it: a version byte, then the text."""
    return b"\x01" + _json_text(value).encode()
