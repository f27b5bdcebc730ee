"""The rankers and the chooser that shares the queue among them (no database)."""

import numpy as np
import pytest
from scipy import sparse

from screening.prioritisation import chooser, rankers
from screening.prioritisation.model import class_weights, features
from screening.prioritisation.simulate import AUTO, priors_for, read_labelled_csv, simulate

TEXTS = [
    "drug trial in lung cancer patients",
    "lung cancer drug response trial",
    "a randomised trial of a cancer drug",
    "baking bread with sourdough",
    "the chemistry of baking cakes",
    "ovens and bread crusts",
    "sourdough starters and flour",
    "cake icing and sugar",
]
LABELS = [1, 1, 1, 0, 0, 0, 0, 0]


@pytest.fixture
def feature_sets(tmp_path):
    tfidf = features(TEXTS)
    dense = rankers.normalised(np.random.default_rng(0).normal(size=(len(TEXTS), 6)))
    path = tmp_path / "embedding.npy"
    np.save(path, dense)
    return rankers.Features(
        tfidf, lsa=rankers.lsa_of(tfidf, components=3), embedding=np.load(path, mmap_mode="r")
    )


def test_the_rankers_are_those_the_features_allow(feature_sets):
    assert feature_sets.rankers == ("tfidf", "lsa", "embedding")
    assert rankers.Features(feature_sets.tfidf).rankers == ("tfidf",)


def test_lsa_rows_are_unit_length_and_none_without_words():
    lsa = rankers.lsa_of(features(TEXTS), components=3)
    assert lsa.shape == (len(TEXTS), 3)
    assert np.allclose(np.linalg.norm(lsa, axis=1), 1, atol=1e-5)
    assert rankers.lsa_of(sparse.csr_matrix((4, 1))) is None


@pytest.mark.parametrize("ranker", ["tfidf", "lsa", "embedding"])
def test_block_scoring_is_the_classifiers_own_decision_on_the_joined_rows(
    feature_sets, ranker, monkeypatch
):
    # Scored a chunk of two rows at a time from a file mapped from disk, the values are those
    # of the classifier on the whole joined matrix.
    monkeypatch.setattr(rankers, "SCORE_CHUNK", 2)
    labelled, candidates = [0, 3, 4], [1, 2, 5, 6, 7]
    y = [LABELS[i] for i in labelled]
    classifier = rankers.fit(feature_sets, ranker, labelled, y)
    joined = feature_sets.tfidf
    if feature_sets.dense(ranker) is not None:
        dense = rankers.DENSE_WEIGHT * np.asarray(feature_sets.dense(ranker))
        joined = sparse.hstack([joined, dense], format="csr")
    expected = classifier.decision_function(joined[candidates])
    got = rankers.decision(feature_sets, ranker, classifier, candidates)
    assert np.allclose(got, expected, atol=1e-5)
    # And the relevant records score above the irrelevant ones.
    assert min(got[:2]) > max(got[2:]) or ranker != "tfidf"


def test_out_of_fold_scores_come_from_classifiers_that_did_not_see_the_record(feature_sets):
    labelled = list(range(len(TEXTS)))
    oof = rankers.out_of_fold(feature_sets, "tfidf", labelled, LABELS)
    in_sample = rankers.scores(feature_sets, "tfidf", labelled, LABELS, labelled)
    assert oof.shape == (len(TEXTS),)
    # A record seen in training scores further on its own side than one held out.
    sides = np.where(np.array(LABELS) == 1, 1, -1)
    assert (sides * in_sample).sum() > (sides * oof).sum()
    assert class_weights(np.array(LABELS))[1] > class_weights(np.array(LABELS))[0]


# --- The chooser ---------------------------------------------------------------------------


def test_credit_counts_each_rankers_picks_and_lets_older_ones_fade():
    record = chooser.Record({"tfidf": 2.0}, {"lsa": 1.0})
    tfidf, lsa, both = 0b001, 0b010, 0b011
    placed = [10, 11, 12, 13, 14]
    masks = bytes([tfidf, both, lsa, 0, tfidf])
    # 10 relevant, 11 not, 12 relevant; 13 was already screened (mask 0); 14 not yet screened.
    after = chooser.credit(record, placed, masks, {10: 1, 11: 0, 12: 1, 13: 1})
    d = chooser.DECAY
    assert after.hits["tfidf"] == pytest.approx(2 * d**3 + d**2)
    assert after.misses["tfidf"] == pytest.approx(1.0 * d)
    assert after.hits["lsa"] == pytest.approx(1.0)
    assert after.misses["lsa"] == pytest.approx(d**3 + d)
    # Where the two disagreed: 10 was tfidf's alone, 12 lsa's alone; 11 (both) says nothing
    # between them, but counts against the embedding ranker that would not have placed it.
    assert after.versus["tfidf>lsa"] == pytest.approx([d**2, 0.0])
    assert after.versus["lsa>tfidf"] == pytest.approx([1.0, 0.0])
    assert after.versus["lsa>embedding"] == pytest.approx([1.0, d])
    assert after.versus["tfidf>embedding"] == pytest.approx([d**2, d])
    assert record.hits == {"tfidf": 2.0} and record.versus == {}  # the old record is unchanged


def test_the_record_survives_its_json():
    record = chooser.Record({"lsa": 1.5}, {"tfidf": 2.0}, {"lsa>tfidf": [1.5, 0.25]}, "lsa")
    assert chooser.Record.from_json(record.as_json()) == record
    assert chooser.Record.from_json({}) == chooser.Record()  # a review ranked before


def test_the_warm_up_queue_is_the_default_rankers_alone():
    rankings = {"tfidf": [3, 1, 2, 0], "lsa": [0, 1, 2, 3], "embedding": [2, 0, 3, 1]}
    lead_lsa = chooser.Record(versus={"lsa>tfidf": [50.0, 0.0], "tfidf>lsa": [0.0, 50.0]})
    queue = chooser.interleave(rankings, lead_lsa, np.random.default_rng(1), screened=0)
    assert queue.order == [3, 1, 2, 0] and queue.picks == {"tfidf": 4, "lsa": 0, "embedding": 0}
    assert queue.leader == "tfidf"
    # The others are credited where their best record not yet placed is the one placed:
    # embedding's is 2 at the third place, and every ranker's is 0 at the last.
    assert queue.masks == bytes([0b001, 0b001, 0b101, 0b111])


def test_a_challenger_takes_the_lead_only_on_evidence_where_they_disagreed():
    names = ["tfidf", "lsa", "embedding"]
    after = chooser.WARM_UP
    # No evidence yet: the default leads.
    assert chooser.leader_for(chooser.Record(), names, screened=after) == "tfidf"
    # lsa's own picks were relevant 30 times in 40, tfidf's where lsa disagreed 10 in 40.
    better = chooser.Record(versus={"lsa>tfidf": [30.0, 10.0], "tfidf>lsa": [10.0, 30.0]})
    assert chooser.chance_better(better, "lsa", "tfidf") > 0.99
    assert chooser.leader_for(better, names, screened=after) == "lsa"
    assert chooser.leader_for(better, names, screened=after - 1) == "tfidf"  # the warm-up
    # A ranker never tried on its own is not favoured because the leader's picks are poor.
    untried = chooser.Record(versus={"tfidf>lsa": [2.0, 98.0]})
    assert chooser.leader_for(untried, names, screened=after) == "tfidf"
    # The lead is kept while the evidence is even, whoever holds it.
    even = chooser.Record(versus={"lsa>tfidf": [5.0, 20.0], "tfidf>lsa": [5.0, 20.0]})
    assert chooser.leader_for(even, names, screened=after) == "tfidf"
    even.leader = "lsa"
    assert chooser.leader_for(even, names, screened=after) == "lsa"
    # And given back when the default proves better.
    worse = chooser.Record(versus={"lsa>tfidf": [10.0, 30.0], "tfidf>lsa": [30.0, 10.0]})
    worse.leader = "lsa"
    assert chooser.leader_for(worse, names, screened=after) == "tfidf"


def test_the_leader_fills_the_queue_and_the_others_keep_being_tried():
    names = ["tfidf", "lsa", "embedding"]
    rankings = {
        name: np.random.default_rng(i).permutation(1000).tolist() for i, name in enumerate(names)
    }
    better = chooser.Record(versus={"lsa>tfidf": [30.0, 10.0], "tfidf>lsa": [10.0, 30.0]})
    queue = chooser.interleave(
        rankings, better, np.random.default_rng(7), places=500, screened=chooser.WARM_UP
    )
    assert queue.leader == better.leader == "lsa"
    share = chooser.EXPLORE * 500
    assert queue.picks["lsa"] > 500 - 2 * share * 1.5
    assert all(share / 2 < queue.picks[name] < share * 1.5 for name in ("tfidf", "embedding"))
    assert sorted(queue.order) == list(range(1000))  # every candidate once, the rest the leader's
    assert queue.order[500:] == [r for r in rankings["lsa"] if r not in set(queue.order[:500])]


def test_records_already_screened_earn_no_credit():
    rankings = {"tfidf": [5, 6], "lsa": [5, 6]}
    queue = chooser.interleave(
        rankings, chooser.Record(), np.random.default_rng(0), screened=0, creditable={6}
    )
    assert queue.masks == bytes([0, 0b011])


def test_a_simulation_with_every_ranker_screens_each_record_once(data_path):
    dataset = read_labelled_csv(data_path / "labelled/two_topics.csv")
    embedding = rankers.normalised(np.random.default_rng(3).normal(size=(20, 4)))
    priors = priors_for(dataset.labels, 1)
    run = simulate(dataset, priors, seed=1, ranker=AUTO, embedding=embedding)
    assert sorted(run.order) == sorted(set(range(20)) - set(priors))
    retrains = run.summary()["rankers"]
    assert retrains and {"screened", "ranker", "picks"} <= set(retrains[0])
    assert set(retrains[0]["picks"]) == {"tfidf", "lsa", "embedding"}
    alone = simulate(dataset, priors, seed=1, ranker="tfidf")
    assert {r["ranker"] for r in alone.summary()["rankers"]} == {"tfidf"}
    with pytest.raises(ValueError, match="needs features"):
        simulate(dataset, priors, seed=1, ranker="embedding")
