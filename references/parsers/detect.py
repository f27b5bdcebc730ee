"""Which format and which encoding a file is in, from its content alone (never its name).

Reads the first `HEAD_BYTES` of the file to recognise the format, and for text that carries no
byte-order mark validates the whole file as UTF-8 (see `text_encoding`) before falling back to a
legacy encoding with a warning. What each step looks for lives in its own module:
`text_encoding` (encodings), `text_formats` (tagged formats, tables and CSL-JSON), `xml_detect`
(PubMed XML, EndNote XML and other XML), `refusals` (the sentences for files that are refused).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from references.parsers.base import ImportFileError
from references.parsers.refusals import (
    SUPPORTED,
    forced_mismatch,
    html_error,
    json_refusal,
    not_literature,
    refuse_known_binary,
    starts_like_ovid,
)
from references.parsers.text_encoding import (
    HEAD_BYTES,
    bom_encoding,
    decode_head,
    is_utf8,
    legacy_encoding,
    utf16_without_bom,
)
from references.parsers.text_formats import json_shape, text_format
from references.parsers.xml_detect import xml_format

__all__ = ["HEAD_BYTES", "Detection", "detect"]


@dataclass
class Detection:
    format: str
    encoding: str
    warnings: list[str] = field(default_factory=list)
    # For tables: the 0-based line of the header row (preamble lines come before it).
    header_line: int = 0
    delimiter: str = ","


def detect(path: Path, forced: str = "auto") -> Detection:
    """Recognise the format and encoding of the file at `path`, or raise ImportFileError."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not head.strip():
        raise ImportFileError("The file is empty.")

    refuse_known_binary(head)
    encoding = bom_encoding(head) or utf16_without_bom(head)
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
        raise html_error()
    if stripped.startswith("<") and not starts_like_ovid(stripped):
        xml, xml_encoding = xml_format(path, body, encoding or "utf-8", forced)
        return Detection(format=xml, encoding=xml_encoding)
    is_json = stripped.startswith(("{", "["))
    if is_json:
        shape = json_shape(stripped)
        if shape != "csl-json":
            raise json_refusal(shape, forced)
        if forced not in ("auto", "csl-json"):
            raise forced_mismatch(forced, "csl-json")

    warnings: list[str] = []
    if encoding is None:
        if is_utf8(path):
            encoding = "utf-8"
        else:
            encoding, warnings = legacy_encoding(path, head)
            text = decode_head(head, encoding)
    if is_json:
        return Detection(format="csl-json", encoding=encoding, warnings=warnings)
    return _detect_text(head, text, encoding, warnings, forced)


def _detect_text(
    head: bytes, text: str, encoding: str, warnings: list[str], forced: str
) -> Detection:
    """The format of a text file (not XML) whose first bytes `head` decode to `text`."""
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
    found = text_format(lines, forced)
    if found is None:
        raise not_literature(lines, forced)
    fmt, index, delimiter = found
    if forced not in ("auto", fmt):
        raise forced_mismatch(forced, fmt)
    return Detection(
        format=fmt,
        encoding=encoding,
        warnings=warnings,
        header_line=index if fmt == "csv" else 0,
        delimiter=delimiter or ",",
    )
