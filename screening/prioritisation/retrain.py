"""Prioritisation in the app: what the model learns from, when it retrains, and where the
result goes.

A decision bumps a counter on the review's Ranking row; after RANKING_RETRAIN_EVERY decisions
(every decision during the warm-up, config.WARM_UP), or RANKING_RETRAIN_SECONDS since the last
training (whichever comes first), the decision asks for a retrain once its transaction
commits: a Celery task when there is a broker, a background thread when there is none
(make run). The retrain never takes the review lock: it reads the
decisions as they stand, fits the model and writes the new order with one UPDATE, so a decision
never waits for it and one made while it runs counts towards the next.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from references.models import Reference
from screening.constants import ItemState, Stage, Verdict
from screening.models import Ranking, Review, ScreeningItem, Vote
from screening.models.ranking import pack_ids
from screening.prioritisation import chooser, embeddings, model, rankers
from screening.prioritisation.bookkeeping import _due, ranking_request
from screening.prioritisation.config import can_train
from screening.prioritisation.estimate import estimate_from_scores

log = logging.getLogger(__name__)
TA = Stage.TITLE_ABSTRACT
FEATURE_CACHE_SIZE = 4  # reviews whose features a process keeps in memory
ESTIMATE_EVERY_FROM = 1_000  # labelled records ...
ESTIMATE_EVERY = 5  # ... from which the estimate is refreshed at every 5th retrain


# --- What the model learns from ----------------------------------------------------------------


@dataclass
class TrainingData:
    reference_ids: np.ndarray  # every record at the stage, sorted (the feature rows)
    labelled: dict[int, int]  # reference id -> 1 relevant, 0 not
    waiting: list[int]  # the records to rank

    @property
    def can_train(self) -> bool:
        return can_train(list(self.labelled.values()))


def training_data(review: Review, stage: str = TA) -> TrainingData:
    """Two queries. A record is relevant if it moved on (or a reviewer voted include or maybe
    on it), irrelevant if excluded. With blind dual screening the model learns only from
    records both reviewers have voted on: ranking the first reviewer's includes first would
    tell the second how the first voted."""
    items = list(
        ScreeningItem.objects.in_review(review)
        .filter(stage=stage)
        .exclude(state__in=[ItemState.REMOVED, ItemState.AUTOMATED])
        .values_list("pk", "reference_id", "state")
    )
    blind = review.blind and review.reviewers_required(stage) > 1
    votes: dict[int, list[str]] = {}
    for item_id, verdict in (
        Vote.objects.in_review(review).filter(stage=stage).values_list("item_id", "verdict")
    ):
        votes.setdefault(item_id, []).append(verdict)
    labelled, waiting = {}, []
    for item_id, reference_id, state in items:
        if state in ItemState.pending():
            waiting.append(reference_id)
        if state == ItemState.INCLUDED:
            labelled[reference_id] = 1
        elif state == ItemState.EXCLUDED:
            labelled[reference_id] = 0
        elif item_id in votes and not (blind and state == ItemState.AWAITING_SECOND):
            labelled[reference_id] = int(any(v != Verdict.EXCLUDE for v in votes[item_id]))
    ids = np.array(sorted(reference_id for _, reference_id, _ in items), dtype=np.int64)
    return TrainingData(ids, labelled, waiting)


_features: OrderedDict[tuple[int, str], tuple] = OrderedDict()
_features_lock = threading.Lock()


def features_for(review: Review, reference_ids: np.ndarray) -> rankers.Features:
    """The feature sets of these records (rows in the order of the sorted ids). The TF-IDF
    and its LSA are fitted once per set of records (an import or a merge changes the set) and
    kept in this process; the sentence embeddings, if the deployment has a model, are a file
    mapped from disk (embeddings.matrix_for), asked for in the background while missing."""
    key = (review.pk, hashlib.blake2b(reference_ids.tobytes(), digest_size=16).hexdigest())
    with _features_lock:
        cached = _features.get(key)
        if cached is not None:
            _features.move_to_end(key)
    if cached is None:
        texts = {
            pk: model.record_text(title, abstract, " ".join([*keywords, *mesh]))
            for pk, title, abstract, keywords, mesh in Reference.objects.filter(
                pk__in=reference_ids.tolist()
            ).values_list("pk", "title", "abstract", "keywords", "mesh_terms")
        }
        tfidf = model.features([texts.get(int(pk), "") for pk in reference_ids])
        cached = (tfidf, rankers.lsa_of(tfidf))
        with _features_lock:
            _features[key] = cached
            while len(_features) > FEATURE_CACHE_SIZE:
                _features.popitem(last=False)
    embedding = embeddings.matrix_for(review, reference_ids)
    if embedding is None and embeddings.model_path() is not None:
        embeddings.embeddings_request(review)
    return rankers.Features(*cached, embedding=embedding)


# --- Retraining ----------------------------------------------------------------------------------


def ranking_retrain(*, review_id: int, stage: str = TA) -> Ranking | None:
    """Fit the chosen ranker on the decisions so far and store the new order of the waiting
    records. Does nothing (but clear the request) while the review has too few decisions to
    learn from or has prioritisation switched off."""
    review = Review.objects.filter(pk=review_id).first()
    if review is None:
        return None
    ranking, _ = Ranking.objects.get_or_create(review=review, stage=stage)
    seen = ranking.decisions_since  # what this training accounts for
    data = training_data(review, stage)
    if not review.prioritise or not data.can_train or not data.waiting:
        return _finish(review, ranking, seen)
    started = time.perf_counter()
    features = features_for(review, data.reference_ids)
    row_of = {int(pk): row for row, pk in enumerate(data.reference_ids)}
    labelled = [row_of[pk] for pk in data.labelled]
    labels = list(data.labelled.values())
    candidates = [row_of[pk] for pk in data.waiting]
    # Credit the rankers with the last order's records screened since, then let them share
    # the new order's first places by their record (chooser.py).
    record = chooser.credit(
        chooser.Record.from_json(ranking.ranker_record.get("record")),
        ranking.ids.tolist(),
        bytes(ranking.order_credit or b""),
        data.labelled,
    )
    unlabelled = {row_of[pk] for pk in data.waiting if pk not in data.labelled}
    queue, scores = chooser.ranked_queue(
        features,
        labelled,
        labels,
        candidates,
        record,
        np.random.default_rng([review.pk, ranking.version + 1]),
        screened=len(labels),
        creditable=unlabelled,
    )
    order = [int(data.reference_ids[row]) for row in queue.order]
    unscreened = [i for i, pk in enumerate(data.waiting) if pk not in data.labelled]
    estimated = {}
    if estimate_due(len(labels), ranking.version + 1):
        left = _estimate(features, queue.leader, labelled, labels, scores[queue.leader][unscreened])
        estimated = {
            "estimate_left": left.left if left else None,
            "estimate_left_low": left.left_low if left else None,
            "estimate_left_high": left.left_high if left else None,
        }
    includes = sum(labels)
    return _finish(
        review,
        ranking,
        seen,
        version=F("version") + 1,
        order=pack_ids(order),
        order_credit=queue.masks,
        trained_at=timezone.now(),
        train_seconds=time.perf_counter() - started,
        includes=includes,
        excludes=len(labels) - includes,
        ranker=queue.leader,
        ranker_record={"record": record.as_json(), "picks": queue.picks},
        error="",
        **estimated,
    )


def estimate_due(labelled: int, version: int) -> bool:
    """Whether this retrain refreshes the estimate of relevant records left. Its out-of-fold
    scores cost three more fits: at every retrain while fewer than ESTIMATE_EVERY_FROM
    records are labelled, then at every ESTIMATE_EVERY-th (the page shows the last one, at
    most some 25 decisions old), so that a retrain stays under a second at 25,000 records
    (bench/prioritisation.py)."""
    return labelled < ESTIMATE_EVERY_FROM or version % ESTIMATE_EVERY == 0


def _estimate(features, ranker, labelled, labels, unscreened_scores):
    """Relevant records left among the unscreened, with an interval: the scores mapped to
    probabilities by a calibration fitted on scores the model gave records it had not seen
    (out of fold), so that it does not lean low as an in-sample fit does."""
    if not len(unscreened_scores):
        return None
    if min(sum(labels), len(labels) - sum(labels)) >= 2:
        calibrated_on = rankers.out_of_fold(features, ranker, labelled, labels)
    else:  # one decision of a kind cannot be held out: in-sample, leaning low, until a second
        calibrated_on = rankers.scores(features, ranker, labelled, labels, labelled)
    return estimate_from_scores(calibrated_on, labels, unscreened_scores, found=sum(labels))


def _finish(review: Review, ranking: Ranking, seen: int, **fields) -> Ranking:
    """Write the result and clear the request; the decisions made while this ran still count.
    If they are enough for another retrain, ask for it now: their own requests were turned
    away while this one was on its way."""
    Ranking.objects.filter(pk=ranking.pk).update(
        decisions_since=Greatest(F("decisions_since") - seen, 0), requested_at=None, **fields
    )
    ranking.refresh_from_db()
    if review.prioritise and ranking.decisions_since and _due(ranking, ranking.decisions_since):
        ranking_request(review, ranking.stage)
    return ranking


def ranking_retrain_safely(review_id: int, stage: str = TA) -> None:
    """For the thread and the task: a failure is logged and kept on the row, never raised into
    a page (the queue then carries on with the last good order)."""
    try:
        ranking_retrain(review_id=review_id, stage=stage)
    except Exception as error:  # noqa: BLE001 - anything the model raises
        log.exception("Retraining the ranking of review %s failed", review_id)
        Ranking.objects.filter(review_id=review_id, stage=stage).update(
            requested_at=None, error=f"{type(error).__name__}: {error}"[:2000]
        )
