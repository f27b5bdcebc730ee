"""What an import writes: the columns of a reference and of a record, as both writers
(import_writers.py, copy_writer.py) take them, and the one place that says how a parsed entry
becomes a reference."""

from __future__ import annotations

from references.duplicates import Keys
from references.models import Reference
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
# An entry's exact keys are cut to the columns that will hold them (record_batches.entry_keys).
PMID_LENGTH = Reference._meta.get_field("pmid").max_length
DOI_LENGTH = Reference._meta.get_field("doi").max_length


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
        parsed.volume[:100],
        parsed.issue[:100],
        parsed.pages[:100],
        parsed.pmid[:PMID_LENGTH],
        parsed.pmcid[:20],
        parsed.doi[:DOI_LENGTH],
        parsed.registry_ids,
        parsed.publication_types,
        parsed.mesh_terms,
        parsed.keywords,
        parsed.language[:50],
        parsed.urls,
        parsed.raw,
        file_format,
        keys.title,
        keys.first_author,
    )
