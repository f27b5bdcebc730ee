"""The stopping benchmark's criteria on small made-up orders whose answer is known."""

import random

from bench.stopping import clopper_pearson, run_stops, sampled_test_stop, summarise


def test_a_run_of_irrelevant_records_stops_where_it_reaches_the_limit():
    # 100 records: the priors (0 relevant, 1 not), then 10 relevant, then 89 irrelevant.
    labels = [1] + [0] + [1] * 10 + [0] * 88
    order = list(range(2, 100))
    stops = run_stops(labels, [0, 1], order)
    # 50 irrelevant in a row: after 2 priors, 10 relevant and 50 irrelevant = 62 screened.
    assert stops["50 irrelevant in a row"] == (11, 62)
    assert stops["5% of the records irrelevant in a row"] == (11, 2 + 10 + 5)
    assert stops["100 irrelevant in a row"] == (11, 100)  # never: the end


def test_the_test_never_stops_early_when_the_order_found_everything_first():
    labels = [1, 0] + [1] * 30 + [0] * 968
    order = list(range(2, 1000))
    for replicate in range(20):
        found, screened = sampled_test_stop(labels, [0, 1], order, random.Random(replicate))
        assert found == 31 and screened < 1000  # all found, and it did stop before the end


def test_the_test_stops_late_or_not_at_all_when_relevant_records_are_left():
    # The order finds half, then reads irrelevant ones: a random sample finds the rest.
    labels = [1, 0] + [1] * 20 + [0] * 478 + [1] * 20 + [0] * 480
    order = list(range(2, 1000))
    early = 0
    for replicate in range(50):
        found, _ = sampled_test_stop(labels, [0, 1], order, random.Random(replicate))
        early += found < 0.95 * 41
    assert early <= 5  # the test's promise, on 50 draws, with room for chance


def test_the_summary_counts_early_stops_and_their_interval():
    rows = [("a", 1, 10, 100, {"c": [(9, 50), (10, 80), (8, 20)]})]
    summary = summarise(rows)["c"]
    assert (summary["runs"], summary["early"]) == (3, 2)
    assert summary["median_recall"] == 0.9 and summary["median_share"] == 0.5
    low, high = clopper_pearson(2, 3)
    assert (summary["rate_low"], summary["rate_high"]) == (low, high)
    assert 0.09 < low < 0.1 and 0.99 < high < 1.0  # the exact interval for 2 of 3
