"""Sentence embeddings of the records, for the ``embedding`` ranker (rankers.py).

The model is a setting, `PRIORITISATION_EMBEDDING_MODEL`: the folder of a static embedding
model in model2vec's format (a token vocabulary and one vector per token, averaged over a
record's tokens). It is chosen for its weight: numpy and a tokenizer, no deep-learning stack,
about a thousand records a second on one core. A deployment fetches it once, at install time
(`make embedding-model`, docs/prioritisation.md); nothing is fetched at run time, and without
a model the chooser simply has one ranker fewer.

Each record is embedded once per model, in a background task of its own (a Celery task, or a
separate process when tasks run in-process: never in the importing or the web process), and
the vectors are kept in the database (`Embedding`). A retrain reads a review's vectors through
a file on disk mapped into memory (`matrix_for`): the file is written once per set of
records, and the web process's memory does not grow with it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from references.models import Reference
from screening import dispatch
from screening.models import Embedding, Ranking, Review, ScreeningItem
from screening.prioritisation.embedding_model import (
    EmbeddingModelMissing,
    encode,
    model_key,
    model_path,
)
from screening.prioritisation.model import record_text

log = logging.getLogger(__name__)
BATCH = 512  # records encoded and written at a time
REQUEST_STALE_SECONDS = 3600  # a request older than this is taken for a lost one


# --- Computing and storing -------------------------------------------------------------------


def missing(review: Review, key: str) -> list[int]:
    """The review's references at title and abstract that have no vector from this model."""
    ids = ScreeningItem.objects.in_review(review).values_list("reference_id", flat=True)
    done = Embedding.objects.filter(model=key, reference_id__in=ids).values_list(
        "reference_id", flat=True
    )
    return sorted(set(ids) - set(done))


def embeddings_compute(*, review_id: int) -> int:
    """Embed the review's references that have no vector yet; the number embedded. Safe to
    run twice (a vector is written once per reference and model)."""
    path = model_path()
    review = Review.objects.filter(pk=review_id).first()
    if path is None or review is None:
        return 0
    key = model_key(path)
    todo = missing(review, key)
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        texts = {
            pk: record_text(title, abstract, " ".join([*keywords, *mesh]))
            for pk, title, abstract, keywords, mesh in Reference.objects.filter(
                pk__in=batch
            ).values_list("pk", "title", "abstract", "keywords", "mesh_terms")
        }
        vectors = encode(path, [texts.get(pk, "") for pk in batch])
        Embedding.objects.bulk_create(
            [
                Embedding(reference_id=pk, model=key, vector=vector.astype("<f4").tobytes())
                for pk, vector in zip(batch, vectors, strict=True)
            ],
            ignore_conflicts=True,
        )
    Ranking.objects.filter(review=review).update(embeddings_requested_at=None)
    return len(todo)


def embeddings_request(review: Review) -> bool:
    """Ask for the review's missing vectors to be computed, once at a time: a Celery task
    with a broker, a process of its own without one (`make run`), at once in the tests
    (`EMBEDDINGS_COMPUTE = "inline"`). True if asked."""
    stale = timezone.now() - timezone.timedelta(seconds=REQUEST_STALE_SECONDS)
    with transaction.atomic():
        claimed = (
            Ranking.objects.filter(review=review)
            .exclude(embeddings_requested_at__gt=stale)
            .update(embeddings_requested_at=timezone.now())
        )
    if not claimed:
        return False
    how = getattr(settings, "EMBEDDINGS_COMPUTE", "auto")
    if how == "inline":
        dispatch.enqueue(dispatch.EMBEDDINGS_COMPUTE, review.pk, now=True)
    elif dispatch.runs_in_process():
        _in_a_process_of_its_own(review.pk)
    else:
        dispatch.enqueue(dispatch.EMBEDDINGS_COMPUTE, review.pk)
    return True


def _in_a_process_of_its_own(review_id: int) -> None:
    """`manage.py compute_embeddings REVIEW` as a child process, waited for by a thread so
    that it leaves no zombie: the model and its vectors never enter this process."""
    manage = Path(settings.BASE_DIR) / "manage.py"
    child = subprocess.Popen(  # noqa: S603 - our own command, arguments from our own ids
        [sys.executable, str(manage), "compute_embeddings", str(review_id)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_child_environment(),
    )
    threading.Thread(target=child.wait, daemon=True, name=f"embeddings-{review_id}").start()


def _child_environment() -> dict[str, str]:
    """This process's settings, database and model for the child, whatever the environment
    said when this process started (a test's database, a setting changed in code)."""
    database = connections["default"].settings_dict
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev"),
        "EMBEDDING_MODEL": str(model_path() or ""),
        "EMBEDDING_CACHE_DIR": str(settings.EMBEDDING_CACHE_DIR),
    }
    if database["ENGINE"].endswith("postgresql"):
        user = database.get("USER") or ""
        password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
        host = f"{database.get('HOST') or '127.0.0.1'}:{database.get('PORT') or 5432}"
        environment["DATABASE_URL"] = f"postgres://{user}{password}@{host}/{database['NAME']}"
    elif database["ENGINE"].endswith("sqlite3"):
        environment["DATABASE_URL"] = f"sqlite:///{database['NAME']}"
    return environment


# --- Reading, for a retrain ------------------------------------------------------------------


def matrix_for(review: Review, reference_ids: np.ndarray) -> np.ndarray | None:
    """The vectors of these references (rows in their order) mapped from a file on disk, or
    None while any is missing (the retrain then asks for them and ranks without)."""
    path = model_path()
    if path is None:
        return None
    try:
        key = model_key(path)
    except EmbeddingModelMissing:
        log.warning("PRIORITISATION_EMBEDDING_MODEL names %s, which holds no model", path)
        return None
    ids_digest = hashlib.blake2b(reference_ids.tobytes(), digest_size=12).hexdigest()
    model_digest = hashlib.blake2b(key.encode(), digest_size=6).hexdigest()
    folder = Path(settings.EMBEDDING_CACHE_DIR)
    file = folder / f"review-{review.pk}-{model_digest}-{ids_digest}.npy"
    if not file.exists() and not _write(file, key, reference_ids):
        return None
    return np.load(file, mmap_mode="r")


def _write(file: Path, key: str, reference_ids: np.ndarray) -> bool:
    rows = dict(
        Embedding.objects.filter(model=key, reference_id__in=reference_ids.tolist()).values_list(
            "reference_id", "vector"
        )
    )
    if len(rows) < len(reference_ids):
        return False
    width = len(bytes(next(iter(rows.values())))) // 4
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part")
    matrix = np.lib.format.open_memmap(
        partial, mode="w+", dtype="<f4", shape=(len(reference_ids), width)
    )
    for row, pk in enumerate(reference_ids.tolist()):
        matrix[row] = np.frombuffer(bytes(rows[pk]), dtype="<f4")
    matrix.flush()
    del matrix
    os.replace(partial, file)  # whole or not at all: a reader never sees half a file
    for old in file.parent.glob(f"{file.name.rsplit('-', 1)[0]}-*.npy"):
        if old != file:
            old.unlink(missing_ok=True)  # this review's vectors for an older set of records
    return True
