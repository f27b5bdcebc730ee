"""Sentence embeddings are computed off the request, in a process of their own: a real Celery
worker with a broker, a child `manage.py compute_embeddings` without one (`make run`). Both
write to the same database (PostgreSQL), and the asking process never loads the model."""

import sys

import pytest

from screening import dispatch
from screening.models import Embedding, Ranking
from screening.prioritisation import embeddings
from tests.conftest import require_postgresql
from tests.integration.conftest import wait_until
from tests.screening.prioritisation.test_embeddings import (  # noqa: F401 - fixtures
    small,
    static_model,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _fixtures(request):
    """The review of 12 records and the tiny static model (fixtures of test_embeddings)."""
    return request.getfixturevalue("small"), request.getfixturevalue("static_model")


def _asked(review) -> bool:
    Ranking.objects.get_or_create(review=review, stage="title_abstract")
    return embeddings.embeddings_request(review)


def test_a_real_worker_embeds_the_records_a_retrain_asked_for(celery_workers, settings, request):
    review, model_folder = _fixtures(request)
    settings.EMBEDDINGS_COMPUTE = "auto"  # with the fixture's broker: a task
    worker = celery_workers.start(environment={"EMBEDDING_MODEL": str(model_folder)})
    assert not dispatch.runs_in_process()
    assert _asked(review)
    assert not _asked(review)  # once at a time
    wait_until(
        lambda: Embedding.objects.count() == 12,
        timeout=60,
        what=lambda: f"the worker to embed 12 records ({Embedding.objects.count()})",
    )
    wait_until(lambda: "embeddings_compute_task" in worker.log(), timeout=15,
               what="the worker to log the task")  # fmt: skip
    # The request is cleared after the vectors are stored, in a transaction of its own: wait
    # for it rather than read it the moment the vectors appear (CI caught that read once).
    wait_until(
        lambda: Ranking.objects.get(review=review).embeddings_requested_at is None,
        timeout=30,
        what="the worker to clear the request",
    )


def test_without_a_broker_a_child_process_embeds_them(settings, request):
    require_postgresql()  # the child opens the test database: SQLite's is in this process
    review, model_folder = _fixtures(request)
    settings.EMBEDDINGS_COMPUTE = "auto"
    assert dispatch.runs_in_process()
    loaded_before = "model2vec" in sys.modules
    assert _asked(review)
    wait_until(
        lambda: Embedding.objects.count() == 12,
        timeout=120,
        what=lambda: f"the child to embed 12 records ({Embedding.objects.count()})",
    )
    wait_until(
        lambda: Ranking.objects.get(review=review).embeddings_requested_at is None,
        timeout=30,
        what="the child to clear the request",
    )
    # The model was loaded in the child, not here.
    assert ("model2vec" in sys.modules) == loaded_before
