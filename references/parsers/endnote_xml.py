"""EndNote XML (EndNote's File > Export > XML, also written by Bookends and other tools), streamed.

The file is `<xml><records><record>...</record>...</records></xml>`; each record holds one
element per EndNote field, and EndNote wraps the text of most of them in `<style face=...>`
runs (italics, bold) whose text is joined here. The records are read one at a time by
`xml_stream` with the project's safe lxml options (no entities, DTDs or network); detection
has already refused a DOCTYPE that declares entities.

Where EndNote keeps what: `titles/title`, `titles/secondary-title` (the journal, or the book of
a section), `periodical/full-title`, `electronic-resource-num` (the DOI), `accession-num` (a
PMID when `remote-database-name` or `-provider` says PubMed/MEDLINE), `custom2` (the PMCID of
records from PubMed), `notes`; `label`, `research-notes` and `custom1`..`custom7` go to `extra`,
where a reviewer's decisions or tags are often kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from references import normalise as n
from references.parsers.base import AbstractSection, Entry, ParsedReference, UnreadableEntry
from references.parsers.detect import Detection
from references.parsers.xml_stream import stream_records

RECORD_TAGS = ("record",)
# Fields kept as they stand, by their element name, for the screening app to read.
EXTRA_FIELDS = ("label", "research-notes", *(f"custom{number}" for number in range(1, 8)))
# The contributors that name a work's authors, best first (editors when there is no author).
CONTRIBUTORS = ("authors", "secondary-authors", "tertiary-authors", "subsidiary-authors")
_PUBMED_URL = re.compile(
    r"(?:ncbi\.nlm\.nih\.gov/(?:pubmed|entrez/query\.fcgi\?.*list_uids=)|"
    r"pubmed\.ncbi\.nlm\.nih\.gov/)/?(\d{1,9})(?!\d)",
    re.IGNORECASE,
)
_PUBMED_DATABASES = re.compile(r"pubmed|medline|\bnlm\b", re.IGNORECASE)


def iter_entries(path: Path, detection: Detection) -> Iterator[Entry]:
    return stream_records(path, RECORD_TAGS, _entry)


def _entry(element: etree._Element) -> Entry:
    raw = etree.tostring(element, encoding="unicode", with_tail=False)
    try:
        reference = _reference(element)
    except Exception as error:  # noqa: BLE001 - one odd record must not stop the import
        return UnreadableEntry(
            position=0,
            reason=f"the record could not be read ({error.__class__.__name__}: {error})",
            excerpt=raw[:300],
        )
    reference.raw = raw
    return reference


# --- Text -------------------------------------------------------------------------------------


def _raw_text(element: etree._Element | None) -> str:
    """The text of a field: its `<style>` runs joined as written, layout whitespace left out.

    Whitespace between the runs of a pretty-printed file is layout, not text; whitespace inside
    a run (the space before an italic word) is text.
    """
    if element is None:
        return ""
    if len(element) == 0:
        return element.text or ""
    parts = [element.text] if element.text and element.text.strip() else []
    for child in element:
        if isinstance(child.tag, str):
            parts.append("".join(child.itertext()))
        if child.tail and child.tail.strip():
            parts.append(child.tail)
    return "".join(parts)


def _text(element: etree._Element | None) -> str:
    return n.clean_text(_raw_text(element))


def _lines(element: etree._Element | None) -> str:
    """Multi-line text (notes): each line cleaned, empty lines left out."""
    lines = (n.clean_text(line) for line in re.split(r"[\r\n]+", _raw_text(element)))
    return "\n".join(line for line in lines if line)


def _texts(parent: etree._Element | None, path: str) -> list[str]:
    if parent is None:
        return []
    return n.unique(_text(element) for element in parent.iterfind(path))


def _first_text(parent: etree._Element | None, *tags: str) -> str:
    if parent is None:
        return ""
    for tag in tags:
        text = _text(parent.find(tag))
        if text:
            return text
    return ""


# --- Record -----------------------------------------------------------------------------------


def _reference(record: etree._Element) -> ParsedReference:
    fields: dict[str, etree._Element] = {}
    for child in record:
        if isinstance(child.tag, str):
            fields.setdefault(child.tag, child)
    reference = ParsedReference()
    titles = fields.get("titles")
    reference.title = _first_text(titles, "title", "translated-title", "short-title")
    reference.journal = (
        _first_text(titles, "secondary-title")
        or _first_text(fields.get("periodical"), "full-title", "abbr-1")
        or _first_text(fields.get("alt-periodical"), "full-title", "abbr-1")
        or _first_text(titles, "alt-title")
    )
    reference.authors = _authors(fields.get("contributors"))
    dates = fields.get("dates")
    reference.year = n.parse_year(_first_text(dates, "year")) or n.parse_year(
        _first_text(dates, "pub-dates/date")
    )
    reference.volume = _text(fields.get("volume"))
    reference.issue = _text(fields.get("number"))
    reference.pages = n.join_pages(_text(fields.get("pages")))
    abstract, sections = n.structured_abstract(_text(fields.get("abstract")))
    reference.abstract = abstract
    reference.abstract_sections = [AbstractSection(label, body) for label, body in sections]
    reference.keywords = n.unique(
        keyword.lstrip("*").strip() for keyword in _texts(fields.get("keywords"), "keyword")
    )
    reference.urls = n.unique(
        url
        for url in _texts(fields.get("urls"), "*/url")
        if url.lower().startswith(("http://", "https://", "www."))
    )
    reference.doi = _doi(_text(fields.get("electronic-resource-num")), reference.urls)
    reference.pmid = _pmid(fields, reference.urls)
    custom2 = _text(fields.get("custom2"))
    reference.pmcid = n.clean_pmcid(custom2) if custom2.upper().startswith("PMC") else ""
    reference.language = _text(fields.get("language"))
    reference.publication_types = _types(fields)
    reference.notes = _lines(fields.get("notes"))
    reference.extra = {tag: value for tag in EXTRA_FIELDS if (value := _lines(fields.get(tag)))}
    return reference


def _authors(contributors: etree._Element | None) -> list[str]:
    if contributors is None:
        return []
    for group in CONTRIBUTORS:
        names = n.unique(n.format_author(name) for name in _texts(contributors, f"{group}/author"))
        if names:
            return names
    return []


def _doi(value: str, urls: list[str]) -> str:
    """The DOI of `electronic-resource-num` (which may hold several, or a doi.org address),
    else of a doi.org address among the links."""
    for candidate in re.split(r"\s+", value):
        doi = n.normalise_doi(candidate)
        if doi:
            return doi
    for url in urls:
        if "doi.org/" in url.lower():
            doi = n.normalise_doi(url)
            if doi:
                return doi
    return ""


def _pmid(fields: dict[str, etree._Element], urls: list[str]) -> str:
    """`accession-num` when the record came from PubMed or MEDLINE (or says "PMID"), else the
    number of a PubMed address among the links. Other databases' accession numbers (Embase,
    Web of Science) are not PMIDs."""
    accession = _text(fields.get("accession-num"))
    database = " ".join(
        _text(fields.get(tag)) for tag in ("remote-database-name", "remote-database-provider")
    )
    if accession and (accession.lower().startswith("pmid") or _PUBMED_DATABASES.search(database)):
        pmid = n.clean_pmid(accession)
        if pmid:
            return pmid
    for url in urls:
        match = _PUBMED_URL.search(url)
        if match:
            return n.clean_pmid(match.group(1))
    return ""


def _types(fields: dict[str, etree._Element]) -> list[str]:
    """The EndNote reference type ("Journal Article"), then the record's own type of work."""
    kind = fields.get("ref-type")
    types = [n.clean_text(kind.get("name"))] if kind is not None else []
    types += re.split(r"\s*[;\r\n]\s*", _raw_text(fields.get("work-type")))
    return n.unique(n.clean_text(kind) for kind in types)
