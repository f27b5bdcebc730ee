"""Which waiting reference a PDF is the full text of: read its metadata and the text of its
first pages (pypdf), then look for a DOI, a PMID, or a title. Plain Python, no database: the
bulk upload (screening/retrieval/bulk.py) hands it the bytes and the candidates."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pypdf import PasswordType, PdfReader
from rapidfuzz import fuzz

from references.duplicates import title_key
from references.normalise import clean_text, normalise_doi

# The article's own identifiers and title are on its first page or two; the pages after hold
# the references it cites, whose DOIs would only mislead.
PAGES_READ = 2
TEXT_KEPT = 20_000  # characters of those pages: the title and the header are near the top
# Title similarity (rapidfuzz, 0-100) from which a title proposes its reference. A proposal
# is only ever a default in a select that the person checks, so 90 errs towards proposing.
TITLE_THRESHOLD = 90.0
# Two references whose titles both score within this of the best are too close to tell
# apart (a conference abstract and the article, under one title): the person chooses.
TITLE_MARGIN = 2.0
# Shorter titles ("Editorial", "Lung cancer") are found in almost any first page.
MIN_TITLE_CHARS = 20

_DOI = re.compile(r"10\.\d{4,9}/\S+")
_PMID = re.compile(r"\bPMID\s*:?\s*(\d{1,8})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Candidate:
    """A reference waiting for its full text, as the matcher sees it."""

    id: int
    title: str = ""
    doi: str = ""
    pmid: str = ""


@dataclass(frozen=True)
class PdfReading:
    """What a PDF says about itself. `problem` says why it could not be read ("" when it was)."""

    metadata: tuple[str, ...] = ()  # every metadata value, the document's title first
    title: str = ""
    text: str = ""  # the text of its first pages
    problem: str = ""


@dataclass(frozen=True)
class Match:
    """The reference proposed for a file (None: none), and how it was found, in words."""

    reference_id: int | None
    how: str


# --- Reading ------------------------------------------------------------------------------------


def pdf_read(data: bytes) -> PdfReading:
    """Read a PDF's metadata and the text of its first pages. A file pypdf cannot read (broken,
    or encrypted with a password) gives a reading with its `problem` in words, never an error."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            return PdfReading(
                problem="It is encrypted with a password, so its text could not be read."
            )
        metadata = _metadata(reader)
        title = _document_title(reader)
        text = _first_pages_text(reader)
    # pypdf raises many kinds of error on a damaged file (its own, but also ValueError,
    # KeyError, RecursionError...): any of them means "could not be read", and the person is
    # told so, never shown an error page.
    except Exception as error:  # noqa: BLE001
        return PdfReading(problem=f"It could not be read as a PDF ({_short(error)}).")
    return PdfReading(metadata=metadata, title=title, text=text)


def _metadata(reader: PdfReader) -> tuple[str, ...]:
    values = [str(value) for value in (reader.metadata or {}).values() if value]
    xmp = reader.trailer["/Root"].get("/Metadata")
    if xmp is not None:  # XMP: publishers put prism:doi and dc:identifier there
        values.append(xmp.get_object().get_data().decode("utf-8", errors="replace"))
    return tuple(clean_text(value) for value in values if clean_text(value))


def _document_title(reader: PdfReader) -> str:
    info = reader.metadata
    return clean_text(info.title) if info is not None and info.title else ""


def _first_pages_text(reader: PdfReader) -> str:
    parts = []
    for page in reader.pages[:PAGES_READ]:
        parts.append(page.extract_text() or "")
        if sum(map(len, parts)) >= TEXT_KEPT:
            break
    return "\n".join(parts)[:TEXT_KEPT]


def _short(error: Exception) -> str:
    text = clean_text(str(error)) or type(error).__name__
    return text[:120]


# --- Identifiers --------------------------------------------------------------------------------


def dois_in(text: str) -> list[str]:
    """The DOIs in a text, normalised, in the order they appear, without repeats."""
    found = (normalise_doi(match.group(0)) for match in _DOI.finditer(text))
    return list(dict.fromkeys(doi for doi in found if doi))


def pmids_in(text: str) -> list[str]:
    """The PubMed ids written as "PMID: 12345678" in a text, in order, without repeats."""
    return list(dict.fromkeys(match.group(1).lstrip("0") for match in _PMID.finditer(text)))


# --- Matching -----------------------------------------------------------------------------------


def pdf_match(reading: PdfReading, candidates: Sequence[Candidate]) -> Match:
    """The candidate a PDF is the full text of, first by a DOI (its metadata, then its text),
    then by a PMID, then by its title; each says how it was found."""
    if reading.problem:
        return Match(None, reading.problem)
    metadata = "\n".join(reading.metadata)
    by_doi = {normalise_doi(c.doi): c for c in candidates if normalise_doi(c.doi)}
    by_pmid = {c.pmid.lstrip("0"): c for c in candidates if c.pmid.strip("0")}
    for where, text in (("the PDF's metadata", metadata), ("the text", reading.text)):
        hit = _first_known(dois_in(text), by_doi)
        if hit is not None:
            return Match(by_doi[hit].id, f"DOI {hit} in {where}")
    for where, text in (("the PDF's metadata", metadata), ("the text", reading.text)):
        hit = _first_known(pmids_in(text), by_pmid)
        if hit is not None:
            return Match(by_pmid[hit].id, f"PMID {hit} in {where}")
    return title_match(reading, candidates)


def _first_known(found: Iterable[str], known: dict[str, Candidate]) -> str | None:
    return next((value for value in found if value in known), None)


def title_match(reading: PdfReading, candidates: Sequence[Candidate]) -> Match:
    """The candidate whose title is most like the PDF's title (its metadata) or is found in the
    text of its first page, when one is clearly the most alike."""
    pdf_title = title_key(reading.title)
    first_page = title_key(reading.text[:4000])
    scored = []
    for candidate in candidates:
        key = title_key(candidate.title)
        if len(key) < MIN_TITLE_CHARS:
            continue
        as_title = fuzz.ratio(key, pdf_title) if pdf_title else 0.0
        in_text = fuzz.partial_ratio(key, first_page) if len(first_page) >= len(key) else 0.0
        where = "similar to the PDF's title" if as_title >= in_text else "found on the first page"
        scored.append((max(as_title, in_text), where, candidate))
    scored.sort(key=lambda row: row[0], reverse=True)
    if not scored or scored[0][0] < TITLE_THRESHOLD:
        return Match(None, "No DOI, PMID or title of a waiting reference was found in it.")
    best, where, candidate = scored[0]
    close = [row for row in scored[1:] if row[0] >= best - TITLE_MARGIN]
    if close:
        return Match(
            None,
            f"Its title is as close to {len(close) + 1} waiting references "
            f"({best:.0f}% similar): choose one.",
        )
    return Match(candidate.id, f"title {where} ({best:.0f}% similar)")
