"""MEDLINE text (PubMed's .nbib, "Send to > Citation manager" or efetch rettype=medline).

Records are read by `Bio.Medline.parse`, which streams; the lines it consumes are kept so that
each record's own text becomes its `raw`. FAU (full names) are preferred to AU (short names),
and the DOI comes from the "[doi]" tokens of AID and LID (Biopython joins repeated LID lines
into one string).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from Bio import Medline

from references import normalise as n
from references.parsers.base import AbstractSection, Entry, ImportFileError, ParsedReference
from references.parsers.detect import Detection

_DOI_TOKEN = re.compile(r"(\S+)\s*\[doi\]")
CHUNK_CHARS = 1024 * 1024
MAX_RECORD_CHARS = 50_000_000


def iter_entries(path: Path, detection: Detection) -> Iterator[Entry]:
    with path.open(encoding=detection.encoding, errors="replace") as handle:
        for raw in _records(handle):
            # One record per call: Medline.parse streams, and each record keeps its own text.
            for record in Medline.parse(raw.splitlines(keepends=True)):
                yield _reference(record, raw)


def _records(handle) -> Iterator[str]:
    """The file's records as text, cut where Medline.parse cuts: at a line that is empty.

    The last line of each has no newline, which Medline.parse reads like any other line.
    """
    rest = ""
    while chunk := handle.read(CHUNK_CHARS):
        parts = (rest + chunk).split("\n\n")
        rest = parts.pop()
        if len(rest) > MAX_RECORD_CHARS:
            raise ImportFileError(
                "A record in the file is longer than 50 million characters: the file is not "
                "MEDLINE text with blank lines between the records."
            )
        for part in parts:
            if part := part.strip("\n"):
                yield part
    if rest := rest.strip("\n"):
        yield rest


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _authors(raw: str, record) -> list[str]:
    """Authors in file order: FAU where given (its AU follows it), else AU; CN as written."""
    full, short = record.get("FAU"), record.get("AU")
    if (
        "CN" not in record
        and (full or short)
        and (not full or not short or len(full) == len(short))
    ):
        return n.unique(n.format_author(name) for name in (full or short))
    names = []
    previous = ""
    for line in raw.split("\n"):
        tag = line[:4].rstrip()
        if tag == "FAU" or tag == "AU" and previous != "FAU":
            names.append(n.format_author(line[6:]))
        elif tag == "CN":
            names.append(n.clean_text(line[6:]))
        if tag:
            previous = tag
    if not names:
        names = [n.format_author(name) for name in _as_list(record.get("AU"))]
    return n.unique(names)


def _reference(record, raw: str) -> Entry:
    get = record.get
    reference = ParsedReference(raw=raw)
    reference.pmid = n.clean_pmid(get("PMID", ""))
    reference.title = n.clean_text(get("TI", "")) or n.clean_text(get("TT", ""))
    abstract = get("AB")
    if abstract:
        reference.abstract, sections = n.structured_abstract(abstract)
        if sections:
            reference.abstract_sections = [AbstractSection(label, text) for label, text in sections]
    reference.authors = _authors(raw, record)
    reference.journal = n.clean_text(get("JT", "")) or n.clean_text(get("TA", ""))
    reference.year = n.parse_year(get("DP", ""))
    reference.volume = n.clean_text(get("VI", ""))
    reference.issue = n.clean_text(get("IP", ""))
    reference.pages = n.clean_text(get("PG", ""))
    if "PMC" in record:
        reference.pmcid = n.clean_pmcid(record["PMC"])

    for text in (*get("AID", ()), get("LID", "")):
        if "[doi]" in text:
            for token in _DOI_TOKEN.findall(text):
                reference.doi = n.normalise_doi(token)
                if reference.doi:
                    break
            if reference.doi:
                break

    if "SI" in record:
        registry = []
        for value in record["SI"]:
            bank, _, accession = value.partition("/")
            registry.append(n.registry_id_from_databank(bank, accession))
        reference.registry_ids = n.unique(registry)

    if "PT" in record:
        reference.publication_types = list(dict.fromkeys(v.strip() for v in record["PT"]))
    if "MH" in record:
        # "Information Storage and Retrieval/*methods" -> "Information Storage and Retrieval"
        reference.mesh_terms = list(
            dict.fromkeys(term.split("/", 1)[0].lstrip("*").strip() for term in record["MH"])
        )
    if "OT" in record:
        reference.keywords = n.unique(n.clean_text(v).lstrip("*") for v in record["OT"])
    if "LA" in record:
        reference.language = n.clean_text(record["LA"][0])
    return reference
