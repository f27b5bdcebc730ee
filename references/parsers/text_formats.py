"""Which text format a file is in, from the first line that only one format writes.

Each tagged format has a signature line (RIS "TY  -", MEDLINE "PMID-", ...); a table is
recognised by a header row that names a title or abstract column.
"""

from __future__ import annotations

import csv
import re

from references.normalise import clean_text

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
