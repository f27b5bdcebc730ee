"""Which encoding a file's text is in, from its bytes alone.

A byte-order mark settles it; so does the pattern of NUL bytes of UTF-16 without one. Otherwise
the whole file is validated as UTF-8 chunk by chunk (so a 1 GB file is never held in memory)
before falling back to a legacy encoding, with a warning for the person who uploaded it.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

# How much of a file detection reads to recognise its format and guess its encoding.
HEAD_BYTES = 64 * 1024
# How much of a file UTF-8 validation holds in memory at once.
CHUNK_BYTES = 1024 * 1024

ENCODING_NAMES = {
    "cp1252": "Windows-1252 (Western European)",
    "gb18030": "GB18030 (Chinese, a superset of GBK)",
}

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def bom_encoding(head: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return None


def utf16_without_bom(head: bytes) -> str | None:
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


def is_utf8(path: Path) -> bool:
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


def legacy_encoding(path: Path, head: bytes) -> tuple[str, list[str]]:
    """(encoding, warnings) for text that is not UTF-8: GB18030 or Windows-1252."""
    encoding = "gb18030" if _looks_like_gbk(head) else "cp1252"
    warning = (
        f"The file is not UTF-8; it was read as {ENCODING_NAMES[encoding]}. If accented or "
        "non-Latin letters look wrong, save the file as UTF-8 and import it again."
    )
    return encoding, [warning]


def decode_head(head: bytes, encoding: str) -> str:
    """The text of a file's first bytes; a character cut at the end is left out, not replaced."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(head, final=False)
