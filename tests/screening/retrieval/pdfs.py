"""Small real PDFs and zips for the bulk upload's tests, made here rather than kept as files:
a one-page PDF written by hand (a text layer in Helvetica, and an Info dictionary), one
encrypted with a password by pypdf, and zips of them."""

from __future__ import annotations

import io
import zipfile

from pypdf import PdfReader, PdfWriter


def _literal(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1") + b")"


def make_pdf(lines: list[str], info: dict[str, str] | None = None) -> bytes:
    """A one-page PDF whose text layer holds `lines`, one a line, and whose Info dictionary
    holds `info` ({"Title": ..., "doi": ...})."""
    shown = b" ".join(_literal(line) + b" '" for line in lines)
    content = b"BT /F1 11 Tf 72 740 Td 14 TL " + shown + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    if info:
        pairs = b" ".join(b"/" + key.encode() + b" " + _literal(v) for key, v in info.items())
        objects.append(b"<< " + pairs + b" >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objects) + 1)
    if info:
        trailer += b" /Info %d 0 R" % len(objects)
    out.write(b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def encrypted(pdf: bytes, password: str = "s3cret") -> bytes:
    """The PDF encrypted with a password to open it (pypdf's RC4-128)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()
