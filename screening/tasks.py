"""Celery tasks: thin adapters that load ids and call one service."""

from celery import shared_task
from django.conf import settings

from screening import dispatch
from screening.identification.import_jobs import ImportJobBusy, import_job_run, import_jobs_sweep
from screening.identification.pubmed_jobs import pubmed_jobs_sweep, pubmed_reruns_due
from screening.identification.pubmed_run import pubmed_job_run
from screening.prioritisation.embeddings import embeddings_compute
from screening.prioritisation.retrain import ranking_retrain_safely


@shared_task(acks_late=True, bind=True, max_retries=20, name=dispatch.IMPORT_JOB_RUN)
def import_job_run_task(self, job_id: int) -> str:
    """Import a confirmed upload. Idempotent, so a redelivery after a lost worker is safe; a
    delivery while another worker holds the job asks again once that one would count as lost."""
    try:
        return import_job_run(job_id=job_id).status
    except ImportJobBusy as busy:
        raise self.retry(countdown=settings.IMPORT_JOB_STALE_SECONDS + 1) from busy


@shared_task(name=dispatch.IMPORT_JOBS_SWEEP)
def import_jobs_sweep_task() -> list[int]:
    """Every minute (Celery beat): queue again the imports whose worker is gone."""
    return import_jobs_sweep()


@shared_task(acks_late=True, name=dispatch.PUBMED_JOB_RUN)
def pubmed_job_run_task(job_id: int) -> str:
    """Run a PubMed job from its last committed step. A redelivered message finds the job
    claimed by a live runner, or finished, and does nothing."""
    return pubmed_job_run(job_id=job_id).status


@shared_task(name=dispatch.PUBMED_JOBS_SWEEP)
def pubmed_jobs_sweep_task() -> list[int]:
    """Every minute (Celery beat): queue again the PubMed jobs whose worker is gone."""
    return pubmed_jobs_sweep()


@shared_task(name=dispatch.PUBMED_RERUNS_DUE)
def pubmed_reruns_due_task() -> list[int]:
    """Hourly when PUBMED_SCHEDULED_RERUNS is on: re-run the searches that are due."""
    return [job.pk for job in pubmed_reruns_due()]


@shared_task(acks_late=True, name=dispatch.RANKING_RETRAIN)
def ranking_retrain_task(review_id: int, stage: str) -> None:
    """Retrain a review's prioritisation model. Safe to run twice: it reads the decisions as
    they stand and writes the whole order."""
    ranking_retrain_safely(review_id, stage)


@shared_task(acks_late=True, name=dispatch.EMBEDDINGS_COMPUTE)
def embeddings_compute_task(review_id: int) -> int:
    """Embed a review's records that have no vector yet (once per record and model)."""
    return embeddings_compute(review_id=review_id)
