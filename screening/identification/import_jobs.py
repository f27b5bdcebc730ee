"""Uploads in the browser: store the file, preview it, import it in the background on confirm."""

import hashlib
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, connection, connections, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from references.parsers.base import ImportFileError
from screening import dispatch
from screening.constants import JobStatus, SourceKind
from screening.identification.imports import (
    ImportRefused,
    import_preview,
    references_import,
    same_file_search,
    source_get_or_create,
)
from screening.identification.search_documentation import documentation_json
from screening.identification.transfer import Collector, transfer_summary
from screening.identification.transfer_land import transfer_land, transfer_ready
from screening.models import ImportJob, Review, Source

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
    search_details: dict | None = None,
) -> ImportJob:
    """Store an upload and preview it. Raises ImportFileError for a file that cannot be read.
    `search_details`: the search's documentation, kept on the job until the import lands."""
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
        search_details=documentation_json(search_details),
        created_by=user,
    )
    upload.seek(0)
    job.file.save(upload.name, upload, save=False)
    try:
        decisions = Collector(file_name=job.file_name)  # another tool's, if the file has some
        preview = import_preview(
            path=job.file.path, file_format=file_format, review=review, on_entry=decisions.add
        )
    except ImportFileError:
        job.file.delete(save=False)
        raise
    job.format = preview.format
    job.preview = {**preview.as_dict(), "transfer": transfer_summary(decisions.finish())}
    job.save()
    return job


def import_job_confirm(*, job: ImportJob, user: AbstractBaseUser) -> ImportJob:
    """Queue the import. Confirming twice (a double click, a retried request) queues it once,
    and the second answer comes at once with the job as it stands: it reads the job before it
    takes any lock, so it never waits for an import that is running."""
    current = ImportJob.objects.get(pk=job.pk)
    if current.status != JobStatus.PREVIEWED:
        return current
    refusals = import_job_refusals(current)
    if refusals:  # the page offers no button then; a request made by hand gets the same answer
        raise ImportRefused(" ".join(refusals))
    transfer_ready(current)  # a file with decisions: mapped to members, or records only
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != JobStatus.PREVIEWED:
            return job
        job.status = JobStatus.QUEUED
        job.heartbeat_at = timezone.now()  # queued now: the sweeper leaves it to its message
        job.save(update_fields=["status", "heartbeat_at"])
        transaction.on_commit(lambda: import_job_enqueue(job.pk))
    return job


def import_job_refusals(job: ImportJob) -> list[str]:
    """Why the import of a previewed file would be refused, one sentence each, so that the
    preview offers no import at all rather than an import that fails: entries that cannot be
    read (unless the readable ones were asked for), the same file imported into the source
    before (unless asked for), a source of that name of another kind. The import checks the
    same again (references_import, source_get_or_create)."""
    if job.status != JobStatus.PREVIEWED:
        return []
    refusals = []
    unreadable, entries = job.preview.get("unreadable", 0), job.preview.get("entries", 0)
    if unreadable and not job.skip_unreadable:
        refusals.append(
            f"{unreadable:,} of the file's {entries:,} entries cannot be read (they are listed "
            "below). Fix them in the file, or upload it again with “import the readable "
            "entries” ticked: the ones skipped are then kept on the search."
        )
    earlier = None
    if not job.allow_same_file:
        earlier = same_file_search(
            review=job.review, source_name=job.source_name, sha256=job.file_sha256
        )
    if earlier is not None:
        who = f" by {earlier.run_by.get_username()}" if earlier.run_by else ""
        refusals.append(
            f"This same file was imported into {job.source_name} on {earlier.run_at:%d %b %Y}"
            f"{who}: importing it again would count its records twice. If that is what you "
            "mean, upload it again with “import even if this same file was imported” ticked."
        )
    source = Source.objects.in_review(job.review).filter(name__iexact=job.source_name).first()
    if source is not None and source.kind != job.source_kind:
        kind = source.get_kind_display().lower()
        refusals.append(
            f"{source.name} is a {kind} source in this review, not a "
            f"{SourceKind(job.source_kind).label.lower()} one: upload the file again as a "
            f"{kind} source, or under another source's name."
        )
    return refusals


def import_job_enqueue(job_id: int) -> None:
    dispatch.enqueue(dispatch.IMPORT_JOB_RUN, job_id)


def _stale_before():
    return timezone.now() - timedelta(seconds=settings.IMPORT_JOB_STALE_SECONDS)


def import_job_is_stale(job: ImportJob) -> bool:
    """A running job whose worker has not been heard from for IMPORT_JOB_STALE_SECONDS: it
    died (a killed worker, a lost machine), and nothing of its import was committed."""
    return job.status == JobStatus.RUNNING and (
        job.heartbeat_at is None or job.heartbeat_at < _stale_before()
    )


@dataclass
class CancelOutcome:
    job: ImportJob
    message: str


def import_job_cancel(*, job: ImportJob, user: AbstractBaseUser | None) -> CancelOutcome:
    """Cancel, and say truthfully what happened: cancelled now (not yet running, or its worker
    is gone), asked to stop (a live worker rolls its import back before it commits), or
    nothing to do (finished)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status == JobStatus.DONE:
            return CancelOutcome(job, "The import had finished already: nothing to cancel.")
        if job.status == JobStatus.CANCELLED:
            return CancelOutcome(job, "The import was cancelled already; nothing was imported.")
        if job.status == JobStatus.RUNNING and not import_job_is_stale(job):
            job.cancel_requested = True
            job.save(update_fields=["cancel_requested"])
            return CancelOutcome(
                job,
                "Cancel requested: the import is running, and it stops before it commits, so "
                "nothing of it will be added. This page shows when it has stopped.",
            )
        was = job.status
        _mark_cancelled(job)
    if was == JobStatus.RUNNING:
        return CancelOutcome(
            job, "Cancelled: its worker had stopped answering, and nothing was imported."
        )
    if was == JobStatus.PREVIEWED:
        return CancelOutcome(job, "The file was discarded; nothing of it was imported.")
    return CancelOutcome(job, "The import was cancelled; nothing was imported.")


def _mark_cancelled(job: ImportJob) -> None:
    job.status = JobStatus.CANCELLED
    job.cancel_requested = True
    job.lease = ""
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "cancel_requested", "lease", "finished_at"])
    transaction.on_commit(lambda: job.file.delete(save=False))


@transaction.atomic
def import_job_resume(*, job: ImportJob, user: AbstractBaseUser | None) -> ImportJob:
    """Queue again a failed import, or a running one whose worker is gone."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status == JobStatus.RUNNING and not import_job_is_stale(job):
        seconds = (timezone.now() - job.heartbeat_at).total_seconds()
        raise ImportRefused(
            f"The import is running: its worker was heard from {seconds:.0f} s ago. It is "
            f"taken for lost after {settings.IMPORT_JOB_STALE_SECONDS} s without news."
        )
    if job.status not in (JobStatus.FAILED, JobStatus.RUNNING):
        raise ImportRefused(f"The import is {job.get_status_display().lower()}: nothing to resume.")
    _requeue(job)
    return job


def _requeue(job: ImportJob) -> None:
    job.status = JobStatus.QUEUED
    job.error = ""
    job.lease = ""  # whoever held it can no longer finish it
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["status", "error", "lease", "heartbeat_at"])
    transaction.on_commit(lambda: import_job_enqueue(job.pk))


def import_jobs_sweep() -> list[int]:
    """Every minute (Celery beat): queue again the running imports whose worker has gone quiet
    and the queued ones no worker has taken (their message lost); cancel those whose owner
    asked. Safe to repeat, and to run beside a worker that wakes up: only the lease holder can
    mark a job done."""
    stale = _stale_before()
    requeued = []
    with transaction.atomic():
        lost = (
            ImportJob.objects.select_for_update(skip_locked=True)
            .filter(status__in=[JobStatus.RUNNING, JobStatus.QUEUED])
            .exclude(heartbeat_at__gte=stale)
        )
        for job in lost:
            if job.cancel_requested:
                _mark_cancelled(job)
                continue
            logger.warning("Import job %s: its worker went quiet; queued again", job.pk)
            _requeue(job)
            requeued.append(job.pk)
    return requeued


def _claim(job_id: int, runner: str) -> ImportJob | None:
    """Take the job, if it is queued or its runner is gone; None if it is someone else's or
    finished (a redelivered task)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("review").get(pk=job_id)
        if job.status == JobStatus.RUNNING and not import_job_is_stale(job):
            return None
        if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
            return None
        if job.cancel_requested:
            _mark_cancelled(job)
            return None
        now = timezone.now()
        job.status = JobStatus.RUNNING
        job.lease = runner
        job.attempts += 1
        job.heartbeat_at = now
        job.started_at = job.started_at or now
        job.save(update_fields=["status", "lease", "attempts", "heartbeat_at", "started_at"])
        return job


@contextmanager
def _heartbeat(job_id: int, runner: str) -> Iterator[None]:
    """While the import runs (one long transaction), a thread with its own connection says the
    runner is alive every IMPORT_JOB_HEARTBEAT_SECONDS. A worker killed with kill -9 takes the
    thread with it, so its job's heartbeat stops and the sweeper queues the job again.
    PostgreSQL only: SQLite has one writer, and there is no worker to lose."""
    if connection.vendor != "postgresql":
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.IMPORT_JOB_HEARTBEAT_SECONDS):
                try:
                    ImportJob.objects.filter(
                        pk=job_id, lease=runner, status=JobStatus.RUNNING
                    ).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    logger.exception("Import job %s: heartbeat not written", job_id)
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"import-job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class ImportJobBusy(Exception):
    """The job is running under another worker that is still alive (a message delivered
    twice): the task asks again once that worker would count as lost."""


class _Stopped(Exception):
    """The import is rolled back: cancelled, or the job is no longer this runner's."""


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a queued import, exactly once however often it is delivered: the import is one
    transaction, and it marks the job done in that transaction only if this runner still
    holds the job's lease and no one asked it to stop; otherwise it rolls back whole."""
    runner = uuid.uuid4().hex
    job = _claim(job_id, runner)
    if job is None:
        job = ImportJob.objects.get(pk=job_id)
        if job.status == JobStatus.RUNNING:
            raise ImportJobBusy(job_id)
        return job
    try:
        with _heartbeat(job_id, runner), transaction.atomic():
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
                search_details=job.search_details,
            )
            transfer_land(job=job, search=search)  # another tool's decisions, if mapped
            done = ImportJob.objects.filter(
                pk=job_id, lease=runner, status=JobStatus.RUNNING, cancel_requested=False
            ).update(status=JobStatus.DONE, search=search, finished_at=timezone.now(), lease="")
            if not done:
                raise _Stopped
        return ImportJob.objects.get(pk=job_id)
    except _Stopped:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job_id)
            if job.lease == runner and job.cancel_requested:
                _mark_cancelled(job)
        return job
    except (ImportFileError, ImportRefused) as error:
        failure = str(error)
    except Exception:
        logger.exception("Import job %s failed", job_id)
        failure = (
            "The import stopped on an unexpected error and nothing was imported. "
            "The error has been logged; try again, or contact the site's administrator."
        )
    ImportJob.objects.filter(pk=job_id, lease=runner).update(
        status=JobStatus.FAILED, error=failure, finished_at=timezone.now(), lease=""
    )
    return ImportJob.objects.get(pk=job_id)
