"""Celery tasks: thin adapters that load ids and call one service."""

from celery import shared_task
from django.conf import settings

from screening.services.import_jobs import ImportJobBusy, import_job_run, import_jobs_sweep
from screening.services.pubmed import pubmed_job_run, pubmed_jobs_sweep, pubmed_reruns_due
from screening.services.ranking import ranking_retrain_safely


@shared_task(acks_late=True, bind=True, max_retries=20)
def import_job_run_task(self, job_id: int) -> str:
    """Import a confirmed upload. Idempotent, so a redelivery after a lost worker is safe; a
    delivery while another worker holds the job asks again once that one would count as lost."""
    try:
        return import_job_run(job_id=job_id).status
    except ImportJobBusy as busy:
        raise self.retry(countdown=settings.IMPORT_JOB_STALE_SECONDS + 1) from busy


@shared_task
def import_jobs_sweep_task() -> list[int]:
    """Every minute (Celery beat): queue again the imports whose worker is gone."""
    return import_jobs_sweep()


@shared_task(acks_late=True)
def pubmed_job_run_task(job_id: int) -> str:
    """Run a PubMed job from its last committed step. A redelivered message finds the job
    claimed by a live runner, or finished, and does nothing."""
    return pubmed_job_run(job_id=job_id).status


@shared_task
def pubmed_jobs_sweep_task() -> list[int]:
    """Every minute (Celery beat): queue again the PubMed jobs whose worker is gone."""
    return pubmed_jobs_sweep()


@shared_task
def pubmed_reruns_due_task() -> list[int]:
    """Hourly when PUBMED_SCHEDULED_RERUNS is on: re-run the searches that are due."""
    return [job.pk for job in pubmed_reruns_due()]


@shared_task(acks_late=True)
def ranking_retrain_task(review_id: int, stage: str) -> None:
    """Retrain a review's prioritisation model. Safe to run twice: it reads the decisions as
    they stand and writes the whole order."""
    ranking_retrain_safely(review_id, stage)
