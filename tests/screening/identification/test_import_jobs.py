"""Import jobs whose worker dies: a lease that only its holder can finish, a heartbeat, a sweeper
that queues a silent job again, Resume, and a Cancel that says what it did. (With real workers
killed by kill -9: tests/integration/test_import_job_recovery.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from screening.constants import JobStatus, SourceKind
from screening.identification.import_jobs import (
    ImportJobBusy,
    import_job_cancel,
    import_job_create,
    import_job_resume,
    import_job_run,
    import_jobs_sweep,
)
from screening.identification.imports import ImportRefused
from screening.models import ImportJob, Search
from tests.screening.identification.test_imports import RIS_TWO

pytestmark = pytest.mark.django_db


def _as(job, **fields) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    return ImportJob.objects.get(pk=job.pk)


def _silent_for(seconds: int):
    return timezone.now() - timedelta(seconds=seconds)


def test_a_queued_job_runs_once_and_a_redelivery_changes_nothing(job):
    job = _as(job, status=JobStatus.QUEUED)
    assert import_job_run(job_id=job.pk).status == JobStatus.DONE
    assert import_job_run(job_id=job.pk).status == JobStatus.DONE
    assert Search.objects.count() == 1
    job.refresh_from_db()
    assert (job.attempts, job.lease) == (1, "")


def test_a_delivery_while_a_live_worker_holds_the_job_asks_again_later(job, settings):
    job = _as(job, status=JobStatus.RUNNING, lease="another", heartbeat_at=timezone.now())
    with pytest.raises(ImportJobBusy):
        import_job_run(job_id=job.pk)
    assert not Search.objects.exists()


def test_a_job_whose_worker_went_silent_is_taken_over(job, settings):
    silent = _silent_for(settings.IMPORT_JOB_STALE_SECONDS + 1)
    job = _as(job, status=JobStatus.RUNNING, lease="dead-worker", heartbeat_at=silent, attempts=1)
    assert import_job_run(job_id=job.pk).status == JobStatus.DONE
    assert ImportJob.objects.get(pk=job.pk).attempts == 2
    assert Search.objects.count() == 1


def test_cancel_says_what_it_did(job, settings):
    assert (
        "finished already"
        in import_job_cancel(job=_as(job, status=JobStatus.DONE), user=None).message
    )
    silent = _silent_for(settings.IMPORT_JOB_STALE_SECONDS + 1)
    outcome = import_job_cancel(
        job=_as(job, status=JobStatus.RUNNING, lease="dead", heartbeat_at=silent), user=None
    )
    assert outcome.message == (
        "Cancelled: its worker had stopped answering, and nothing was imported."
    )
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.CANCELLED
    # A redelivered message finds it cancelled and does nothing.
    assert import_job_run(job_id=job.pk).status == JobStatus.CANCELLED
    assert not Search.objects.exists()


def test_the_sweeper_queues_silent_jobs_again_and_leaves_live_ones(
    review, owner, job, settings, django_capture_on_commit_callbacks
):
    silent = _silent_for(settings.IMPORT_JOB_STALE_SECONDS + 1)
    lost = _as(job, status=JobStatus.RUNNING, lease="dead", heartbeat_at=silent)
    other = import_job_create(
        review=review, upload=SimpleUploadedFile("x.ris", RIS_TWO.encode()),
        source_name="Scopus", source_kind=SourceKind.DATABASE, user=owner,
    )  # fmt: skip
    live = _as(other, status=JobStatus.RUNNING, lease="alive", heartbeat_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert import_jobs_sweep() == [lost.pk]
    # Queued again and run (tasks run in-process here): done once; the live one untouched.
    assert ImportJob.objects.get(pk=lost.pk).status == JobStatus.DONE
    assert ImportJob.objects.get(pk=live.pk).lease == "alive"
    assert Search.objects.count() == 1


def test_the_sweeper_finishes_a_cancel_asked_of_a_dead_worker(job, settings):
    silent = _silent_for(settings.IMPORT_JOB_STALE_SECONDS + 1)
    job = _as(
        job, status=JobStatus.RUNNING, lease="dead", heartbeat_at=silent, cancel_requested=True
    )
    assert import_jobs_sweep() == []
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.CANCELLED


def test_resume_refuses_a_live_job_and_queues_a_lost_or_failed_one(
    job, settings, django_capture_on_commit_callbacks
):
    with pytest.raises(ImportRefused, match="its worker was heard from"):
        import_job_resume(
            job=_as(job, status=JobStatus.RUNNING, heartbeat_at=timezone.now()), user=None
        )
    with django_capture_on_commit_callbacks(execute=True):
        import_job_resume(job=_as(job, status=JobStatus.FAILED, error="boom"), user=None)
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.DONE


def test_the_job_page_shows_a_lost_worker_and_a_requested_cancel(client_owner, review, job):
    silent = _silent_for(10_000)
    _as(job, status=JobStatus.RUNNING, lease="dead", heartbeat_at=silent)
    page = client_owner.get(job.get_absolute_url()).content.decode()
    assert "has not been heard from" in page and 'id="resume-import"' in page
    _as(job, heartbeat_at=timezone.now(), cancel_requested=True)
    page = client_owner.get(job.get_absolute_url()).content.decode()
    assert "Cancel requested: the import stops before it commits" in page
    assert 'id="cancel-import"' not in page


def test_cancel_from_the_page_tells_the_truth(client_owner, review, job):
    _as(job, status=JobStatus.RUNNING, lease="alive", heartbeat_at=timezone.now())
    url = reverse("screening:import-job-action", args=[review.slug, job.pk, "cancel"])
    page = client_owner.post(url, follow=True).content.decode()
    assert "Cancel requested: the import is running" in page
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.RUNNING
