"""Celery tasks: thin adapters that load ids and call one service."""

from celery import shared_task

from .services.import_jobs import import_job_run


@shared_task(acks_late=True)
def import_job_run_task(job_id: int) -> str:
    """Import a confirmed upload. Idempotent, so a redelivery after a lost worker is safe."""
    return import_job_run(job_id=job_id).status
