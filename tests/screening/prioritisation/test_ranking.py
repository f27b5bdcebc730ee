"""Prioritisation: the metrics, the replay command on a hand-checkable dataset, the ranked
queue (never a reference twice, dual screening, flat query count), the decision log's record
of the order, the switch, and the background retrain."""

import json
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from screening import dispatch
from screening.constants import Role, Stage
from screening.decisions.queue import next_item
from screening.decisions.review_settings import review_settings_update
from screening.decisions.services import decision_record
from screening.identification.imports import references_import, source_get_or_create
from screening.models import Decision, Membership, Ranking
from screening.prioritisation import metrics
from screening.prioritisation.retrain import ranking_retrain, training_data
from screening.prisma.counts import prisma_report
from screening.prisma.text import methods_paragraph
from screening.reviews.services import review_create

TA = Stage.TITLE_ABSTRACT
RELEVANT = "Ivonescimab bispecific antibody trial {i} in non-small cell lung cancer"
RELEVANT_AB = "A phase 3 trial of ivonescimab, a PD-1 and VEGF antibody, in lung cancer."
IRRELEVANT = "Sourdough bread baking note {i}"
IRRELEVANT_AB = "Oven temperature, flour and yeast in home bread baking recipes."


# --- Metrics, by hand -------------------------------------------------------------------------

# Ten records in screening order, three relevant (at positions 1, 3 and 6).
ORDER = [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]


def test_the_metrics_are_the_ones_a_hand_computation_gives():
    # 95% of 3 relevant is 2.85: all 3 are needed, the third at position 6.
    assert metrics.n_to_recall(ORDER, 0.95) == 6
    assert metrics.wss(ORDER, 0.95) == pytest.approx((10 - 6) / 10 - 0.05)
    # 7 irrelevant records, 4 of them after position 6.
    assert metrics.tnr(ORDER, 0.95) == pytest.approx(4 / 7)
    # 10% of 10 records is 1 read, which is relevant: 1 of 3.
    assert metrics.recall_after(ORDER, 0.10) == pytest.approx(1 / 3)
    assert metrics.average_time_to_discovery(ORDER) == pytest.approx((1 + 3 + 6) / 3 / 10)
    assert metrics.n_to_recall(ORDER, 1.0) == 6
    assert metrics.n_to_recall([0, 0, 1, 1], 0.5) == 3


def test_a_worse_order_scores_worse():
    reversed_order = list(reversed(ORDER))
    assert metrics.wss(reversed_order) < metrics.wss(ORDER)
    assert metrics.average_time_to_discovery(reversed_order) > metrics.average_time_to_discovery(
        ORDER
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_simulate_screening_gives_the_hand_computed_figures(data_path, capsys, seed):
    """two_topics.csv: 20 records, 6 relevant (one drug in lung cancer) and 14 about baking.
    After one relevant and one irrelevant prior, 18 records are left, 5 relevant, and the
    model should put those 5 first: 95% recall needs all 5 (4.75 rounds up), so n95 = n100 =
    5, WSS@95 = 13/18 - 0.05, TNR@95 = 13/13, recall after 2 records (10% of 18, rounded up)
    2/5, average time to discovery (1+2+3+4+5)/5/18."""
    call_command("simulate_screening", str(data_path / "labelled/two_topics.csv"),
                 "--seed", str(seed), "--json")  # fmt: skip
    figures = json.loads(capsys.readouterr().out)
    assert figures["records"] == 18 and figures["relevant"] == 5
    assert figures["n_95"] == 5 and figures["n_100"] == 5
    assert figures["wss_95"] == round(100 * (13 / 18 - 0.05), 2)
    assert figures["tnr_95"] == 100.0
    assert figures["recall_10"] == 40.0
    assert figures["atd"] == round(100 * 3 / 18, 2)
    assert figures["retrains"] > 0 and figures["retrain_ms_mean"] > 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"title,abstract\nA,B\n", "no label column"),
        (b"", "no records"),
        (b"title,abstract,included\nA,B,yes\n", "line 2: the label is 'yes', not 0 or 1"),
        (b"title,abstract,included\nA,B,1\nC,D,1\n", "needs both relevant and irrelevant"),
        (b"\x89PNG\r\n\x1a\n\xff\xfe", "not a CSV text file in UTF-8"),
    ],
)
def test_simulate_screening_says_what_is_wrong_with_a_file(tmp_path, content, message):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("simulate_screening", str(bad))


# --- The ranked queue ----------------------------------------------------------------------------


def ris(relevant: int, irrelevant: int, start: int = 1) -> str:
    entries = []
    for i in range(start, start + relevant + irrelevant):
        title, abstract = (
            (RELEVANT.format(i=i), RELEVANT_AB)
            if i - start < relevant
            else (IRRELEVANT.format(i=i), IRRELEVANT_AB)
        )
        entries.append(f"TY  - JOUR\nTI  - {title}\nAB  - {abstract}\nPY  - 2024\nER  - \n")
    return "\n".join(entries)


@pytest.fixture
def topics(review, import_text):
    """A review of 10 relevant and 30 irrelevant records; the first two decisions (one of
    each) are enough for the model to start."""
    review.reviewers_title_abstract = 1
    review.save()
    import_text(ris(10, 30))
    return review


def _reference(review, title_start: str):
    return (
        review.items.filter(stage=TA, reference__title__startswith=title_start)
        .select_related("reference")
        .first()
        .reference
    )


def _prime(review, who):
    """One relevant and one irrelevant decision, then a retrain (as the background would)."""
    decision_record(review=review, reference=_reference(review, "Ivonescimab"), stage=TA,
                    reviewer=who, verdict="include")  # fmt: skip
    decision_record(review=review, reference=_reference(review, "Sourdough"), stage=TA,
                    reviewer=who, verdict="exclude")  # fmt: skip
    return ranking_retrain(review_id=review.pk)


def test_after_a_few_decisions_the_relevant_records_come_first(topics, owner):
    ranking = _prime(topics, owner)
    assert ranking.version == 1 and (ranking.includes, ranking.excludes) == (1, 1)
    served = []
    for _ in range(9):
        item = next_item(topics, owner, TA)
        served.append(item.reference.title)
        decision_record(review=topics, reference=item.reference, stage=TA, reviewer=owner,
                        verdict="include")  # fmt: skip
    assert all(title.startswith("Ivonescimab") for title in served), served
    # The model's estimate of relevant records left is a number of records, not a score.
    ranking = Ranking.objects.get(review=topics)
    assert (
        0 <= ranking.estimate_left_low <= ranking.estimate_left <= ranking.estimate_left_high <= 38
    )


def test_decisions_record_the_model_version_and_rank_that_served_them(topics, owner):
    first = Decision.objects.none()
    _prime(topics, owner)
    item = next_item(topics, owner, TA)
    first = decision_record(review=topics, reference=item.reference, stage=TA, reviewer=owner,
                            verdict="include")  # fmt: skip
    assert (first.ranking_version, first.ranking_position) == (1, 1)
    before = Decision.objects.filter(review=topics).order_by("id")[:2]
    assert [(d.ranking_version, d.ranking_position) for d in before] == [(None, None)] * 2


def test_the_ranked_queue_never_serves_a_reference_twice_to_a_reviewer(topics, owner, reviewer):
    topics.reviewers_title_abstract = 2
    topics.save()
    _prime(topics, owner)
    for who in (owner, reviewer):
        seen = []
        while (item := next_item(topics, who, TA)) is not None:
            assert item.reference_id not in seen
            seen.append(item.reference_id)
            decision_record(review=topics, reference=item.reference, stage=TA, reviewer=who,
                            verdict="exclude")  # fmt: skip
            if len(seen) % 7 == 0:
                ranking_retrain(review_id=topics.pk)  # the order changes under the reviewer
        # Dual screening: each reviewer sees every record they have not voted on, once.
        expected = 40 - (2 if who == owner else 0)
        assert len(seen) == expected
    assert not topics.items.filter(stage=TA, waiting=True).exists()


def test_the_ranked_queue_and_the_review_home_cost_the_same_queries_at_any_size(
    review, import_text, owner, client_owner
):
    review.reviewers_title_abstract = 1
    review.save()
    import_text(ris(5, 15), name="small.ris")
    _prime(review, owner)

    def queries(call):
        with CaptureQueriesContext(connection) as captured:
            assert call()
        return len(captured.captured_queries)

    def queue():
        return next_item(review, owner, TA) is not None

    def home():
        return client_owner.get(review.get_absolute_url()).status_code == 200

    small = queries(queue), queries(home)
    import_text(ris(100, 400, start=100), name="big.ris", source="Scopus")
    ranking_retrain(review_id=review.pk)
    assert len(Ranking.objects.get(review=review).ids) == 518
    # The queue: the orders, a chunk of the ranking, the reference.
    assert (queries(queue), queries(home)) == small and small[0] == 3


def test_switched_off_the_queue_is_random_and_the_methods_say_so(topics, owner):
    _prime(topics, owner)
    review_settings_update(review=topics, user=owner, prioritise=False)
    item = next_item(topics, owner, TA)
    decision = decision_record(review=topics, reference=item.reference, stage=TA,
                               reviewer=owner, verdict="exclude")  # fmt: skip
    assert decision.ranking_version is None
    text = methods_paragraph(topics, prisma_report(topics))
    assert "Titles and abstracts were screened in a random order." in text
    review_settings_update(review=topics, user=owner, prioritise=True)
    for _ in range(3):
        item = next_item(topics, owner, TA)
        decision_record(review=topics, reference=item.reference, stage=TA, reviewer=owner,
                        verdict="exclude")  # fmt: skip
    text = methods_paragraph(topics, prisma_report(topics))
    assert "in order of predicted relevance" in text
    assert "3 of 6 decisions were made on records the model had ranked" in text
    # The rankers that shared the queue are named (no embedding model here).
    assert "a linear support vector machine on each of 2 feature sets (TF-IDF of word" in text
    assert "1- to 2-grams and the same with its latent semantic analysis), one of which" in text
    assert "the others were tried on 10% of the places each" in text
    assert "(TF-IDF alone for the first 300 records)" in text


def test_blind_dual_screening_learns_only_from_records_both_have_voted_on(
    review, import_text, owner, reviewer
):
    import_text(ris(3, 3))
    include = _reference(review, "Ivonescimab")
    decision_record(review=review, reference=include, stage=TA, reviewer=owner, verdict="include")
    assert training_data(review).labelled == {}
    decision_record(review=review, reference=include, stage=TA, reviewer=reviewer,
                    verdict="include")  # fmt: skip
    assert training_data(review).labelled == {include.pk: 1}
    review.blind = False
    review.save()
    exclude = _reference(review, "Sourdough")
    decision_record(review=review, reference=exclude, stage=TA, reviewer=owner, verdict="exclude")
    assert training_data(review).labelled == {include.pk: 1, exclude.pk: 0}


# --- Retraining in the background ------------------------------------------------------------


def _ranking_beside_a_writer(review) -> Ranking | None:
    """The ranking row, or None while the retrain thread holds SQLite's table lock (the test
    database is one in-memory database shared by both threads' connections, and SQLite answers
    "table is locked" at once rather than wait, as PostgreSQL would)."""
    try:
        return Ranking.objects.get(review=review)
    except OperationalError as error:
        if "locked" not in str(error):
            raise
        return None


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_decisions_retrain_the_model_in_a_background_thread(
    settings, owner, tmp_path
):
    review = review_create(slug="threaded", title="Threaded", owner=owner)
    review_settings_update(review=review, user=owner, reviewers_title_abstract=1)
    source = source_get_or_create(review=review, name="Embase", kind="database", user=owner)
    path = tmp_path / "threaded.ris"
    path.write_text(ris(5, 10))
    references_import(review=review, source=source, path=path, file_name="t.ris", user=owner)
    # Inline so far (the test settings): the second decision's commit retrains, then _prime.
    before = _prime(review, owner).version
    assert before == 2

    settings.RANKING_RETRAIN = "auto"  # and no broker in these tests: a thread
    Ranking.objects.filter(review=review).update(requested_at=None)
    item = next_item(review, owner, TA)
    decision_record(
        review=review, reference=item.reference, stage=TA, reviewer=owner, verdict="exclude"
    )  # fmt: skip  (commits: this test is transactional)
    deadline = time.monotonic() + 120  # a cold scikit-learn import on a busy machine is slow
    while (ranking := _ranking_beside_a_writer(review)) is None or ranking.version == before:
        assert time.monotonic() < deadline, "no retrain within 120 s"
        time.sleep(0.05)
    # The retrain thread may still be closing its connection: let it end before the test's
    # database is flushed (SQLite's shared in-memory database is locked while it writes).
    for thread in threading.enumerate():
        if thread.name.startswith(dispatch.RANKING_RETRAIN):
            thread.join(timeout=120)
    assert ranking.requested_at is None and ranking.error == ""
    assert ranking.excludes == 2  # it learnt from the new decision
    assert item.reference_id not in ranking.ids.tolist()


def test_members_can_see_the_order_in_use_on_the_review_home(client_owner, topics, owner):
    page = client_owner.get(topics.get_absolute_url()).content.decode()
    assert "Records are served in a random order until the review has" in page
    _prime(topics, owner)
    page = client_owner.get(topics.get_absolute_url()).content.decode()
    assert "Records are served most likely relevant first: model version 1" in page
    assert "<svg" in page and "records since the last relevant one" in page
    # Include, then exclude: one record screened since the last relevant one.
    assert '<span class="n" id="aid-since">1</span>' in page
    # The estimate comes with its interval, and as recall with a word of caution.
    ranking = Ranking.objects.get(review=topics)
    low, high = ranking.estimate_left_low, ranking.estimate_left_high
    assert f"95% interval {low:.0f} to {high:.0f}" in page
    assert 'id="aid-recall"' in page and "the random-sample test below is what allows" in page


def test_a_viewer_sees_the_panel_but_no_stopping_form(topics, client_outsider, outsider):
    Membership.objects.create(review=topics, user=outsider, role=Role.VIEWER)
    topics.blind = False
    topics.save(update_fields=["blind"])
    page = client_outsider.get(topics.get_absolute_url()).content.decode()
    assert "Stopping rule" in page and 'id="stopping-draw"' not in page


def test_under_blind_screening_a_viewer_gets_no_stopping_figures(topics, client_outsider, outsider):
    # The figures count includes before their second vote: blind screening keeps them from
    # those who do not see every vote.
    Membership.objects.create(review=topics, user=outsider, role=Role.VIEWER)
    page = client_outsider.get(topics.get_absolute_url()).content.decode()
    assert 'id="stopping-aid-blind"' in page
    assert "Stopping rule" not in page and 'id="aid-found"' not in page


def test_on_a_large_review_the_estimate_is_refreshed_every_few_retrains(topics, owner, monkeypatch):
    from screening.prioritisation import retrain

    first = _prime(topics, owner)
    assert first.estimate_left is not None
    kept = (first.estimate_left, first.estimate_left_low, first.estimate_left_high)
    # As if 1,000 records were labelled: refreshed only at every 3rd version.
    monkeypatch.setattr(retrain, "ESTIMATE_EVERY_FROM", 0)
    monkeypatch.setattr(retrain, "ESTIMATE_EVERY", 3)
    assert [retrain.estimate_due(5000, v) for v in (2, 3, 4, 6)] == [False, True, False, True]
    for version in (2, 3):
        item = next_item(topics, owner, TA)
        decision_record(review=topics, reference=item.reference, stage=TA, reviewer=owner,
                        verdict="include")  # fmt: skip
        ranking = ranking_retrain(review_id=topics.pk)
        assert ranking.version == version
        now = (ranking.estimate_left, ranking.estimate_left_low, ranking.estimate_left_high)
        if version == 2:
            assert now == kept  # not due: the last estimate stands
        else:
            assert now != kept  # due, with two more relevant records found
