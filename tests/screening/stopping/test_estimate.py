"""The model-based estimate of recall beside the stopping test: its interval against the exact
distribution of the count it describes, its calibration on out-of-fold scores, and the
stopping benchmark's criteria (bench/stopping.py) on made-up reviews whose answer is known.

The estimate itself is screening/prioritisation/estimate.py; tests/screening/prioritisation/
test_estimate.py checks its quantile function against enumeration and its calibration on a
known logistic map. These check what the stopping aid and the benchmark rely on."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.stopping import TARGET, estimate_stops, run_stops, sampled_test_stop
from screening.prioritisation import model, rankers
from screening.prioritisation.estimate import EXACT_UP_TO, estimate_from_scores, recall_estimate
from screening.prioritisation.simulate import Dataset
from screening.stopping.rule import sample_size_needed

# --- the interval against the exact distribution ---------------------------------------------


def exact_pmf(p) -> np.ndarray:
    """P(S = k) for S a sum of independent Bernoulli(p_i), by convolving one trial at a time:
    exact up to rounding, and independent of SciPy and of the normal approximation."""
    pmf = np.array([1.0])
    for q in p:
        pmf = np.append(pmf * (1 - q), 0.0) + np.append(0.0, pmf * q)
    return pmf


def enumerated_pmf(p) -> np.ndarray:
    """The same by listing every outcome: for a handful of trials, beyond doubt."""
    pmf = np.zeros(len(p) + 1)
    for outcome in itertools.product((0, 1), repeat=len(p)):
        pmf[sum(outcome)] += math.prod(q if o else 1 - q for q, o in zip(p, outcome, strict=True))
    return pmf


def quantile(pmf: np.ndarray, level: float) -> int:
    """The smallest k with P(S <= k) >= level."""
    return int(np.searchsorted(np.cumsum(pmf), level - 1e-12))


@given(
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=9),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
@settings(max_examples=80, deadline=None)
def test_the_interval_ends_are_the_enumerated_quantiles(p, level):
    pmf = enumerated_pmf(p)
    tail = (1 - level) / 2
    estimate = recall_estimate(10, p, level)
    # The quantiles, widened to whole records around the mean when it falls outside them
    # (less than one record expected: both quantiles are 0).
    low = min(quantile(pmf, tail), math.floor(sum(p) + 1e-9))
    high = max(quantile(pmf, 1 - tail), math.ceil(sum(p) - 1e-9))
    assert (estimate.left_low, estimate.left_high) == (low, high)
    assert estimate.left == pytest.approx(sum(p))


def test_convolution_agrees_with_enumeration():
    # The reference the larger cases below are checked against.
    p = [0.1, 0.5, 0.93, 0.02, 0.7, 0.33]
    assert exact_pmf(p) == pytest.approx(enumerated_pmf(p), abs=1e-15)


@pytest.mark.parametrize("records", [300, 3 * EXACT_UP_TO])  # exact, then the approximation
@pytest.mark.parametrize("level", [0.8, 0.95])
def test_the_interval_holds_the_count_with_the_stated_probability(records, level):
    # Probabilities as a model gives them late in screening: most near 0, a few not.
    p = np.random.default_rng(records).beta(0.3, 8, size=records)
    estimate = recall_estimate(50, p, level)
    pmf = exact_pmf(p)
    low, high = int(estimate.left_low), int(estimate.left_high)
    coverage = pmf[low : high + 1].sum()
    tail = (1 - level) / 2
    if records <= EXACT_UP_TO:
        # A count cannot hit the level exactly: the interval holds at least the level, and
        # less than it without its two ends (one record narrower would not do).
        assert coverage >= level > coverage - pmf[low] - pmf[high], (low, high, coverage)
        assert (low, high) == (quantile(pmf, tail), quantile(pmf, 1 - tail))
    else:
        # The approximation: each end within one record of the exact quantile, and the
        # interval holding the level give or take a hair.
        assert coverage >= level - 0.005, (low, high, coverage)
        assert abs(low - quantile(pmf, tail)) <= 1
        assert abs(high - quantile(pmf, 1 - tail)) <= 1


@given(
    st.integers(1, 500),
    st.lists(st.floats(0.05, 0.95), min_size=1, max_size=60),
)
@settings(max_examples=80, deadline=None)
def test_the_recall_interval_is_ordered_and_follows_from_the_count(found, p):
    # Probabilities kept away from 0 and 1: see the report on near-certain ones, where a
    # sum of probabilities under 0.025 gives the interval [0, 0] beside a point above 0.
    e = recall_estimate(found, p)
    assert e.left_low <= e.left <= e.left_high
    assert e.recall_low <= e.recall <= e.recall_high
    assert e.recall_low == pytest.approx(found / (found + e.left_high))
    assert e.recall_high == pytest.approx(found / (found + e.left_low))
    assert e.recall == pytest.approx(found / (found + sum(p)))


# --- calibration on out-of-fold scores -------------------------------------------------------


def made_up_review(records: int, relevant_share: float, seed: int, clear: bool = False):
    """Records of 25 common words; relevant ones also carry about three topic words, which
    irrelevant ones carry less often (never, if `clear`)."""
    rng = np.random.default_rng(seed)
    common = [f"common{i}" for i in range(600)]
    topic = [f"topic{i}" for i in range(40)]
    labels = (rng.random(records) < relevant_share).astype(int).tolist()
    texts = []
    for label in labels:
        words = list(rng.choice(common, 25))
        if label:
            words += list(rng.choice(topic, rng.poisson(3) + 1))
        elif not clear:
            words += list(rng.choice(topic, rng.poisson(0.6)))
        texts.append(" ".join(words))
    return Dataset(texts, labels)


def test_out_of_fold_calibration_does_not_lean_low_as_in_sample_calibration_does():
    # A random fifth of the review screened: calibration fitted on it should carry over to the
    # rest. Scores of records the classifier was trained on are far from the others', so an
    # in-sample map says almost nothing is left; the out-of-fold one comes much closer.
    review = made_up_review(1500, 0.08, seed=3)
    features = rankers.Features(model.features(review.texts))
    labelled = sorted(random.Random(3).sample(range(1500), 300))
    rest = sorted(set(range(1500)) - set(labelled))
    known = [review.labels[i] for i in labelled]
    truth = sum(review.labels[i] for i in rest)
    candidates = rankers.scores(features, rankers.TFIDF, labelled, known, rest)
    in_sample = rankers.scores(features, rankers.TFIDF, labelled, known, labelled)
    out_of_fold = rankers.out_of_fold(features, rankers.TFIDF, labelled, known)
    leaning = estimate_from_scores(in_sample, known, candidates, found=sum(known))
    calibrated = estimate_from_scores(out_of_fold, known, candidates, found=sum(known))
    assert leaning.left < truth / 4  # the old estimate's fault, kept as a witness
    assert truth / 2 < calibrated.left < 2 * truth
    assert abs(calibrated.left - truth) < abs(leaning.left - truth) / 2


# --- the benchmark's criteria ----------------------------------------------------------------


def test_the_estimate_stops_once_the_order_has_found_every_relevant_record():
    review = made_up_review(400, 0.1, seed=1, clear=True)
    labels = review.labels
    relevant = [i for i, label in enumerate(labels) if label]
    irrelevant = [i for i, label in enumerate(labels) if not label]
    priors = [relevant[0], irrelevant[0]]
    order = relevant[1:] + irrelevant[1:]  # every relevant record first
    features = rankers.Features(model.features(review.texts))
    stops = estimate_stops(review, priors, order, features)
    for name in ("estimate, lower bound", "estimate, point"):
        found, screened = stops[name]
        assert found == len(relevant), name
        assert screened < len(labels), name  # it did stop, before the end


def test_the_estimate_does_not_stop_while_look_alike_relevant_records_are_left():
    # Half the relevant records first, then irrelevant ones, then the other half: the
    # classifier sees the left ones carry the topic words, so the estimate must wait for them.
    review = made_up_review(400, 0.1, seed=2, clear=True)
    labels = review.labels
    relevant = [i for i, label in enumerate(labels) if label]
    irrelevant = [i for i, label in enumerate(labels) if not label]
    half = len(relevant) // 2
    priors = [relevant[0], irrelevant[0]]
    order = relevant[1:half] + irrelevant[1:] + relevant[half:]
    features = rankers.Features(model.features(review.texts))
    stops = estimate_stops(review, priors, order, features)
    for name in ("estimate, lower bound", "estimate, point"):
        found, _ = stops[name]
        assert found >= TARGET * len(relevant), (name, found, len(relevant))


def test_a_relevant_record_starts_the_run_of_irrelevant_ones_again():
    # Priors, 49 irrelevant, 1 relevant, 49 irrelevant, 1 relevant, then 60 irrelevant.
    labels = [1, 0] + [0] * 49 + [1] + [0] * 49 + [1] + [0] * 60
    order = list(range(2, len(labels)))
    stops = run_stops(labels, [0, 1], order)
    # No run of 50 until the last stretch: 2 + 100 in the first two stretches, then 50.
    assert stops["50 irrelevant in a row"] == (3, 2 + 100 + 50)
    assert stops["100 irrelevant in a row"] == (3, len(labels))  # never: the end


def test_the_test_almost_never_stops_when_the_order_hides_a_tenth_of_the_relevant_records():
    # The order finds 18 of 20 (90%, under the target), then reads only irrelevant records,
    # the last 2 relevant ones at its very end: only a random sample can find them. The test
    # may stop early only when its sample misses both, which its size keeps under 5%.
    labels = [1, 0] + [1] * 17 + [0] * 1479 + [1] * 2
    order = list(range(2, len(labels)))
    early = stopped = 0
    for replicate in range(400):
        found, screened = sampled_test_stop(labels, [0, 1], order, random.Random(replicate))
        early += found < TARGET * 20
        stopped += screened < len(labels)
    assert early <= 0.05 * 400 + 2 * math.sqrt(0.05 * 0.95 * 400)  # 5%, with room for chance
    assert stopped >= 0.9 * 400  # and it is no use that never stops: it does, once it may


def test_after_a_run_of_irrelevant_records_the_test_draws_its_sample_then_and_stops():
    # Priors, then 30 relevant, then only irrelevant ones: the first run of 50 irrelevant
    # records ends at 2 + 30 + 50 = 82 screened, the sample drawn there holds no relevant record
    # (none is left), and the test stops with exactly the suggested sample screened besides.
    labels = [1, 0] + [1] * 30 + [0] * 968
    order = list(range(2, 1000))
    size = sample_size_needed(found_before=31, pool_size=1000 - 82)
    for replicate in range(5):
        stop = sampled_test_stop(labels, [0, 1], order, random.Random(replicate), after_run=50)
        assert stop == (31, 82 + size)
