"""Import jobs that survive a dead worker, on the real PostgreSQL with real Celery workers:
a whole worker killed with kill -9 mid-import is noticed by its silent heartbeat and queued
again by the sweeper, and imports exactly once on the next worker; Cancel in the gap says what
it does; a worker that wakes after its job was taken over commits nothing; a second Confirm
answers at once while the import runs."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from screening.constants import JobStatus, SourceKind
from screening.identification import import_jobs
from screening.identification.import_jobs import (
    import_job_cancel,
    import_job_confirm,
    import_job_create,
    import_job_is_stale,
    import_job_run,
    import_jobs_sweep,
)
from screening.models import ImportJob, Search
from tests.conftest import require_postgresql
from tests.integration.conftest import wait_for_job, wait_until
from tests.integration.test_celery_worker import (
    _assert_imported_once,
    _confirmed_job,
    _medline_upload,
    _stall_the_import_at_its_last_write,
    _wait_for_the_stall,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql():
    # Real concurrency: two threads each with their own connection and transaction (SQLite's
    # in-memory test database has one writer, and a paused import would hold it).
    require_postgresql()


STALE = 4  # seconds without a heartbeat before a running job counts as lost (default 180)
FAST = {"IMPORT_JOB_STALE_SECONDS": str(STALE), "IMPORT_JOB_HEARTBEAT_SECONDS": "0.5"}


@pytest.fixture
def fast_recovery(settings):
    settings.IMPORT_JOB_STALE_SECONDS = STALE
    settings.IMPORT_JOB_HEARTBEAT_SECONDS = 0.5


def _killed_mid_import(celery_workers, review, owner, data_path):
    """A job whose whole worker was killed with kill -9 in the middle of its import (the
    message stays unacknowledged in Redis for the visibility timeout: an hour)."""
    worker = celery_workers.start(environment=FAST)
    with _stall_the_import_at_its_last_write(review, owner) as lock:
        job, records = _confirmed_job(review, owner, data_path)
        _wait_for_the_stall(lock, job)
        worker.kill()
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and not Search.objects.filter(review=review).exists()
    return job, records


def _until_stale(job) -> None:
    def stale():
        job.refresh_from_db()
        return import_job_is_stale(job)

    wait_until(stale, timeout=60, what="the dead worker's heartbeat to go stale")


def test_a_whole_worker_killed_mid_import_is_queued_again_and_imports_once(
    celery_workers, fast_recovery, review, owner, data_path
):
    job, records = _killed_mid_import(celery_workers, review, owner, data_path)
    second = celery_workers.start(environment=FAST)  # a worker comes back
    _until_stale(job)
    assert import_jobs_sweep() == [job.pk]  # what Celery beat runs every minute
    job = wait_for_job(job)

    _assert_imported_once(review, job, records)
    assert job.attempts == 2
    assert "import_job_run_task" in second.log()


def test_cancel_in_the_gap_says_it_is_requested_and_nothing_is_imported(
    celery_workers, fast_recovery, review, owner, data_path, client_owner
):
    job, _ = _killed_mid_import(celery_workers, review, owner, data_path)
    outcome = import_job_cancel(job=job, user=owner)
    if import_job_is_stale(job):  # a slow machine may already count the worker as lost
        assert outcome.message.startswith("Cancelled: its worker had stopped answering")
    else:
        assert outcome.message.startswith("Cancel requested")
        page = client_owner.get(job.get_absolute_url()).content.decode()
        assert "Cancel requested: the import stops before it commits" in page
        _until_stale(job)
        assert import_jobs_sweep() == []  # not queued again: cancelled
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    page = client_owner.get(job.get_absolute_url()).content.decode()
    assert "Cancelled; nothing was imported." in page
    celery_workers.start(environment=FAST)  # a worker that comes back imports nothing
    assert not Search.objects.filter(review=review).exists()


# --- One process, two threads: a runner paused inside its import --------------------------


class PausedImport:
    """Runs import_job_run in a thread that stops after the import has written everything,
    just before it would mark the job done, until released."""

    def __init__(self, monkeypatch, job_id: int):
        self.reached, self.go = threading.Event(), threading.Event()
        self.result: list = []
        real = import_jobs.references_import

        def paused(**kwargs):
            search = real(**kwargs)
            self.reached.set()
            assert self.go.wait(60), "the test never released the import"
            return search

        monkeypatch.setattr(import_jobs, "references_import", paused)
        self.thread = threading.Thread(target=self._run, args=(job_id,))
        self.thread.start()
        wait_until(self.reached.is_set, timeout=60, what="the import to write its rows")

    def _run(self, job_id: int) -> None:
        try:
            self.result.append(import_job_run(job_id=job_id))
        except Exception as error:  # noqa: BLE001 - reported to the test
            self.result.append(error)
        finally:
            connections.close_all()

    def finish(self) -> ImportJob:
        self.go.set()
        self.thread.join(timeout=60)
        assert self.result, "the import thread did not finish"
        (outcome,) = self.result
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def _queued(job) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    job.refresh_from_db()
    return job


@pytest.fixture
def previewed(review, owner, data_path):
    upload, _ = _medline_upload(data_path)
    return import_job_create(
        review=review, upload=upload, source_name="PubMed", source_kind=SourceKind.DATABASE,
        user=owner,
    )  # fmt: skip


def test_a_worker_that_wakes_after_its_job_was_taken_over_commits_nothing(
    monkeypatch, review, previewed
):
    job = _queued(previewed)
    run = PausedImport(monkeypatch, job.pk)
    # Meanwhile the sweeper (or Resume) handed the job to another runner.
    ImportJob.objects.filter(pk=job.pk).update(lease="the-next-runner")
    result = run.finish()
    assert result.lease == "the-next-runner" and result.status == JobStatus.RUNNING
    assert not Search.objects.filter(review=review).exists()


def test_cancel_during_a_live_import_rolls_it_back(monkeypatch, review, owner, previewed):
    job = _queued(previewed)
    run = PausedImport(monkeypatch, job.pk)
    outcome = import_job_cancel(job=job, user=owner)
    assert outcome.message.startswith("Cancel requested: the import is running")
    result = run.finish()
    assert result.status == JobStatus.CANCELLED
    assert not Search.objects.filter(review=review).exists()


def test_a_second_confirm_answers_at_once_while_the_import_runs(
    monkeypatch, review, owner, previewed
):
    job = _queued(previewed)  # the first Confirm's work; its task is the paused import
    run = PausedImport(monkeypatch, job.pk)
    answered: list[ImportJob] = []

    def second_confirm():
        try:
            answered.append(import_job_confirm(job=job, user=owner))
        finally:
            connections.close_all()

    thread = threading.Thread(target=second_confirm)
    thread.start()
    # It answers while the import is still held: it waits for nothing the import holds.
    wait_until(lambda: bool(answered), timeout=30, what="the second Confirm to answer")
    assert answered[0].status == JobStatus.RUNNING
    thread.join(timeout=30)
    assert run.finish().status == JobStatus.DONE
    assert Search.objects.filter(review=review).count() == 1
