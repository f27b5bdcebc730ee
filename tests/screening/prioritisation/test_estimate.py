"""The estimate of relevant records left and of recall, with its interval."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.prioritisation.estimate import (
    _refined_normal_cdf,
    calibration,
    estimate_from_scores,
    quantiles,
    recall_estimate,
)


def brute_force_cdf(p):
    """P(S <= k) for every k, by enumerating every outcome of the trials."""
    pmf = np.zeros(len(p) + 1)
    for outcome in itertools.product((0, 1), repeat=len(p)):
        pmf[sum(outcome)] += math.prod(q if o else 1 - q for q, o in zip(p, outcome, strict=True))
    return np.cumsum(pmf)


@given(st.lists(st.floats(0, 1), min_size=1, max_size=10), st.sampled_from([0.025, 0.5, 0.975]))
@settings(max_examples=60, deadline=None)
def test_quantiles_are_those_of_the_enumerated_distribution(p, level):
    cdf = brute_force_cdf(p)
    expected = int(np.searchsorted(cdf, level - 1e-12))
    assert quantiles(p, [level]) == [expected]


def test_the_refined_normal_approximation_is_within_a_hair_of_the_exact_one():
    from scipy.stats import poisson_binom

    p = np.random.default_rng(0).beta(0.3, 10, size=3000)
    k = np.arange(0, 200)
    mean, sd = p.sum(), math.sqrt((p * (1 - p)).sum())
    assert np.abs(poisson_binom.cdf(k, p) - _refined_normal_cdf(k, p, mean, sd)).max() < 0.002
    # And the quantiles above EXACT_UP_TO agree with the exact ones to one record.
    exact = [int(np.searchsorted(poisson_binom.cdf(k, p), q)) for q in (0.025, 0.975)]
    assert all(abs(a - b) <= 1 for a, b in zip(quantiles(p, [0.025, 0.975]), exact, strict=True))


def test_calibration_recovers_a_known_logistic_map():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=20_000)
    labels = rng.random(20_000) < 1 / (1 + np.exp(-(2 * scores - 1)))
    probability = calibration(scores, labels.astype(int))
    assert probability([0.5])[0] == pytest.approx(0.5, abs=0.03)
    assert probability([1.5])[0] == pytest.approx(1 / (1 + math.exp(-2)), abs=0.03)


def test_the_interval_holds_the_point_and_recall_follows_from_it():
    p = np.full(400, 0.05)  # 20 expected
    estimate = recall_estimate(80, p)
    assert estimate.left == pytest.approx(20)
    assert estimate.left_low < 20 < estimate.left_high
    assert estimate.recall == pytest.approx(0.8)
    assert estimate.recall_low < estimate.recall < estimate.recall_high
    assert estimate.recall_low == pytest.approx(80 / (80 + estimate.left_high))


def test_no_estimate_from_one_kind_of_decision_or_nothing_left():
    assert estimate_from_scores([0.1, 0.2], [1, 1], [0.3], found=2) is None
    assert estimate_from_scores([0.1, 0.2], [0, 1], [], found=1) is None
    estimate = estimate_from_scores([-2, -1, 1, 2], [0, 0, 1, 1], [-3, -2, 0.5], found=2)
    assert 0 < estimate.left < 3 and estimate.recall_low <= estimate.recall


def test_an_interval_around_less_than_one_record_still_holds_the_point():
    estimate = recall_estimate(50, [0.004] * 5)  # 0.02 expected: both quantiles are 0
    assert estimate.left_low == 0 and estimate.left_high == 1
    assert estimate.recall_low <= estimate.recall <= estimate.recall_high
