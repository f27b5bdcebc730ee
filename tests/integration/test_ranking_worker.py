"""Retraining off the request: by a real Celery worker through Redis, and never in the way of
a decision (PostgreSQL: the retrain takes no lock a decision needs)."""

import threading

import pytest
from django.db import connections

from screening.constants import Stage
from screening.decisions.queue import next_item
from screening.decisions.review_settings import review_settings_update
from screening.decisions.services import decision_record
from screening.models import Decision, Ranking, Vote
from screening.prioritisation import rankers
from screening.prioritisation.retrain import ranking_retrain
from tests.integration.conftest import wait_until
from tests.screening.prioritisation.test_ranking import ris

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
TA = Stage.TITLE_ABSTRACT


def _first_two(review, who):
    """One include and one exclude (enough for the model to start)."""
    for verdict in ("include", "exclude"):
        item = next_item(review, who, TA)
        title = "Ivonescimab" if verdict == "include" else "Sourdough"
        reference = review.items.filter(stage=TA, waiting=True, reference__title__startswith=title)
        reference = reference.select_related("reference").first().reference
        decision_record(review=review, reference=reference, stage=TA, reviewer=who,
                        verdict=verdict)  # fmt: skip
        assert item is not None


def test_a_real_worker_retrains_the_ranking_after_decisions(
    celery_workers, settings, review, owner, import_text
):
    settings.RANKING_RETRAIN = "auto"  # the broker is the fixture's: a task
    review_settings_update(review=review, user=owner, reviewers_title_abstract=1)
    import_text(ris(5, 20))  # its request for a ranking goes to the worker (none yet: no labels)
    worker = celery_workers.start()
    Ranking.objects.filter(review=review).update(requested_at=None)
    _first_two(review, owner)
    ranking = wait_until(
        lambda: Ranking.objects.filter(review=review, version__gt=0).first(),
        timeout=60,
        what="the worker to retrain the ranking",
    )
    assert (ranking.includes, ranking.excludes) == (1, 1) and ranking.error == ""
    wait_until(lambda: "ranking_retrain_task" in worker.log(), timeout=15,
               what="the worker to log the retrain task")  # fmt: skip


def test_a_decision_made_while_a_retrain_runs_is_neither_blocked_nor_lost(
    settings, review, owner, import_text, monkeypatch
):
    settings.RANKING_RETRAIN = "off"  # this test runs the retrain itself
    review_settings_update(review=review, user=owner, reviewers_title_abstract=1)
    import_text(ris(5, 20))
    _first_two(review, owner)
    ranking_retrain(review_id=review.pk)

    # The next retrain stops inside the model fit until the test lets it go on.
    fitting, release = threading.Event(), threading.Event()
    real_scores = rankers.scores

    def paused_scores(*args, **kwargs):
        fitting.set()
        assert release.wait(timeout=60)
        return real_scores(*args, **kwargs)

    monkeypatch.setattr(rankers, "scores", paused_scores)
    result = {}

    def retrain():
        try:
            result["ranking"] = ranking_retrain(review_id=review.pk)
        finally:
            connections.close_all()

    thread = threading.Thread(target=retrain)
    thread.start()
    assert fitting.wait(timeout=30), "the retrain did not reach the model fit"

    # Mid-retrain: the decision goes through at once (the retrain holds no lock it needs).
    item = next_item(review, owner, TA)
    decision = decision_record(review=review, reference=item.reference, stage=TA,
                               reviewer=owner, verdict="exclude")  # fmt: skip
    assert Ranking.objects.get(review=review).decisions_since == 1
    release.set()
    thread.join(timeout=60)
    assert not thread.is_alive()

    # Kept, and counted towards the next retrain; the order written after it was made (from
    # data read before it) never serves that reference again.
    assert Decision.objects.filter(pk=decision.pk).exists()
    assert Vote.objects.filter(item__reference=item.reference, reviewer=owner).exists()
    ranking = Ranking.objects.get(review=review)
    assert ranking.version == result["ranking"].version == 2
    assert ranking.decisions_since == 1
    assert item.reference_id in ranking.ids.tolist()  # the retrain had read the log before
    served = set()
    while (following := next_item(review, owner, TA)) is not None:
        assert following.reference_id != item.reference_id
        assert following.reference_id not in served
        served.add(following.reference_id)
        decision_record(review=review, reference=following.reference, stage=TA,
                        reviewer=owner, verdict="exclude")  # fmt: skip
    assert len(served) == 25 - 3
