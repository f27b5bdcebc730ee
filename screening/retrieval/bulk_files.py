"""Taking the files of a bulk upload into the batch's folder, safely. PDFs are kept as they
come; a zip is unpacked only after its directory has been checked (how many files, how big once
extracted, where their paths lead), and each entry is read no further than the size it declares.
Every file offered is either kept or listed with the reason it was not, in words."""

from __future__ import annotations

import hashlib
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from django.template.defaultfilters import filesizeformat

from screening.permissions.refusals import Refused

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
CHUNK = 1024 * 1024
# The end of a zip: its "end of central directory" record (22 bytes and a comment of up to
# 64 KiB), which says how many entries the zip holds and how big its directory is.
_EOCD = b"PK\x05\x06"
_EOCD_TAIL = 22 + 65_535
# A directory entry is 46 bytes and its name; 4 KiB a name is more than any real zip uses.
_DIRECTORY_BYTES_PER_FILE = 46 + 4096
# A zip's entries besides its files: folders, and what the Mac's archiver adds beside each
# file (__MACOSX/, ._name). The end record counts them all; the limit on files counts only files.
_ENTRIES_PER_FILE = 4


class BulkRefused(Refused):
    """The bulk upload cannot go on; `str(error)` says why, to the person who made it."""


@dataclass(frozen=True)
class Limits:
    """How much one batch may hold: files (a zip's entries count one each), bytes once
    extracted, and bytes a file."""

    max_files: int = 100
    max_total_bytes: int = 500 * 1024 * 1024
    max_file_bytes: int = 50 * 1024 * 1024


@dataclass(frozen=True)
class Taken:
    """A file kept in the batch's folder."""

    name: str  # as the person knows it: "a.pdf", or "papers.zip: 2024/a.pdf"
    file_name: str  # its base name, which the full text keeps
    stored: str  # its name in the folder: "001.pdf"
    size: int
    sha256: str


@dataclass(frozen=True)
class NotTaken:
    """A file left out of the batch, and why."""

    name: str
    why: str


@dataclass
class Gathered:
    taken: list[Taken] = field(default_factory=list)
    not_taken: list[NotTaken] = field(default_factory=list)


def gather(uploads: Iterable, folder: Path, limits: Limits) -> Gathered:
    """Keep the PDFs of `uploads` (uploaded files: PDFs, or zips of PDFs) in `folder`. Raises
    BulkRefused, having kept nothing a caller should use, when the batch as a whole is over
    its limits or a zip cannot be read."""
    gatherer = _Gatherer(folder, limits)
    uploads = list(uploads)
    declared = sum(upload.size for upload in uploads)
    if declared > limits.max_total_bytes:
        raise BulkRefused(_over_total(declared, limits))
    for upload in uploads:
        gatherer.add_upload(upload)
    return gatherer.gathered


def _over_total(size: int, limits: Limits) -> str:
    return (
        f"The files come to {filesizeformat(size)}, over the limit of "
        f"{filesizeformat(limits.max_total_bytes)} for one batch; nothing was kept. Upload "
        "them in smaller batches."
    )


def _too_many(count: int, limits: Limits) -> str:
    return (
        f"The batch holds {count} files, over the limit of {limits.max_files}; nothing was "
        "kept. Upload them in smaller batches."
    )


class _Gatherer:
    def __init__(self, folder: Path, limits: Limits):
        self.folder = folder
        self.limits = limits
        self.gathered = Gathered()
        self.files = 0  # files offered so far, a zip's entries one each
        self.total = 0  # bytes offered so far, zips counted by what they hold
        self.digests: dict[str, str] = {}  # sha256 -> the name of the file kept with it

    def add_upload(self, upload) -> None:
        name = PurePosixPath(upload.name or "upload").name
        upload.seek(0)
        head = upload.read(len(ZIP_MAGIC))
        upload.seek(0)
        if head == ZIP_MAGIC:
            self._add_zip(upload, name)
            return
        self._count(1, upload.size)
        if upload.size > self.limits.max_file_bytes:
            self._leave(name, self._over_file(upload.size))
            return
        self._keep(name, name, upload.chunks(CHUNK), declared=upload.size)

    def _count(self, files: int, size: int) -> None:
        self.files += files
        self.total += size
        if self.files > self.limits.max_files:
            raise BulkRefused(_too_many(self.files, self.limits))
        if self.total > self.limits.max_total_bytes:
            raise BulkRefused(_over_total(self.total, self.limits))

    def _over_file(self, size: int) -> str:
        return (
            f"It is {filesizeformat(size)}, over the limit of "
            f"{filesizeformat(self.limits.max_file_bytes)} for a full text."
        )

    def _leave(self, name: str, why: str) -> None:
        self.gathered.not_taken.append(NotTaken(name, why))

    # --- zips ---------------------------------------------------------------------------------

    def _add_zip(self, upload, zip_name: str) -> None:
        """Check the zip's directory, then extract what it allows. Nothing is extracted before
        the count of files and their declared sizes are known to be within the limits."""
        _check_directory(upload.file, zip_name, self.limits)
        try:
            archive = zipfile.ZipFile(upload.file)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
            raise BulkRefused(f"{zip_name} could not be read as a zip ({error}).") from None
        with archive:
            entries = [info for info in archive.infolist() if _is_offered(info)]
            wanted = []
            for info in entries:
                name = f"{zip_name}: {info.filename}"
                why = self._entry_refusal(info)
                if why:
                    self._leave(name, why)
                else:
                    wanted.append(info)
            self._count(len(entries), sum(info.file_size for info in wanted))
            for info in wanted:
                self._extract(archive, info, zip_name)

    def _entry_refusal(self, info: zipfile.ZipInfo) -> str:
        if not _safe_path(info.filename):
            return "Its path inside the zip leads outside the zip, so it was not extracted."
        if info.flag_bits & 0x1:
            return "It is protected by a password inside the zip, so it was not extracted."
        if info.file_size > self.limits.max_file_bytes:
            return self._over_file(info.file_size)
        return ""

    def _extract(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, zip_name: str) -> None:
        name = f"{zip_name}: {info.filename}"
        try:
            with archive.open(info) as entry:
                self._keep(name, PurePosixPath(info.filename).name, _chunks(entry), info.file_size)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError) as error:
            self._leave(name, f"It could not be extracted from the zip ({error}).")

    # --- keeping one file ---------------------------------------------------------------------

    def _keep(self, name: str, file_name: str, chunks: Iterator[bytes], declared: int) -> None:
        """Write the file to the folder, reading no more than it declared, then keep it if it
        is a PDF and not a copy of one kept already."""
        stored = f"{len(self.gathered.taken) + len(self.gathered.not_taken) + 1:03d}.pdf"
        path = self.folder / stored
        digest = hashlib.sha256()
        size = 0
        head = b""
        try:
            with path.open("wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > declared:
                        raise BulkRefused(
                            f"{name} holds more than the {filesizeformat(declared)} it "
                            "declares; the file is damaged or made to mislead, and nothing was "
                            "kept."
                        )
                    if len(head) < 1024:
                        head += chunk[: 1024 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)  # a part of a file is no file to keep
            raise
        why = _refusal(head, size)
        same = self.digests.get(digest.hexdigest())
        if same and not why:
            why = f"It is the same file as {same}, which is in the batch already."
        if why:
            path.unlink()
            self._leave(name, why)
            return
        self.digests[digest.hexdigest()] = name
        self.gathered.taken.append(Taken(name, file_name[:255], stored, size, digest.hexdigest()))


def _refusal(head: bytes, size: int) -> str:
    if size == 0:
        return "It is empty."
    if PDF_MAGIC not in head:
        return "It is not a PDF."
    return ""


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def _is_offered(info: zipfile.ZipInfo) -> bool:
    """An entry that is a file the person put in the zip: not a folder, not the Mac's own."""
    if info.is_dir():
        return False
    base = PurePosixPath(info.filename).name
    return not (
        info.filename.startswith("__MACOSX/") or base.startswith("._") or base == ".DS_Store"
    )


def _safe_path(name: str) -> bool:
    """A relative path that stays inside the zip: no "..", no drive or leading slash. Paths
    are never used to write (files are stored by number), but such an entry is a sign of a
    zip made to attack, and the person is told rather than given its contents."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts or name.startswith(("/", "\\")) or ":" in parts[0]:
        return False
    return ".." not in parts


def _check_directory(stream: BinaryIO, zip_name: str, limits: Limits) -> None:
    """Refuse a zip whose end record announces more entries than the batch may hold, or a
    directory bigger than that many entries need, before zipfile reads (and builds an object
    for) every entry of it."""
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(max(0, size - _EOCD_TAIL))
    tail = stream.read()
    stream.seek(0)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise BulkRefused(f"{zip_name} could not be read as a zip (its end record is missing).")
    _, _, _, _, entries, directory_size, _, _ = struct.unpack("<4s4H2LH", tail[at : at + 22])
    most = limits.max_files * _ENTRIES_PER_FILE
    if entries > most:  # a zip64 archive says 0xFFFF here, also over any limit
        raise BulkRefused(
            f"{zip_name} holds {entries} entries, far over the limit of {limits.max_files} "
            "files for one batch; nothing was kept. Upload them in smaller batches."
        )
    if directory_size > most * _DIRECTORY_BYTES_PER_FILE:
        raise BulkRefused(
            f"{zip_name}'s directory is larger than {limits.max_files} files need; nothing was "
            "kept."
        )
