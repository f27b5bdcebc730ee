"""Whether an XML file is a PubMed article set or an EndNote XML library, and in which encoding;
otherwise why not.

Only the prolog and the root element are read (never the whole file): a DOCTYPE that declares
entities is refused, E-utilities answers that are not articles (esearch, esummary, <ERROR>
documents...) are named, and other XML is refused with what it seems to be. An EndNote library
is `<xml><records>`: the root `<xml>` alone is too common a name to go by.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from lxml import etree

from references.normalise import clean_text
from references.parsers.base import ImportFileError
from references.parsers.refusals import SUPPORTED, forced_mismatch, html_error, unsafe_xml
from references.parsers.text_encoding import HEAD_BYTES, decode_head
from references.parsers.xml_safety import xml_parser_options

# A DOCTYPE longer than this is not something a bibliographic database writes.
MAX_PROLOG_BYTES = 1024 * 1024
# E-utilities answers are small; an <ERROR> is looked for in this much of one.
MAX_EUTILS_BYTES = 10 * 1024 * 1024

PUBMED_ROOTS = frozenset({"PubmedArticleSet", "PubmedArticle", "PubmedBookArticle"})
EUTILS_ROOTS = {
    "eInfoResult": "an E-utilities einfo answer (a description of the databases)",
    "eSearchResult": "an E-utilities esearch answer (a list of PMIDs, not the records)",
    "ePostResult": "an E-utilities epost answer (a history-server key, not records)",
    "eSummaryResult": "an E-utilities esummary answer (short summaries without abstracts)",
    "eSpellResult": "an E-utilities espell answer (a spelling suggestion)",
    "eLinkResult": "an E-utilities elink answer (links between records)",
    "eGQueryResult": "an E-utilities egquery answer (hit counts)",
    "eCitMatchResult": "an E-utilities ecitmatch answer",
    "eFetchResult": "an E-utilities efetch answer without records",
}

_ENDNOTE_START = re.compile(r"<xml(?:\s[^<>]*)?>(?:\s|<!--.*?-->)*<records[\s>/]", re.DOTALL)
_XML_DECL_ENCODING = re.compile(r"^<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def _skip_prolog(text: str) -> tuple[int, str]:
    """(index of the root element, the DOCTYPE declaration text) in an XML document's start.

    Raises ImportFileError for a DOCTYPE that declares entities (billion laughs, external
    entities that would read local files or the network).
    """
    pos = 0
    doctype = ""
    length = len(text)
    while pos < length:
        while pos < length and text[pos] in " \t\r\n\ufeff":
            pos += 1
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
            if end < 0:
                return -1, doctype
            pos = end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
            if end < 0:
                return -1, doctype
            pos = end + 3
        elif text.startswith("<!DOCTYPE", pos) or text.startswith("<!doctype", pos):
            end = _doctype_end(text, pos)
            if end < 0:
                if "<!ENTITY" in text[pos:]:
                    raise unsafe_xml()
                return -1, text[pos:]
            doctype = text[pos:end]
            if "<!ENTITY" in doctype or "<!entity" in doctype.lower():
                raise unsafe_xml()
            pos = end
        else:
            return pos, doctype
    return -1, doctype


def _doctype_end(text: str, start: int) -> int:
    """Index just after the DOCTYPE declaration starting at `start`, or -1 if not in `text`."""
    quote = ""
    in_subset = False
    for index in range(start + 2, len(text)):
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
        elif char in ("'", '"'):
            quote = char
        elif char == "[":
            in_subset = True
        elif char == "]":
            in_subset = False
        elif char == ">" and not in_subset:
            return index + 1
    return -1


def _root_name(text: str, pos: int) -> str:
    match = re.match(r"<([A-Za-z_][\w.:-]*)", text[pos:])
    return match.group(1) if match else ""


def _eutils_errors(path: Path) -> list[str]:
    """Texts of the <ERROR> elements of a (small) E-utilities answer."""
    errors = []
    with path.open("rb") as handle:
        limited = io.BytesIO(handle.read(MAX_EUTILS_BYTES))
    try:
        for _, element in etree.iterparse(
            limited, events=("end",), tag="ERROR", **xml_parser_options()
        ):
            text = clean_text("".join(element.itertext()))
            if text:
                errors.append(text)
    except etree.LxmlError:
        pass
    return errors


def xml_format(path: Path, head: bytes, encoding: str, forced: str) -> tuple[str, str]:
    """(format, encoding) of an XML file whose first bytes are `head` (read as `encoding`): PubMed
    XML or EndNote XML, or ImportFileError saying what the XML file is instead."""
    text = decode_head(head, encoding)
    pos, _ = _skip_prolog(text)
    if pos < 0 and len(head) >= HEAD_BYTES:
        with path.open("rb") as handle:
            more = handle.read(MAX_PROLOG_BYTES)
        text = decode_head(more, encoding)
        pos, _ = _skip_prolog(text)
        if pos < 0:
            raise ImportFileError(
                "The XML file starts with a declaration too long to be a PubMed or EndNote export."
            )
    root = _root_name(text, pos) if pos >= 0 else ""
    if root.lower() == "html":
        raise html_error()
    if root in PUBMED_ROOTS:
        file_format = "pubmed-xml"
    elif root == "xml" and _ENDNOTE_START.match(text, pos):
        file_format = "endnote-xml"
    elif root in EUTILS_ROOTS or (root.startswith("e") and root.endswith("Result")):
        raise _eutils_refusal(path, root)
    elif not root:
        raise ImportFileError(
            "The file starts like XML but no root element was found: it is not a PubMed or "
            "EndNote export, or it is cut short."
        )
    else:
        raise ImportFileError(
            f"This XML file is neither a PubMed article set nor an EndNote XML library: its "
            f"root element is <{root}>. " + SUPPORTED
        )
    if forced not in ("auto", file_format):
        raise forced_mismatch(forced, file_format)
    declared = _XML_DECL_ENCODING.match(text.lstrip("\ufeff"))
    xml_encoding = encoding if encoding != "utf-8" or not declared else declared.group(1)
    return file_format, xml_encoding.lower()


def _eutils_refusal(path: Path, root: str) -> ImportFileError:
    """An E-utilities answer that is not articles: its <ERROR>s if it has any, else its kind."""
    errors = _eutils_errors(path)
    if errors:
        quoted = "; ".join(f"“{error}”" for error in errors)
        return ImportFileError(
            f"This is an error message from PubMed's E-utilities, not a set of records: "
            f"{quoted}. Fetch the records again with efetch."
        )
    what = EUTILS_ROOTS.get(root, "an E-utilities answer")
    return ImportFileError(
        f"This is {what}, not a set of articles. Fetch the records themselves with efetch "
        "(retmode=xml), or export them from PubMed with Send to > Citation manager."
    )
