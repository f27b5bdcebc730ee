"""An upload imported by a real Celery worker process, through Redis, into PostgreSQL; and a
worker that dies mid-import: the import's transaction never commits, the message is delivered
again, and the file lands exactly once."""

import os
import signal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from screening.constants import AuditAction, JobStatus, SourceKind
from screening.identification.import_jobs import import_job_confirm, import_job_create
from screening.identification.imports import source_get_or_create
from screening.models import AuditEvent, ImportJob, Record, Search
from tests.integration.conftest import table_locked, wait_for_job, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

MEDLINE = "biopython/Medline/pubmed_result2.txt"
# A lost worker is noticed after 4 s without a heartbeat instead of 3 minutes.
FAST_RECOVERY = {"IMPORT_JOB_STALE_SECONDS": "4", "IMPORT_JOB_HEARTBEAT_SECONDS": "0.5"}
SOURCE = "PubMed"


def _medline_upload(data_path) -> tuple[SimpleUploadedFile, int]:
    """The upload, and how many records it holds (one PMID line each)."""
    content = (data_path / MEDLINE).read_bytes()
    records = sum(1 for line in content.decode().splitlines() if line.startswith("PMID-"))
    assert records > 0
    return SimpleUploadedFile("pubmed_result2.txt", content, content_type="text/plain"), records


def _confirmed_job(review, owner, data_path) -> tuple[ImportJob, int]:
    upload, records = _medline_upload(data_path)
    job = import_job_create(
        review=review,
        upload=upload,
        source_name=SOURCE,
        source_kind=SourceKind.DATABASE,
        user=owner,
    )
    assert job.status == JobStatus.PREVIEWED
    import_job_confirm(job=job, user=owner)
    return job, records


def _assert_imported_once(review, job: ImportJob, records: int) -> None:
    assert job.status == JobStatus.DONE, f"job {job.status}: {job.error}"
    searches = Search.objects.filter(review=review)
    assert searches.count() == 1, "the file landed more than once"
    search = searches.get()
    assert job.search_id == search.pk
    assert (search.entries, search.records_count, search.references_created) == (
        records,
        records,
        records,
    )
    assert (search.duplicates, search.unreadable) == (0, 0)
    in_review = Record.objects.filter(review=review)
    assert in_review.count() == records
    assert in_review.values("reference").distinct().count() == records
    assert sorted(in_review.values_list("position", flat=True)) == list(range(1, records + 1))
    assert AuditEvent.objects.filter(review=review, action=AuditAction.IMPORT).count() == 1


def test_a_confirmed_upload_is_imported_by_a_real_worker(celery_workers, review, owner, data_path):
    worker = celery_workers.start()

    job, records = _confirmed_job(review, owner, data_path)
    job = wait_for_job(job)

    _assert_imported_once(review, job, records)
    # Run by that worker, not in this process: it logs the task's success (just after the
    # job row says done, so wait for the line).
    wait_until(
        lambda: "import_job_run_task" in worker.log() and "succeeded" in worker.log(),
        timeout=15,
        what="the worker to log the task's success",
    )


def test_a_prefork_worker_parses_a_large_file_in_a_process_of_its_own(
    celery_workers, review, owner, data_path
):
    """A prefork pool process is a daemonic one, which multiprocessing would not let have a
    child: the parser's process (parse_process.py), started with subprocess, runs there. Every
    file counts as large for this worker."""
    worker = celery_workers.start(
        pool="prefork", environment={"IMPORT_PARSE_PROCESS_MIN_BYTES": "0"}
    )

    job, records = _confirmed_job(review, owner, data_path)
    job = wait_for_job(job)

    _assert_imported_once(review, job, records)
    assert "in a process of its own" in worker.log()


def _stall_the_import_at_its_last_write(review, owner):
    """The import job's transaction ends with its audit event: with the audit table locked, the
    worker writes the search, references and records, then waits, uncommitted. The source is
    made first, so that creating it (and auditing that) does not happen inside the import."""
    source_get_or_create(review=review, name=SOURCE, kind=SourceKind.DATABASE, user=owner)
    return table_locked(AuditEvent._meta.db_table)


def _wait_for_the_stall(lock, job: ImportJob) -> None:
    def stalled() -> bool:
        job.refresh_from_db()
        if job.is_finished:
            pytest.fail(
                f"The import finished ({job.status}: {job.error}) without writing its "
                "audit event inside its transaction; this test relies on that write."
            )
        return lock.waiters() > 0

    wait_until(stalled, timeout=60, what="the worker's import to reach its audit write")


def test_a_worker_killed_mid_import_commits_nothing_and_the_next_worker_imports_once(
    celery_workers, review, owner, data_path
):
    first = celery_workers.start()
    with _stall_the_import_at_its_last_write(review, owner) as lock:
        job, records = _confirmed_job(review, owner, data_path)
        _wait_for_the_stall(lock, job)
        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING
        first.kill()
    # The killed worker's database session finishes its INSERT once the lock goes, finds its
    # client gone and rolls back: none of its rows is ever committed.
    assert not Search.objects.filter(review=review).exists()
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING  # as the dead worker left it

    # The message was never acknowledged (acks_late), so Redis hands it to the next worker
    # once the visibility timeout has passed, and the job (idempotent) runs again, whole.
    # The redelivered message finds the job still held by the dead worker's lease; it asks
    # again once that worker's heartbeat is IMPORT_JOB_STALE_SECONDS old.
    second = celery_workers.start(visibility_timeout=2, environment=FAST_RECOVERY)
    job = wait_for_job(job)

    _assert_imported_once(review, job, records)
    assert "import_job_run_task" in second.log()


def test_a_pool_process_killed_mid_import_is_redelivered_and_imports_once(
    celery_workers, review, owner, data_path
):
    worker = celery_workers.start(pool="prefork", environment=FAST_RECOVERY)
    with _stall_the_import_at_its_last_write(review, owner) as lock:
        job, records = _confirmed_job(review, owner, data_path)
        _wait_for_the_stall(lock, job)
        (pool_process,) = worker.pool_processes()
        os.kill(pool_process, signal.SIGKILL)
        # task_reject_on_worker_lost: the worker puts the message back on the queue at once,
        # and a new pool process starts the job again.
        wait_until(
            lambda: "WorkerLostError" in worker.log() or "SIGKILL" in worker.log(),
            timeout=30,
            what="the worker to notice its pool process died",
        )
    job = wait_for_job(job)

    _assert_imported_once(review, job, records)
    assert worker.alive
