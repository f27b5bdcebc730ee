"""Uploads in the browser: store the file, preview it, import it in the background on confirm."""

import hashlib
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from references.parsers.base import ImportFileError

from ..constants import JobStatus
from ..models import ImportJob, Review
from .imports import ImportRefused, import_preview, references_import, source_get_or_create

logger = logging.getLogger(__name__)


def import_job_create(
    *,
    review: Review,
    upload: UploadedFile,
    source_name: str,
    source_kind: str,
    user: AbstractBaseUser,
    file_format: str = "auto",
    skip_unreadable: bool = False,
    allow_same_file: bool = False,
) -> ImportJob:
    """Store an upload and preview it. Raises ImportFileError for a file that cannot be read."""
    if upload.size > settings.IMPORT_MAX_FILE_BYTES:
        raise ImportFileError(
            f"The file is {filesizeformat(upload.size)}, over the limit of "
            f"{filesizeformat(settings.IMPORT_MAX_FILE_BYTES)}. Split the export into smaller "
            "files."
        )
    if upload.size == 0:
        raise ImportFileError("The file is empty.")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    job = ImportJob(
        review=review,
        source_name=source_name.strip(),
        source_kind=source_kind,
        file_name=upload.name[:255],
        file_sha256=digest.hexdigest(),
        file_size=upload.size,
        skip_unreadable=skip_unreadable,
        allow_same_file=allow_same_file,
        created_by=user,
    )
    upload.seek(0)
    job.file.save(upload.name, upload, save=False)
    try:
        preview = import_preview(path=job.file.path, file_format=file_format, review=review)
    except ImportFileError:
        job.file.delete(save=False)
        raise
    job.format = preview.format
    job.preview = preview.as_dict()
    job.save()
    return job


@transaction.atomic
def import_job_confirm(*, job: ImportJob, user: AbstractBaseUser) -> ImportJob:
    """Queue the import. Confirming twice (a double click, a retried request) queues it once."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != JobStatus.PREVIEWED:
        return job
    job.status = JobStatus.QUEUED
    job.save(update_fields=["status"])
    from ..tasks import import_job_run_task

    transaction.on_commit(lambda: import_job_run_task.delay(job.pk))
    return job


@transaction.atomic
def import_job_cancel(*, job: ImportJob, user: AbstractBaseUser) -> ImportJob:
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status in (JobStatus.PREVIEWED, JobStatus.QUEUED):
        job.status = JobStatus.CANCELLED
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at"])
        job.file.delete(save=False)
    return job


def _claim(job_id: int) -> ImportJob | None:
    """Mark the job running, unless it is finished already (a redelivered task)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("review").get(pk=job_id)
        if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
            return None
        job.status = JobStatus.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
        return job


def _finish(job: ImportJob, status: str, *, error: str = "", search=None) -> None:
    job.status = status
    job.error = error
    job.search = search
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "search", "finished_at"])


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a queued import. Safe to run twice, even at once: the import holds the job row's
    lock and marks the job done in its own transaction, so a second run waits, then finds the
    job done. A job whose worker died mid-way starts over (its transaction never committed)."""
    if _claim(job_id) is None:
        return ImportJob.objects.get(pk=job_id)
    try:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().select_related("review").get(pk=job_id)
            if job.status != JobStatus.RUNNING:
                return job  # another run finished it while this one waited for the lock
            source = source_get_or_create(
                review=job.review, name=job.source_name, kind=job.source_kind, user=job.created_by
            )
            search = references_import(
                review=job.review,
                source=source,
                path=job.file.path,
                file_name=job.file_name,
                user=job.created_by,
                file_format=job.format or "auto",
                skip_unreadable=job.skip_unreadable,
                allow_same_file=job.allow_same_file,
                sha256=job.file_sha256,
            )
            _finish(job, JobStatus.DONE, search=search)
            return job
    except (ImportFileError, ImportRefused) as error:
        failure = str(error)
    except Exception:
        logger.exception("Import job %s failed", job_id)
        failure = (
            "The import stopped on an unexpected error and nothing was imported. "
            "The error has been logged; try again, or contact the site's administrator."
        )
    job = ImportJob.objects.get(pk=job_id)
    _finish(job, JobStatus.FAILED, error=failure)
    return job
