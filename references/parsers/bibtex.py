"""BibTeX and BibLaTeX (JabRef, Zotero, Mendeley, EndNote, Google Scholar ...).

bibtexparser 2 reads the whole file (BibTeX files are small, and `@string` macros defined
anywhere must be known). Field names are lower-cased, `@string` macros and `#` concatenations
resolved and LaTeX decoded ({\\'e} -> é) without losing text that only looks like LaTeX: an
unescaped `%` (`85.58%`, which LaTeX reads as a comment to the end of the line), `&` or a
lone `$`, as Scopus and Web of Science write them, is kept as written. Entries bibtexparser
cannot read are not dropped:
- an entry without a citation key (as EndNote writes them) is given one and read, with a warning;
- an entry whose key repeats an earlier one is read too, with a warning (deduplication is not
  the parser's business);
- an entry that repeats a field (Scopus writes `funding_details` once per funder) is read: the
  first value counts, the others stay in the entry's raw text, and the entry carries a warning;
- an entry with broken syntax becomes an UnreadableEntry;
- an entry left open at the end of the file becomes an UnreadableEntry (the file may be cut).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
from bibtexparser import middlewares as mw
from bibtexparser import model as bib
from bibtexparser.library import Library
from bibtexparser.middlewares.names import parse_single_name_into_parts
from pylatexenc.latex2text import LatexNodes2Text

from references import normalise as n
from references.parsers.base import AbstractSection, Entry, ParsedReference, UnreadableEntry
from references.parsers.detect import Detection

KEYLESS_PREFIX = "keyless-entry-"
DUPLICATE_SUFFIX = "--duplicate-key-"
_KEYLESS = re.compile(
    r"(@(?!(?:string|preamble|comment)\b)[A-Za-z]+\s*\{)(\s*[A-Za-z][\w-]*\s*=)", re.IGNORECASE
)
_ENTRY_START = re.compile(r"^\s*@(?!(?:string|preamble|comment)\b)[A-Za-z]+\s*[{(]", re.I)
_MONTHS = frozenset(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
)
_DECODER = LatexNodes2Text(math_mode="text")


class _ResolveConcatenation(mw.BlockMiddleware):
    """Resolve `jean # " " # cesar`, which the default string middleware leaves as written."""

    def __init__(self):
        super().__init__(allow_inplace_modification=True, allow_parallel_execution=True)

    def transform_entry(self, entry: bib.Entry, library: Library) -> bib.Entry:
        strings = {string.key.lower(): string.value for string in library.strings}
        for field in entry.fields:
            if isinstance(field.value, str) and "#" in field.value:
                resolved = _concatenate(field.value, strings)
                if resolved is not None:
                    field.value = resolved
        return entry


_PART = re.compile(r'\s*(\{(?:[^{}]|\{[^{}]*\})*\}|"[^"]*"|[\w:.+-]+)\s*(#|$)')


def _concatenate(value: str, strings: dict[str, str]) -> str | None:
    pieces = []
    pos = 0
    while pos < len(value):
        match = _PART.match(value, pos)
        if not match:
            return None
        part = match.group(1)
        if part[0] in '{"':
            pieces.append(part[1:-1])
        elif part.isdigit():
            pieces.append(part)
        else:
            key = part.lower()
            resolved = strings.get(key, key if key in _MONTHS else None)
            if resolved is None:
                return None
            pieces.append(resolved.strip('{}"') if isinstance(resolved, str) else str(resolved))
        pos = match.end()
        if match.group(2) == "":
            break
    return "".join(pieces)


REPEATED_FIELDS = "repeated_fields"


class _KeepFirstOfRepeatedFields(mw.BlockMiddleware):
    """An entry that repeats a field is read with the field's first value (bibtexparser would
    refuse it as a DuplicateFieldKeyBlock, or keep the last of `Title` and `title`); the
    repeated keys are noted on the entry, the later values stay in its raw text."""

    def __init__(self):
        super().__init__(allow_inplace_modification=True, allow_parallel_execution=True)

    def transform_failed_block(self, failed_block, library: Library):
        entry = failed_block.ignore_error_block
        if isinstance(failed_block, bib.DuplicateFieldKeyBlock) and isinstance(entry, bib.Entry):
            return self.transform_entry(entry, library)
        return failed_block

    def transform_entry(self, entry: bib.Entry, library: Library) -> bib.Entry:
        first: dict[str, bib.Field] = {}
        repeated: dict[str, int] = {}
        for field in entry.fields:
            key = field.key.lower()
            if key in first:
                repeated[key] = repeated.get(key, 1) + 1
            else:
                first[key] = field
        if repeated:
            entry.fields = list(first.values())
            entry.set_parser_metadata(REPEATED_FIELDS, repeated)
        return entry


# What LaTeX would swallow in text that was never LaTeX: a comment sign, an alignment sign.
_LITERAL_SIGNS = re.compile(r"(?<!\\)([%&])")
_DOLLAR = re.compile(r"(?<!\\)\$")


def _protect(text: str) -> str:
    """`text` with the signs LaTeX decoding would drop escaped: `%` and `&` always (a percentage,
    "R&D", a URL's "%2F"), `$` unless it opens math that holds LaTeX (`$\\alpha$`, `$x^2$`)."""
    if "%" in text or "&" in text:
        text = _LITERAL_SIGNS.sub(r"\\\1", text)
    if "$" not in text:
        return text
    pieces = _DOLLAR.split(text)
    if len(pieces) % 2 == 0:  # an odd number of $: none of them opens math ("US$ 5")
        return "\\$".join(pieces)
    kept = [pieces[0]]
    for inner, after in zip(pieces[1::2], pieces[2::2], strict=True):
        sign = "$" if any(mark in inner for mark in "\\^_{") else "\\$"
        kept.append(f"{sign}{inner}{sign}{after}")
    return "".join(kept)


class _LatexDecoding(mw.LatexDecodingMiddleware):
    """bibtexparser's LaTeX decoding, on text whose literal signs were protected first."""

    def _transform_python_value_string(self, python_string: str) -> tuple[str, str]:
        return super()._transform_python_value_string(_protect(python_string))


def _parse_stack() -> list:
    return [
        _KeepFirstOfRepeatedFields(),
        mw.ResolveStringReferencesMiddleware(allow_inplace_modification=True),
        mw.RemoveEnclosingMiddleware(allow_inplace_modification=True),
        mw.NormalizeFieldKeys(allow_inplace_modification=True),
        _ResolveConcatenation(),
        # Names are split before LaTeX decoding so that {Protected Collective Names} survive.
        mw.SeparateCoAuthors(allow_inplace_modification=True, name_fields=("author", "editor")),
        _LatexDecoding(allow_inplace_modification=True, decoder=_DECODER),
    ]


def iter_entries(path: Path, detection: Detection) -> Iterator[Entry]:
    text = path.read_text(encoding=detection.encoding, errors="replace")
    text, keyless = _add_missing_keys(text)
    library = bibtexparser.parse_string(text, parse_stack=_parse_stack())
    renamed = _rename_duplicate_keys(text, library)
    if renamed != text:
        text = renamed
        library = bibtexparser.parse_string(text, parse_stack=_parse_stack())
    entries_by_key = {entry.key: entry for entry in library.entries}

    last_line = -1
    number = 0
    for block in library.blocks:
        if block.start_line is not None and block.raw is not None:
            last_line = max(last_line, block.start_line + block.raw.count("\n"))
        if isinstance(block, bib.Entry):
            number += 1
            yield _reference(block, entries_by_key, keyless)
        elif isinstance(block, bib.MiddlewareErrorBlock) and isinstance(
            block.ignore_error_block, bib.Entry
        ):
            number += 1
            reference = _reference(block.ignore_error_block, entries_by_key, keyless)
            if isinstance(reference, ParsedReference):
                reference.warnings.append(f"some of the entry could not be decoded: {block.error}")
            yield reference
        elif isinstance(block, bib.DuplicateBlockKeyBlock) and isinstance(
            block.ignore_error_block, bib.Entry
        ):
            number += 1
            yield UnreadableEntry(
                position=number,
                reason=f"entry {number} repeats the citation key '{block.key}'",
                excerpt=_excerpt(block.raw, keyless),
            )
        elif isinstance(block, (bib.MiddlewareErrorBlock, bib.DuplicateBlockKeyBlock)):
            continue  # about an @string: not an entry
        elif isinstance(block, bib.ParsingFailedBlock):
            number += 1
            reason = getattr(block.error, "abort_reason", "") or str(block.error)
            line = (block.start_line or 0) + 1
            if "end of file" in reason:
                reason = _open_at_end(number, line)
            else:
                reason = f"entry {number} (line {line}) could not be parsed: {reason}"
            yield UnreadableEntry(
                position=number, reason=reason, excerpt=_excerpt(block.raw, keyless)
            )

    # bibtexparser drops, with only a log message, an entry still open at the end of the file.
    lines = text.split("\n")
    for index in range(last_line + 1, len(lines)):
        if _ENTRY_START.match(lines[index]):
            number += 1
            yield UnreadableEntry(
                position=number,
                reason=_open_at_end(number, index + 1),
                excerpt=_excerpt("\n".join(lines[index : index + 5]), keyless),
            )
            break


def _open_at_end(number: int, line: int) -> str:
    return (
        f"entry {number} (line {line}) is not closed before the end of the file; "
        "the file may be truncated"
    )


def _add_missing_keys(text: str) -> tuple[str, set[str]]:
    """Give a key to each "@article{ author = ..." entry (EndNote writes them without one)."""
    keys: set[str] = set()

    def add_key(match: re.Match) -> str:
        key = f"{KEYLESS_PREFIX}{len(keys) + 1}"
        keys.add(key)
        return f"{match.group(1)}{key},{match.group(2)}"

    return _KEYLESS.sub(add_key, text), keys


def _rename_duplicate_keys(text: str, library: Library) -> str:
    duplicates = [
        block
        for block in library.failed_blocks
        if isinstance(block, bib.DuplicateBlockKeyBlock)
        and isinstance(block.ignore_error_block, bib.Entry)
    ]
    if not duplicates:
        return text
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    # From the end, so that earlier offsets stay right.
    for index, block in sorted(enumerate(duplicates, 1), key=lambda b: -(b[1].start_line or 0)):
        raw = block.raw or ""
        start = text.find(raw, offsets[min(block.start_line or 0, len(lines))])
        brace = raw.find(block.key, max(raw.find("{"), raw.find("(")))
        if start < 0 or brace < 0:
            continue
        renamed = (
            raw[:brace] + f"{block.key}{DUPLICATE_SUFFIX}{index}" + raw[brace + len(block.key) :]
        )
        text = text[:start] + renamed + text[start + len(raw) :]
    return text


def _excerpt(raw: str | None, keyless: set[str]) -> str:
    return _original_raw(raw or "", keyless)[:300]


def _original_raw(raw: str, keyless: set[str]) -> str:
    """The entry's text as in the file: without a key that was added, or a renamed key."""
    for key in keyless:
        if key in raw:
            raw = raw.replace(f"{key},", "", 1)
            break
    return re.sub(re.escape(DUPLICATE_SUFFIX) + r"\d+", "", raw, count=1)


def _value(entry: bib.Entry, *keys: str) -> str:
    for key in keys:
        field = entry.fields_dict.get(key)
        if field is not None and isinstance(field.value, str):
            text = n.clean_text(field.value)
            if text:
                return text
    return ""


def _decode(text: str) -> str:
    try:
        return n.clean_text(_DECODER.latex_to_text(_protect(text)))
    except Exception:  # noqa: BLE001 - pylatexenc raises many kinds; keep the text as written
        return n.clean_text(text.replace("{", "").replace("}", ""))


def _people(entry: bib.Entry, key: str) -> list[str]:
    field = entry.fields_dict.get(key)
    if field is None:
        return []
    names = field.value if isinstance(field.value, list) else [str(field.value)]
    people = []
    for name in names:
        if n.clean_text(name).lower() == "others":
            continue  # "and others" is BibTeX for "et al."
        try:
            parts = parse_single_name_into_parts(name, strict=False)
        except Exception:  # noqa: BLE001 - a name that cannot be split is kept as written
            people.append(_decode(name))
            continue
        surname = _decode(" ".join([*parts.von, *parts.last]))
        people.append(
            n.format_person(surname, _decode(" ".join(parts.first)), _decode(" ".join(parts.jr)))
        )
    return n.unique(people)


def _split_list(value: str) -> list[str]:
    return n.unique(n.clean_text(part) for part in re.split(r"[;,]", value))


def _reference(entry: bib.Entry, entries_by_key: dict, keyless: set[str]) -> ParsedReference:
    reference = ParsedReference(raw=_original_raw(entry.raw or "", keyless))
    parent = entries_by_key.get(_value(entry, "crossref"))

    reference.title = _value(entry, "title")
    reference.abstract, sections = n.structured_abstract(_value(entry, "abstract"))
    reference.abstract_sections = [AbstractSection(label, text) for label, text in sections]
    reference.authors = _people(entry, "author") or _people(entry, "editor")
    reference.journal = _value(entry, "journal", "journaltitle", "booktitle")
    if not reference.journal and parent is not None:
        reference.journal = _value(parent, "journal", "journaltitle", "booktitle", "title")
    reference.year = n.parse_year(_value(entry, "year", "date"))
    if reference.year is None and parent is not None:
        reference.year = n.parse_year(_value(parent, "year", "date"))
    reference.volume = _value(entry, "volume")
    reference.issue = _value(entry, "number", "issue")
    # Scopus gives an article number as "art_number", biblatex as "eid".
    reference.pages = n.join_pages(_value(entry, "pages")) or _value(entry, "art_number", "eid")

    reference.doi = n.normalise_doi(_value(entry, "doi"))
    url = _value(entry, "url")
    if not reference.doi and "doi.org/" in url.lower():
        reference.doi = n.normalise_doi(url)
    eprint_type = _value(entry, "eprinttype", "archiveprefix").lower()
    reference.pmid = n.clean_pmid(_value(entry, "pmid")) or (
        n.clean_pmid(_value(entry, "eprint")) if eprint_type == "pubmed" else ""
    )
    reference.pmcid = n.clean_pmcid(_value(entry, "pmcid"))

    reference.publication_types = [entry.entry_type.lower()]
    reference.keywords = _split_list(_value(entry, "keywords", "keyword"))
    reference.mesh_terms = n.unique(n.clean_text(term) for term in _value(entry, "mesh").split(";"))
    reference.language = _value(entry, "language", "langid")
    reference.urls = [url] if url.lower().startswith(("http", "www.")) else []

    for key, times in (entry.parser_metadata.get(REPEATED_FIELDS) or {}).items():
        reference.warnings.append(
            f"the field '{key}' appears {times} times: the first value was kept, "
            "the others are in the entry's text"
        )
    if entry.key.startswith(KEYLESS_PREFIX):
        reference.warnings.append("the entry has no citation key")
    if DUPLICATE_SUFFIX in entry.key:
        original = entry.key.split(DUPLICATE_SUFFIX)[0]
        reference.warnings.append(f"the citation key '{original}' is also used by an earlier entry")
    return reference
