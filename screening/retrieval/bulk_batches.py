"""Where a bulk upload waits between its upload and its confirmation: a folder of its own under
MEDIA_ROOT (bulk-pdf/<review>/<token>/) with the PDFs and a manifest of what was found in them.
No table holds it, so nothing of a batch is in the database until it is confirmed, and a batch
left alone is never attached (and is removed after KEEP_DAYS)."""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from screening.retrieval.bulk_files import BulkRefused, NotTaken

BATCHES_DIR = "bulk-pdf"
MANIFEST = "manifest.json"
KEEP_DAYS = 7
CLAIMED = ".claimed"  # the suffix of a batch being confirmed or discarded
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class BatchFile:
    """One PDF of a batch and the reference proposed for it (None: unmatched), with how."""

    index: int
    name: str  # as the person knows it
    file_name: str  # the name the full text keeps
    stored: str  # its name in the batch's folder
    size: int
    sha256: str
    reference_id: int | None
    how: str


@dataclass
class Batch:
    token: str
    review_id: int
    created_at: datetime
    created_by: str  # the uploader's username, as the page names them
    files: list[BatchFile] = field(default_factory=list)
    not_taken: list[NotTaken] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        return batch_folder(self.review_id, self.token)

    def path_of(self, file: BatchFile) -> Path:
        return self.folder / file.stored

    def file(self, index: int) -> BatchFile | None:
        return next((f for f in self.files if f.index == index), None)


def _review_folder(review_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / BATCHES_DIR / str(int(review_id))


def batch_folder(review_id: int, token: str) -> Path:
    if not _TOKEN.match(token):
        raise ValueError("Not a batch token.")
    return _review_folder(review_id) / token


def batch_new_folder(review_id: int) -> tuple[str, Path]:
    """A new, empty folder for a batch of the review, and its token."""
    token = uuid.uuid4().hex
    folder = batch_folder(review_id, token)
    folder.mkdir(parents=True)
    return token, folder


def batch_save(batch: Batch) -> None:
    """Write the manifest whole, then move it in place, so that a reader never sees half."""
    data = asdict(batch)
    data["created_at"] = batch.created_at.isoformat()
    part = batch.folder / f"{MANIFEST}.part"
    part.write_text(json.dumps(data, indent=1))
    os.replace(part, batch.folder / MANIFEST)


def batch_load(review_id: int, token: str) -> Batch | None:
    """The review's batch of that token, or None: never uploaded, confirmed, or discarded."""
    if not _TOKEN.match(token):
        return None
    return _read(batch_folder(review_id, token) / MANIFEST)


def _read(manifest: Path) -> Batch | None:
    try:
        data = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return None  # gone meanwhile, or not yet written whole
    return Batch(
        token=data["token"],
        review_id=data["review_id"],
        created_at=datetime.fromisoformat(data["created_at"]),
        created_by=data["created_by"],
        files=[BatchFile(**f) for f in data["files"]],
        not_taken=[NotTaken(**n) for n in data["not_taken"]],
    )


def batches_of(review_id: int) -> list[Batch]:
    """The review's batches waiting for confirmation, oldest first."""
    folder = _review_folder(review_id)
    if not folder.is_dir():
        return []
    found = (_read(path / MANIFEST) for path in folder.iterdir() if _TOKEN.match(path.name))
    return sorted((b for b in found if b is not None), key=lambda b: b.created_at)


def batch_claim(batch: Batch) -> Path:
    """Take the batch for confirming or discarding it: its folder is renamed, which only one
    request can do, so a double click or two people at once attach it once. Raises
    BulkRefused for a batch another request has taken (or that is gone)."""
    claimed = batch.folder.with_name(batch.token + CLAIMED)
    try:
        os.rename(batch.folder, claimed)
    except FileNotFoundError:
        raise BulkRefused(
            "This batch was confirmed or discarded already; nothing more was done."
        ) from None
    return claimed


def batch_release(batch: Batch, claimed: Path) -> None:
    """Give a claimed batch back, as it was (its confirmation was refused)."""
    os.rename(claimed, batch.folder)


def batch_remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def batches_sweep(review_id: int, *, now: datetime | None = None) -> int:
    """Remove the review's batches (and claims left by a process that died) older than
    KEEP_DAYS; how many. Nothing of them was ever attached."""
    folder = _review_folder(review_id)
    if not folder.is_dir():
        return 0
    cutoff = (now or timezone.now()).timestamp() - timedelta(days=KEEP_DAYS).total_seconds()
    removed = 0
    for path in folder.iterdir():
        if path.is_dir() and path.stat().st_mtime < cutoff:
            batch_remove(path)
            removed += 1
    return removed
