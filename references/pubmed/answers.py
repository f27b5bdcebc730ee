"""Reading E-utilities answers: what an esearch found, which PMIDs an efetch returned.

A cut-off or garbled answer raises TransientFailure (the client tries again); an <ERROR>
document raises PubmedError (trying again would get the same answer).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from Bio import Entrez
from lxml import etree

from references.parsers.xml_safety import xml_parser_options
from references.pubmed.errors import PubmedError, TransientFailure


@dataclass
class EsearchAnswer:
    count: int
    translation: str
    pmids: list[str]
    warnings: list[str]


def read_esearch(body: bytes) -> EsearchAnswer:
    """An esearch answer, parsed by Biopython (validated against its bundled DTD)."""
    try:
        record = Entrez.read(io.BytesIO(body))
    except RuntimeError as error:  # Biopython raises this for an <ERROR> document
        raise PubmedError(f"PubMed's E-utilities answered with an error: {error}") from None
    except Exception as error:  # noqa: BLE001 - a cut or garbled answer is retried
        raise TransientFailure(
            f"the search answer could not be read ({error.__class__.__name__})"
        ) from None
    if "Count" not in record:
        raise TransientFailure("the search answer had no count")
    warnings = []
    errors = record.get("ErrorList") or {}
    for phrase in errors.get("PhraseNotFound", []):
        warnings.append(f"PubMed found nothing for “{phrase}”.")
    for name in errors.get("FieldNotFound", []):
        warnings.append(f"PubMed does not know the field [{name}].")
    for phrase in (record.get("WarningList") or {}).get("PhraseIgnored", []):
        warnings.append(f"PubMed ignored “{phrase}”.")
    for phrase in (record.get("WarningList") or {}).get("QuotedPhraseNotFound", []):
        warnings.append(f"PubMed found nothing for the quoted phrase “{phrase}”.")
    return EsearchAnswer(
        count=int(record["Count"]),
        translation=str(record.get("QueryTranslation", "")),
        pmids=[str(pmid) for pmid in record.get("IdList", [])],
        warnings=warnings,
    )


_ARTICLE_PMIDS = etree.XPath(
    "/PubmedArticleSet/PubmedArticle/MedlineCitation/PMID/text()"
    " | /PubmedArticleSet/PubmedBookArticle/BookDocument/PMID/text()",
    smart_strings=False,
)


def read_articles(body: bytes) -> list[str]:
    """The PMIDs of an efetch answer. A batch is a few MB: parsed whole, in C, far faster than
    event by event. A cut-off document is retried; an <ERROR> document is a PubmedError."""
    parser = etree.XMLParser(remove_comments=True, **xml_parser_options())
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as error:
        raise TransientFailure(f"the articles were cut off or garbled ({error.msg})") from None
    errors = [(e.text or "").strip() for e in root.iter("ERROR")]
    if errors:
        raise PubmedError(f"PubMed's E-utilities answered with an error: {'; '.join(errors)}")
    if root.tag != "PubmedArticleSet":
        raise TransientFailure(f"an unexpected answer came back ({root.tag})")
    return [pmid.strip() for pmid in _ARTICLE_PMIDS(root)]
