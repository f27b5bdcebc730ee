"""Which text format a file is in, from the first line that only one format writes.

Each tagged format has a signature line (RIS "TY  -", MEDLINE "PMID-", ...); a table is
recognised by a header row that names a title or abstract column. JSON is CSL-JSON when it is a
list whose first item is an object with a CSL `type` and a bibliographic field.
"""

from __future__ import annotations

import csv
import json
import re

from references.normalise import clean_text

# --- Column names of tables -------------------------------------------------------------------

_NOT_A_LETTER = re.compile(r"[\W_]+")


def normalise_column(name: str) -> str:
    """A header cell as a key: lower case, letters and digits only, so that the spellings tools
    use for one column meet ("PubMed ID", "pubmedID", "pubmed_id", "Pubmed Id" -> "pubmedid";
    "Author(s)" -> "authors"; "Art. No." -> "artno")."""
    return _NOT_A_LETTER.sub("", clean_text(name.replace("\ufeff", "")).lower())


def column_keys(*names: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalise_column(name) for name in names))


TITLE_COLUMNS = frozenset(
    column_keys(
        "title",
        "titles",
        "article title",
        "document title",
        "primary title",
        "primary_title",
        "title of article",
        "ti",
        "t1",
    )
)
ABSTRACT_COLUMNS = frozenset(
    column_keys("abstract", "ab", "abstract note", "abstracts", "notes_abstract", "n2")
)
# A table of identifiers alone is a list of works too (a row with a PMID alone is a record):
# only the unmistakable names, so that an unrelated table is not taken for one.
IDENTIFIER_COLUMNS = frozenset(column_keys("pmid", "pubmed id", "doi"))


# --- Signatures -------------------------------------------------------------------------------

_RIS_START = re.compile(r"^TY  -")
_MEDLINE_START = re.compile(r"^PMID- *\d")
_WOS_START = re.compile(r"^(?:FN (?:Clarivate|Thomson|ISI|Web of Science)|PT [A-Z]\s*$)")
_BIBTEX_START = re.compile(r"^\s*@[A-Za-z]+\s*[{(]")
_EXCEL_SEP = re.compile(r"^\"?sep=(.)\"?\s*$")
# The delimiters a table may use, in the order tried.
DELIMITERS = (",", ";", "\t", "|")


def _table_header(line: str) -> str | None:
    """The delimiter if `line` is the header row of a table of references, else None."""
    best: tuple[int, str] | None = None
    for delimiter in DELIMITERS:
        if delimiter not in line:
            continue
        try:
            cells = next(csv.reader([line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        names = {normalise_column(cell) for cell in cells}
        is_header = len(cells) >= 2 and names & (
            TITLE_COLUMNS | ABSTRACT_COLUMNS | IDENTIFIER_COLUMNS
        )
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


def text_format(lines: list[str], forced: str) -> tuple[str, int, str] | None:
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


# --- JSON -------------------------------------------------------------------------------------

CSL_FIELDS = frozenset({"title", "author", "editor", "container-title", "issued", "DOI", "PMID"})
_CSL_TYPE = re.compile(r'"type"\s*:\s*"[A-Za-z_-]+"')
_CSL_FIELD = re.compile(r'"(?:title|author|editor|container-title|issued|DOI|PMID)"\s*:')


def json_shape(text: str) -> str:
    """What the JSON text `text` (a file's first bytes) holds: "csl-json", "object", "empty
    list" or "list" (of something else). An item cut by the end of `text` is judged by its keys."""
    text = text.lstrip("\ufeff \t\r\n")
    if not text.startswith("["):
        return "object"
    body = text[1:].lstrip()
    if body.startswith("]"):
        return "empty list"
    if not body.startswith("{"):
        return "list"
    try:
        first, _ = json.JSONDecoder(strict=False).raw_decode(body)
    except json.JSONDecodeError:
        found = _CSL_TYPE.search(body) and _CSL_FIELD.search(body)
        return "csl-json" if found else "list"
    if isinstance(first.get("type"), str) and CSL_FIELDS & first.keys():
        return "csl-json"
    return "list"
