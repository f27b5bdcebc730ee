"""Which format and which encoding a file is in, from its content alone (never its name).

Reads the first `HEAD_BYTES` of the file to recognise the format, and for text that carries no
byte-order mark validates the whole file as UTF-8 chunk by chunk (so a 1 GB file is never held
in memory) before falling back to a legacy encoding with a warning.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from references.normalise import clean_text
from references.parsers.base import ImportFileError

HEAD_BYTES = 64 * 1024
CHUNK_BYTES = 1024 * 1024
# A DOCTYPE longer than this is not something a bibliographic database writes.
MAX_PROLOG_BYTES = 1024 * 1024
# E-utilities answers are small; an <ERROR> is looked for in this much of one.
MAX_EUTILS_BYTES = 10 * 1024 * 1024

FORMAT_NAMES = {
    "pubmed-xml": "PubMed XML",
    "medline": "MEDLINE (PubMed .nbib) text",
    "ris": "RIS",
    "wos": "Web of Science tagged text",
    "bibtex": "BibTeX",
    "csv": "a table (CSV)",
}
SUPPORTED = (
    "The formats that can be imported are PubMed XML, MEDLINE (.nbib), RIS, "
    "Web of Science tagged text, BibTeX and CSV tables with a title or abstract column."
)

ENCODING_NAMES = {
    "cp1252": "Windows-1252 (Western European)",
    "gb18030": "GB18030 (Chinese, a superset of GBK)",
}


@dataclass
class Detection:
    format: str
    encoding: str
    warnings: list[str] = field(default_factory=list)
    # For tables: the 0-based line of the header row (preamble lines come before it).
    header_line: int = 0
    delimiter: str = ","


# --- Column names of tables -------------------------------------------------------------------

TITLE_COLUMNS = frozenset(
    {
        "title",
        "titles",
        "article title",
        "document title",
        "primary title",
        "title of article",
        "ti",
        "t1",
        "article_title",
    }
)
ABSTRACT_COLUMNS = frozenset({"abstract", "ab", "abstract note", "abstracts", "n2"})


def normalise_column(name: str) -> str:
    return clean_text(name.replace("\ufeff", "")).strip("\"' ").lower()


# --- Signatures -------------------------------------------------------------------------------

_RIS_START = re.compile(r"^TY  -")
_MEDLINE_START = re.compile(r"^PMID- *\d")
_WOS_START = re.compile(r"^(?:FN (?:Clarivate|Thomson|ISI|Web of Science)|PT [A-Z]\s*$)")
_BIBTEX_START = re.compile(r"^\s*@[A-Za-z]+\s*[{(]")
_EXCEL_SEP = re.compile(r"^\"?sep=(.)\"?\s*$")
_DELIMITERS = (",", ";", "\t", "|")


def _table_header(line: str) -> str | None:
    """The delimiter if `line` is the header row of a table of references, else None."""
    best: tuple[int, str] | None = None
    for delimiter in _DELIMITERS:
        if delimiter not in line:
            continue
        try:
            cells = next(csv.reader([line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        names = {normalise_column(cell) for cell in cells}
        is_header = len(cells) >= 2 and names & (TITLE_COLUMNS | ABSTRACT_COLUMNS)
        if is_header and (best is None or len(cells) > best[0]):
            best = (len(cells), delimiter)
    return best[1] if best else None


def _line_format(line: str) -> tuple[str, str] | None:
    if _RIS_START.match(line):
        return "ris", ""
    if _MEDLINE_START.match(line):
        return "medline", ""
    if _WOS_START.match(line):
        return "wos", ""
    if _BIBTEX_START.match(line):
        return "bibtex", ""
    delimiter = _table_header(line)
    if delimiter:
        return "csv", delimiter
    return None


def _text_format(lines: list[str], forced: str) -> tuple[str, int, str] | None:
    """(format, line index, delimiter) of the first line that only one format writes.

    With a forced format, the first line that format writes wins even when a line of another
    format comes earlier (a person who chose the format settles an ambiguous file).
    """
    first = None
    excel_delimiter = ""
    for index, line in enumerate(lines):
        sep = _EXCEL_SEP.match(line) if index == 0 else None
        if sep:
            excel_delimiter = sep.group(1)
            continue
        found = _line_format(line)
        if found is None:
            continue
        fmt, delimiter = found
        if fmt == "csv" and excel_delimiter:
            delimiter = excel_delimiter
        if first is None:
            first = (fmt, index, delimiter)
        if forced in ("auto", fmt):
            return fmt, index, delimiter
    return first


# --- Encodings --------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _bom_encoding(head: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0) / len(sample[0::2])
    odd_nuls = sample[1::2].count(0) / len(sample[1::2])
    if odd_nuls > 0.3 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.3 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(CHUNK_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _looks_like_gbk(head: bytes) -> bool:
    """Chinese text in GBK: high bytes in pairs that decode to CJK characters.

    Western text in Windows-1252 has single accented letters between ASCII ones ("César"),
    which fail the even-length test.
    """
    runs = re.findall(rb"[\x80-\xff]+", head[:HEAD_BYTES])
    if not runs or any(len(run) % 2 for run in runs):
        return False
    try:
        text = "".join(run.decode("gb18030") for run in runs)
    except UnicodeDecodeError:
        return False
    return all(
        "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"
        for c in text
    )


def _legacy_encoding(path: Path, head: bytes) -> tuple[str, list[str]]:
    encoding = "gb18030" if _looks_like_gbk(head) else "cp1252"
    warning = (
        f"The file is not UTF-8; it was read as {ENCODING_NAMES[encoding]}. If accented or "
        "non-Latin letters look wrong, save the file as UTF-8 and import it again."
    )
    return encoding, [warning]


def decode_head(head: bytes, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(head, final=False)


# --- Refusals before any parsing --------------------------------------------------------------

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


def _refuse_known_binary(head: bytes) -> None:
    for magic, message in _MAGIC:
        if head.startswith(magic):
            raise ImportFileError(message)


def _refuse_json(text: str) -> None:
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        raise ImportFileError("This is a JSON file, which cannot be imported. " + SUPPORTED)


# --- XML --------------------------------------------------------------------------------------

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

_XML_DECL_ENCODING = re.compile(r"^<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def xml_parser_options() -> dict:
    """The options every lxml parse of an uploaded file uses: no entities, DTDs or network."""
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "huge_tree": False,
        "dtd_validation": False,
    }


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
                    raise _unsafe_xml()
                return -1, text[pos:]
            doctype = text[pos:end]
            if "<!ENTITY" in doctype or "<!entity" in doctype.lower():
                raise _unsafe_xml()
            pos = end
        else:
            return pos, doctype
    return -1, doctype


def _unsafe_xml() -> ImportFileError:
    return ImportFileError(
        "The XML file declares entities in its DOCTYPE. That is never found in a PubMed "
        "export and can be used to attack the server (entity expansion or reading local "
        "files), so the file was refused."
    )


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


def _detect_xml(path: Path, head: bytes, encoding: str, forced: str) -> Detection:
    text = decode_head(head, encoding)
    pos, _ = _skip_prolog(text)
    if pos < 0 and len(head) >= HEAD_BYTES:
        with path.open("rb") as handle:
            more = handle.read(MAX_PROLOG_BYTES)
        text = decode_head(more, encoding)
        pos, _ = _skip_prolog(text)
        if pos < 0:
            raise ImportFileError(
                "The XML file starts with a declaration too long to be a PubMed export."
            )
    root = _root_name(text, pos) if pos >= 0 else ""
    if root.lower() == "html":
        raise _html_error()
    if root in PUBMED_ROOTS:
        if forced not in ("auto", "pubmed-xml"):
            raise _forced_mismatch(forced, "pubmed-xml")
        declared = _XML_DECL_ENCODING.match(text.lstrip("\ufeff"))
        xml_encoding = encoding if encoding != "utf-8" or not declared else declared.group(1)
        return Detection(format="pubmed-xml", encoding=xml_encoding.lower())
    if root in EUTILS_ROOTS or (root.startswith("e") and root.endswith("Result")):
        errors = _eutils_errors(path)
        if errors:
            quoted = "; ".join(f"“{error}”" for error in errors)
            raise ImportFileError(
                f"This is an error message from PubMed's E-utilities, not a set of records: "
                f"{quoted}. Fetch the records again with efetch."
            )
        what = EUTILS_ROOTS.get(root, "an E-utilities answer")
        raise ImportFileError(
            f"This is {what}, not a set of articles. Fetch the records themselves with efetch "
            "(retmode=xml), or export them from PubMed with Send to > Citation manager."
        )
    if not root:
        raise ImportFileError(
            "The file starts like XML but no root element was found: it is not a PubMed "
            "export, or it is cut short."
        )
    if root == "xml" and b"<records>" in head:
        hint = " It looks like an EndNote XML export: export the library as RIS instead."
    else:
        hint = ""
    raise ImportFileError(
        f"This XML file is not a PubMed article set: its root element is <{root}>.{hint} "
        + SUPPORTED
    )


def _html_error() -> ImportFileError:
    return ImportFileError(
        "This is a web page (HTML), not an export. Use the database's export or "
        "“Send to > Citation manager” function and import the file it saves."
    )


def _forced_mismatch(forced: str, found: str | None) -> ImportFileError:
    chosen = FORMAT_NAMES.get(forced, forced)
    if found:
        return ImportFileError(
            f"You chose {chosen}, but the file looks like {FORMAT_NAMES[found]}. "
            "Choose that format, or let the format be recognised automatically."
        )
    return ImportFileError(f"You chose {chosen}, but the file does not look like {chosen}.")


# --- Entry point ------------------------------------------------------------------------------


def detect(path: Path, forced: str = "auto") -> Detection:
    """Recognise the format and encoding of the file at `path`, or raise ImportFileError."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not head.strip():
        raise ImportFileError("The file is empty.")

    _refuse_known_binary(head)
    encoding = _bom_encoding(head) or _utf16_without_bom(head)
    if encoding is None and b"\x00" in head:
        raise ImportFileError(
            "This is a binary file, not text, so it cannot be a literature export. " + SUPPORTED
        )
    body = head[3:] if encoding == "utf-8-sig" else head
    text = decode_head(body, encoding or "utf-8")
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise ImportFileError("The file is empty.")
    if re.match(r"<!doctype\s+html|<html[\s>]|<head[\s>]", stripped[:1024], re.IGNORECASE):
        raise _html_error()
    if stripped.startswith("<"):
        return _detect_xml(path, body, encoding or "utf-8", forced)
    _refuse_json(stripped)

    warnings: list[str] = []
    if encoding is None:
        if _is_utf8(path):
            encoding = "utf-8"
        else:
            encoding, warnings = _legacy_encoding(path, head)
            text = decode_head(head, encoding)

    control = sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\t\r\n\f")
    if control > max(8, len(text[:4096]) // 20):
        raise ImportFileError(
            "This looks like a binary file, not text, so it cannot be a literature export. "
            + SUPPORTED
        )

    # Split as the csv module and text files do (not str.splitlines, which also splits on
    # form feeds and Unicode separators), so that line numbers agree with the parsers'.
    lines = re.split(r"\r\n|\r|\n", text)
    if len(text) >= len(head) - 4 and len(head) == HEAD_BYTES and lines:
        lines = lines[:-1]  # the last line of a cut head may be incomplete
    found = _text_format(lines, forced)
    if found is None:
        raise _not_literature(lines, forced)
    fmt, index, delimiter = found
    if forced not in ("auto", fmt):
        raise _forced_mismatch(forced, fmt)
    return Detection(
        format=fmt,
        encoding=encoding,
        warnings=warnings,
        header_line=index if fmt == "csv" else 0,
        delimiter=delimiter or ",",
    )


def _not_literature(lines: list[str], forced: str) -> ImportFileError:
    if forced == "pubmed-xml":
        return _forced_mismatch(forced, None)
    first = next((line for line in lines if line.strip()), "")
    for delimiter in _DELIMITERS:
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
                f"{prefix}has no title or abstract column (its columns are: {columns}), "
                "so it does not look like a list of references."
            )
    if forced != "auto":
        return ImportFileError(
            f"You chose {FORMAT_NAMES.get(forced, forced)}, but the file does not look like "
            f"{FORMAT_NAMES.get(forced, forced)}, nor like any literature export. " + SUPPORTED
        )
    return ImportFileError("The file does not look like a literature export. " + SUPPORTED)
