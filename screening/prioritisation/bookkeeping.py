"""What a decision or an import does to the ranking: count the decision, ask for a retrain when
one is due (once, whoever asks first), and read a reference's place in the order for the log.
No scikit-learn here: the retrain itself is a task (retrain.py), asked for by name."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from screening import dispatch
from screening.constants import Stage
from screening.models import Ranking, Review
from screening.prioritisation.config import retrain_every

TA = Stage.TITLE_ABSTRACT

# A request older than this is taken to be lost (a killed worker or process) and may be made
# again: well over a retrain at 25,000 records with its features fitted afresh (~20 s).
STALE_REQUEST_SECONDS = 120


def ranking_of(review: Review, stage: str = TA) -> Ranking | None:
    return Ranking.objects.in_review(review).filter(stage=stage).first()


def ranking_dispatch(review_id: int, stage: str = TA) -> None:
    """Start a retrain the way this deployment can: RANKING_RETRAIN is "auto" (a Celery task
    with a broker, else a thread), "inline" (now, in this process: tests and benchmarks) or
    "off"."""
    mode = settings.RANKING_RETRAIN
    if mode == "off":
        return
    # Beside, not a daemon: a command that imports (load_demo) waits for it before exiting
    # rather than kill it and leave the request hanging.
    dispatch.enqueue(dispatch.RANKING_RETRAIN, review_id, stage, now=mode == "inline", beside=True)


def ranking_request(review: Review, stage: str = TA) -> bool:
    """Ask for a retrain after this transaction commits, unless one is already on its way
    (a request older than STALE_REQUEST_SECONDS is taken to be lost with its worker)."""
    if stage != TA or not review.prioritise:
        return False
    claimed = _claim_request(review, stage)
    if claimed:
        transaction.on_commit(lambda: ranking_dispatch(review.pk, stage))
    return claimed


def _claim_request(review: Review, stage: str) -> bool:
    """Mark a retrain as requested unless one is already on its way. One UPDATE when the row
    exists (it never reads the row, whose order can run to megabytes); the row is made on the
    first request."""
    now = timezone.now()
    stale = now - timezone.timedelta(seconds=STALE_REQUEST_SECONDS)
    unclaimed = (
        Ranking.objects.in_review(review)
        .filter(stage=stage)
        .filter(Q(requested_at__isnull=True) | Q(requested_at__lt=stale))
    )
    if unclaimed.update(requested_at=now):
        return True
    if Ranking.objects.in_review(review).filter(stage=stage).exists():
        return False  # a request is on its way
    _, created = Ranking.objects.get_or_create(
        review=review, stage=stage, defaults={"requested_at": now}
    )
    return created or bool(unclaimed.update(requested_at=now))  # made by another meanwhile


def ranking_for_decision(review: Review, stage: str) -> Ranking | None:
    """The ranking a decision at `stage` is recorded against: None in random order."""
    if stage != TA or not review.prioritise:
        return None
    return ranking_of(review, stage)


def ranking_place(ranking: Ranking | None, reference_id: int) -> tuple[int | None, int | None]:
    """The model version that ranks the reference and its 1-based place, for the decision
    log; (None, None) when it was not ranked (random order)."""
    if ranking is None or not ranking.version:
        return None, None
    position = ranking.position_of(reference_id)
    return (ranking.version, position) if position else (None, None)


def ranking_count_decision(review: Review, stage: str, ranking: Ranking | None) -> None:
    """Count a decision at the stage and ask for a retrain when one is due.

    `ranking` was read early in the decision's transaction, before its vote was written, and a
    retrain may have finished since: whether a request is on its way is read again after the
    count, never taken from that copy. The count's UPDATE locks the row until the decision
    commits, so either the retrain's _finish (one UPDATE of the same row) came first, and the
    row read here shows no request (this decision asks for one), or it comes after, and sees
    this decision in `decisions_since` (it asks again itself). Trusting the early copy lost the
    request: a retrain that ended in between, having seen neither this vote nor its count, left
    nothing on its way, and this decision, seeing its stale `requested_at`, asked for nothing."""
    if stage != TA or not review.prioritise:
        return
    fresh = ranking is None
    if fresh:
        # No row when the decision began. Counted like any other: another first decision may
        # hold the request, and a retrain that ran before this one committed must ask again.
        ranking, _ = Ranking.objects.get_or_create(review=review, stage=stage)
    Ranking.objects.filter(pk=ranking.pk).update(decisions_since=F("decisions_since") + 1)
    if fresh or _request_pending(ranking):
        # The early copy can be stale in this direction only (a retrain cleared the request
        # since): read the row again rather than trust it.
        ranking.refresh_from_db(
            fields=["requested_at", "decisions_since", "trained_at", "includes", "excludes"]
        )
    else:
        # No request was on its way: a retrain since then only lowered the count and moved
        # trained_at on, so the copy errs towards asking, and ranking_request's claim is safe
        # to repeat. One statement fewer on every decision between retrains.
        ranking.decisions_since += 1
    if not _request_pending(ranking) and _due(ranking, ranking.decisions_since):
        ranking_request(review, stage)


def _request_pending(ranking: Ranking) -> bool:
    """A retrain is on its way (it asks again when it ends, if need be: retrain._finish)."""
    return bool(ranking.requested_at) and (
        (timezone.now() - ranking.requested_at).total_seconds() < STALE_REQUEST_SECONDS
    )


def _due(ranking: Ranking, decisions: int) -> bool:
    """Whether `decisions` since the last training call for another: never trained yet,
    RANKING_RETRAIN_EVERY of them (every one during the warm-up), or RANKING_RETRAIN_SECONDS
    since the last training."""
    if ranking.trained_at is None:
        return True
    every = retrain_every(ranking.includes + ranking.excludes, settings.RANKING_RETRAIN_EVERY)
    elapsed = (timezone.now() - ranking.trained_at).total_seconds()
    return decisions >= every or elapsed >= settings.RANKING_RETRAIN_SECONDS
