"""A retrain request is never lost between a decision and a retrain that run at the same time.

The retrain runs in a worker, apart from the decisions; a decision asks for a retrain only when
none is on its way, and a retrain that ends asks again if decisions came in while it ran. These
tests drive the two in the orders that race, deterministically: the "worker" is a queue of the
requests dispatched (after their transactions commit), run by the test at the moment it picks,
from inside a decision's transaction at the point where the real worker's commit can fall.
"""

import pytest

from screening.constants import Stage
from screening.decisions import services as decision_services
from screening.decisions.review_settings import review_settings_update
from screening.decisions.services import decision_record
from screening.models import Ranking
from screening.prioritisation import bookkeeping, retrain
from tests.screening.prioritisation.test_ranking import ris

pytestmark = pytest.mark.django_db(transaction=True)  # the requests go out on commit
TA = Stage.TITLE_ABSTRACT


class Worker:
    """The requests dispatched so far, run when the test says (as a worker would: outside the
    transaction of whoever asked, seeing only what is committed)."""

    def __init__(self):
        self.queue: list[tuple[int, str]] = []
        self.ran = 0

    def dispatch(self, review_id: int, stage: str = TA) -> None:
        self.queue.append((review_id, stage))

    def run_one(self) -> None:
        review_id, stage = self.queue.pop(0)
        self.ran += 1
        retrain.ranking_retrain_safely(review_id, stage)

    def drain(self) -> None:
        while self.queue:
            self.run_one()


@pytest.fixture
def worker(monkeypatch, settings):
    settings.RANKING_RETRAIN = "auto"  # replaced by the queue below, whatever the mode
    worker = Worker()
    monkeypatch.setattr(bookkeeping, "ranking_dispatch", worker.dispatch)
    return worker


@pytest.fixture
def ranked_review(review, owner, import_text, worker):
    review_settings_update(review=review, user=owner, reviewers_title_abstract=1)
    import_text(ris(5, 20))
    worker.drain()  # the import's request: no labels yet, nothing to learn
    ranking = Ranking.objects.get(review=review)
    assert (ranking.version, ranking.requested_at, ranking.decisions_since) == (0, None, 0)
    return review


def _decide(review, who, title: str, verdict: str):
    item = review.items.filter(stage=TA, waiting=True, reference__title__startswith=title)
    reference = item.select_related("reference").first().reference
    return decision_record(review=review, reference=reference, stage=TA, reviewer=who,
                           verdict=verdict)  # fmt: skip


def _assert_trained_on_both(review, worker):
    worker.drain()
    ranking = Ranking.objects.get(review=review)
    assert ranking.version >= 1, (
        f"no retrain after both decisions: the request was lost ({worker.ran} retrains ran, "
        f"requested_at={ranking.requested_at}, decisions_since={ranking.decisions_since})"
    )
    assert (ranking.includes, ranking.excludes) == (1, 1) and ranking.error == ""
    assert ranking.requested_at is None


def test_a_retrain_that_ends_while_a_decision_is_under_way_does_not_lose_its_request(
    ranked_review, owner, worker, monkeypatch
):
    """The interleaving seen under CI with a real worker (a retrain done in 20 ms, none after):

    1. decision 1 (include) commits: decisions_since 1, requested_at set, a request queued;
    2. decision 2 (exclude) begins and reads the Ranking row: requested_at is set;
    3. the worker runs decision 1's request: one label only, nothing to learn; it subtracts the
       decision it saw (decisions_since 0), clears requested_at and, with nothing counted
       since, asks for nothing more;
    4. decision 2 writes its vote and counts itself (decisions_since 1), and from the row it
       read in 2 believes a retrain is on its way: it asks for none.

    No request is left, and the model never learns from decision 2 until another decision."""
    review = ranked_review
    _decide(review, owner, "Ivonescimab", "include")  # 1.
    assert len(worker.queue) == 1 and Ranking.objects.get(review=review).requested_at

    real_place = decision_services.ranking_place
    interleaved = []

    def place_then_worker(ranking, reference_id):
        # 2. decision 2 has read the row (ranking_for_decision), and written nothing yet.
        assert ranking is not None and ranking.requested_at is not None
        worker.run_one()  # 3. the worker's retrain commits here
        after = Ranking.objects.get(pk=ranking.pk)
        assert (after.version, after.requested_at, after.decisions_since) == (0, None, 0)
        interleaved.append(True)
        return real_place(ranking, reference_id)

    monkeypatch.setattr(decision_services, "ranking_place", place_then_worker)
    _decide(review, owner, "Sourdough", "exclude")  # 2. and 4.
    monkeypatch.setattr(decision_services, "ranking_place", real_place)
    assert interleaved == [True]

    _assert_trained_on_both(review, worker)


def test_a_retrain_that_read_before_a_decision_and_ends_after_it_asks_again(
    ranked_review, owner, worker, monkeypatch
):
    """The other side of the hand-over: the retrain reads the decisions before decision 2
    commits and finishes after it. Decision 2 finds the request on its way and asks for none;
    the retrain, ending, must find decision 2 still counted and ask for the next one."""
    review = ranked_review
    _decide(review, owner, "Ivonescimab", "include")
    assert len(worker.queue) == 1

    real_training_data = retrain.training_data
    interleaved = []

    def read_then_decision(*args, **kwargs):
        data = real_training_data(*args, **kwargs)  # decision 1 only
        if not interleaved:
            interleaved.append(True)
            _decide(review, owner, "Sourdough", "exclude")  # commits while the retrain runs
            ranking = Ranking.objects.get(review=review)
            assert ranking.requested_at is not None and ranking.decisions_since == 2
            assert worker.queue == []  # turned away: one request at a time
        return data

    monkeypatch.setattr(retrain, "training_data", read_then_decision)
    worker.run_one()
    monkeypatch.setattr(retrain, "training_data", real_training_data)
    assert interleaved == [True]

    _assert_trained_on_both(review, worker)
