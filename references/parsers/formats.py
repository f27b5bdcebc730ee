"""The formats a literature file can be imported from: the one list, in the order forms show it.

`FORMAT_LABELS` maps each format's value (what `read_file(format=...)` takes and `ParsedFile.format`
holds) to its label. The labels are stored as model choices elsewhere (`FileFormat`), so changing
one changes a migration: reword sentences through `FORMAT_NAMES` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Read-only, so no importer can add a format that has no parser.
FORMAT_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "pubmed-xml": "PubMed XML",
        "medline": "MEDLINE / .nbib",
        "ris": "RIS",
        "endnote-xml": "EndNote XML",
        "wos": "Web of Science tagged",
        "bibtex": "BibTeX",
        "csl-json": "CSL-JSON (Zotero, Mendeley)",
        "csv": "CSV",
    }
)
FORMATS: tuple[str, ...] = tuple(FORMAT_LABELS)

# How a sentence names each format ("the file looks like {name}"). Worded apart from the labels
# because the messages read as prose ("a table (CSV)") and must not change when a label is
# shortened for a form; the keys are FORMATS (tests/references/test_parsers.py checks it).
FORMAT_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "pubmed-xml": "PubMed XML",
        "medline": "MEDLINE (PubMed .nbib) text",
        "ris": "RIS",
        "endnote-xml": "EndNote XML",
        "wos": "Web of Science tagged text",
        "bibtex": "BibTeX",
        "csl-json": "CSL-JSON",
        "csv": "a table (CSV)",
    }
)
