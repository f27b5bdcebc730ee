"""PubMed XML (efetch retmode=xml, or PubMed's "Send to > File > XML"), read as a stream.

lxml's `iterparse` hands over one PubmedArticle (or PubmedBookArticle) at a time; each is
turned into a ParsedReference and then cleared together with the siblings before it, so memory
stays flat however many articles the file holds. No DTD is loaded or fetched and no entity is
resolved (detect.py has already refused any DOCTYPE that declares entities).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from references import normalise as n
from references.parsers.base import (
    AbstractSection,
    Entry,
    ParsedReference,
    UnreadableEntry,
)
from references.parsers.detect import Detection
from references.parsers.xml_stream import stream_records

RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle")
MATHML = "{http://www.w3.org/1998/Math/MathML}"
# Plain-text lists, read with compiled XPath: several times faster than iterating elements.
_MESH = etree.XPath("MeshHeading/DescriptorName/text()", smart_strings=False)
_PUBLICATION_TYPES = etree.XPath("PublicationType/text()", smart_strings=False)


def iter_entries(path: Path, detection: Detection) -> Iterator[Entry]:
    return stream_records(path, RECORD_TAGS, _entry)


def _entry(element: etree._Element) -> Entry:
    try:
        read = _article if element.tag == "PubmedArticle" else _book_article
        reference = read(element)
    except Exception as error:  # noqa: BLE001 - one odd record must not stop the import
        raw = etree.tostring(element, encoding="unicode", with_tail=False)
        return UnreadableEntry(
            position=0,
            reason=f"the {element.tag} could not be read ({error.__class__.__name__}: {error})",
            excerpt=raw[:300],
        )
    reference.raw = etree.tostring(element, encoding="unicode", with_tail=False)
    return reference


# --- Text -------------------------------------------------------------------------------------


def _text(element: etree._Element | None) -> str:
    """The text of an element with inline markup (<i>, <sup>, MathML) reduced to its text."""
    if element is None:
        return ""
    if len(element) == 0:
        return n.clean_text(element.text)
    parts: list[str] = []
    _collect(element, parts)
    return n.clean_text("".join(parts))


def _collect(element: etree._Element, parts: list[str]) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        tag = child.tag
        if isinstance(tag, str):
            if tag.startswith(MATHML):
                # MathML is pretty-printed: join its tokens without the layout whitespace.
                parts.append("".join(piece.strip() for piece in child.itertext()))
            else:
                _collect(child, parts)
        if child.tail:
            parts.append(child.tail)


def _texts(elements) -> list[str]:
    return list(dict.fromkeys(text for element in elements if (text := _text(element))))


# --- Fields shared by articles and book articles ----------------------------------------------


def _authors(author_list: etree._Element | None) -> list[str]:
    if author_list is None:
        return []
    names = []
    # One pass over each Author's children: several findtext() calls per author cost three
    # times as much, and an article can have hundreds of authors.
    for author in author_list:
        if author.tag != "Author" or author.get("ValidYN") == "N":
            continue  # ValidYN="N": an erroneous name that PubMed keeps for the record only
        last = fore = initials = suffix = ""
        collective = None
        for child in author:
            tag = child.tag
            if tag == "LastName":
                last = child.text or ""
            elif tag == "ForeName":
                fore = child.text or ""
            elif tag == "Initials":
                initials = child.text or ""
            elif tag == "Suffix":
                suffix = child.text or ""
            elif tag == "CollectiveName":
                collective = child
        if collective is not None:
            names.append(_text(collective))
        else:
            names.append(n.format_person(last, fore or initials, suffix))
    return n.unique(names)


def _abstract(reference: ParsedReference, abstract: etree._Element | None) -> None:
    if abstract is None:
        return
    pieces = []
    for element in abstract.iterfind("AbstractText"):
        label = n.clean_text(element.get("Label"))
        text = _text(element)
        if text or label:
            pieces.append((label, text))
    if any(label for label, _ in pieces):
        reference.abstract_sections = [AbstractSection(label, text) for label, text in pieces]
    reference.abstract = n.join_abstract_sections(pieces)


def _ids(reference: ParsedReference, id_list: etree._Element | None) -> None:
    if id_list is None:
        return
    for article_id in id_list.iterfind("ArticleId"):
        kind = article_id.get("IdType")
        if kind == "doi" and not reference.doi:
            reference.doi = n.normalise_doi(article_id.text)
        elif kind == "pmc" and not reference.pmcid:
            reference.pmcid = n.clean_pmcid(article_id.text)
        elif kind == "pubmed" and not reference.pmid:
            reference.pmid = n.clean_pmid(article_id.text)


def _elocation_doi(reference: ParsedReference, parent: etree._Element) -> None:
    if reference.doi:
        return
    for location in parent.iterfind("ELocationID"):
        if location.get("EIdType") == "doi":
            reference.doi = n.normalise_doi(location.text)
            if reference.doi:
                return


def _year(date: etree._Element | None) -> int | None:
    if date is None:
        return None
    return n.parse_year(date.findtext("Year") or date.findtext("MedlineDate"))


# --- Records ----------------------------------------------------------------------------------


def _article(element: etree._Element) -> ParsedReference:
    reference = ParsedReference()
    citation = article = pubmed_data = None
    for child in element:
        if child.tag == "MedlineCitation":
            citation = child
        elif child.tag == "PubmedData":
            pubmed_data = child
    if citation is not None:
        _citation(reference, citation)
        article = citation.find("Article")
    if article is None:
        reference.pmid = reference.pmid or n.clean_pmid(element.findtext(".//PMID"))
        return reference
    if pubmed_data is not None:
        _ids(reference, pubmed_data.find("ArticleIdList"))
    _article_fields(reference, article)
    return reference


def _citation(reference: ParsedReference, citation: etree._Element) -> None:
    keywords: list[str] = []
    for child in citation:
        tag = child.tag
        if tag == "PMID":
            reference.pmid = n.clean_pmid(child.text)
        elif tag == "MeshHeadingList":
            reference.mesh_terms = n.unique(n.clean_text(term) for term in _MESH(child))
        elif tag == "KeywordList":
            keywords += _texts(child)
    reference.keywords = n.unique(keywords)


def _article_fields(reference: ParsedReference, article: etree._Element) -> None:
    """The fields of <Article>, read in one pass over its children (they come in DTD order)."""
    vernacular = ""
    article_date = None
    registry: list[str] = []
    for child in article:
        tag = child.tag
        if tag == "Journal":
            _journal(reference, child)
        elif tag == "ArticleTitle":
            reference.title = _text(child)
        elif tag == "VernacularTitle":
            vernacular = _text(child)
        elif tag == "Pagination":
            reference.pages = n.clean_text(child.findtext("MedlinePgn")) or n.join_pages(
                child.findtext("StartPage"), child.findtext("EndPage")
            )
        elif tag == "ELocationID":
            if not reference.doi and child.get("EIdType") == "doi":
                reference.doi = n.normalise_doi(child.text)
        elif tag == "Abstract":
            _abstract(reference, child)
        elif tag == "AuthorList":
            reference.authors = _authors(child)
        elif tag == "Language":
            reference.language = reference.language or n.clean_text(child.text)
        elif tag == "DataBankList":
            for bank in child.iterfind("DataBank"):
                name = bank.findtext("DataBankName") or ""
                for accession in bank.iterfind("AccessionNumberList/AccessionNumber"):
                    registry.append(n.registry_id_from_databank(name, accession.text or ""))
        elif tag == "PublicationTypeList":
            reference.publication_types = n.unique(
                n.clean_text(kind) for kind in _PUBLICATION_TYPES(child)
            )
        elif tag == "ArticleDate":
            article_date = child
    reference.title = reference.title or vernacular
    if reference.year is None:
        reference.year = _year(article_date)
    reference.registry_ids = n.unique(registry)


def _journal(reference: ParsedReference, journal: etree._Element) -> None:
    abbreviation = ""
    for child in journal:
        tag = child.tag
        if tag == "Title":
            reference.journal = n.clean_text(child.text)
        elif tag == "ISOAbbreviation":
            abbreviation = n.clean_text(child.text)
        elif tag == "JournalIssue":
            for part in child:
                if part.tag == "Volume":
                    reference.volume = n.clean_text(part.text)
                elif part.tag == "Issue":
                    reference.issue = n.clean_text(part.text)
                elif part.tag == "PubDate":
                    reference.year = _year(part)
    reference.journal = reference.journal or abbreviation


def _book_article(element: etree._Element) -> ParsedReference:
    document = element.find("BookDocument")
    reference = ParsedReference()
    if document is None:
        reference.pmid = n.clean_pmid(element.findtext(".//PMID"))
        return reference
    book = document.find("Book")
    book_title = _text(book.find("BookTitle")) if book is not None else ""
    chapter_title = _text(document.find("ArticleTitle"))

    reference.pmid = n.clean_pmid(document.findtext("PMID"))
    reference.title = chapter_title or book_title or _text(document.find("VernacularTitle"))
    reference.journal = book_title if chapter_title else ""
    _abstract(reference, document.find("Abstract"))

    authors = []
    editors = []
    for author_list in [
        *document.iterfind("AuthorList"),
        *(book.iterfind("AuthorList") if book is not None else []),
    ]:
        if author_list.get("Type") == "editors":
            editors += _authors(author_list)
        else:
            authors += _authors(author_list)
    reference.authors = n.unique(authors) or n.unique(editors)

    if book is not None:
        reference.year = _year(book.find("PubDate"))
        reference.volume = n.clean_text(book.findtext("Volume"))
    _ids(reference, document.find("ArticleIdList"))
    book_data = element.find("PubmedBookData")
    if book_data is not None:
        _ids(reference, book_data.find("ArticleIdList"))
    _elocation_doi(reference, document)

    reference.publication_types = _texts(
        [*document.iterfind("PublicationType"), *document.iterfind("PublicationTypeList/*")]
    )
    reference.keywords = _texts(document.iterfind("KeywordList/Keyword"))
    reference.language = n.clean_text(document.findtext("Language"))
    return reference
