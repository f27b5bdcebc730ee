"""The hypergeometric stopping rule (screening.stopping) and the inclusions curve
(screening.stopping_svg): p-values checked by hand, the sample size boundary, the confidence
bound agreeing with the test, and the SVG. Pure Python: no database."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening.stopping.rule import StoppingTest, describe, hypergeometric_test, sample_size_needed
from screening.stopping.svg import LEFT, PLOT_H, PLOT_W, TOP, render_curve, thin

SVG = "{http://www.w3.org/2000/svg}"


def by_hand(pool: int, relevant_in_pool: int, drawn: int, found: int) -> float:
    """P(X <= found) for the hypergeometric, from binomial coefficients."""
    ways = sum(
        math.comb(relevant_in_pool, x) * math.comb(pool - relevant_in_pool, drawn - x)
        for x in range(found + 1)
    )
    return ways / math.comb(pool, drawn)


# --- the p-value ---------------------------------------------------------------------------


def test_no_relevant_record_in_the_sample_by_hand():
    # 19 found, tau = 0.95: K_tar = floor(19 / 0.95) + 1 = 21, so 2 relevant left in the pool
    # of 10. P(none of 5 drawn is relevant) = C(8, 5) / C(10, 5) = 56 / 252 = 2/9.
    test = hypergeometric_test(found_before=19, pool_size=10, sample_screened=5, found_in_sample=0)
    assert test.k_target == 21
    assert test.p_value == pytest.approx(2 / 9)
    assert test.p_value == pytest.approx(by_hand(10, 2, 5, 0))
    assert test.can_stop is False


def test_one_relevant_record_in_the_sample_by_hand():
    # 18 + 1 = 19 found: K_tar = 21, 3 relevant in the pool of 20 under H0.
    # P(X <= 1) = (C(17, 10) + 3 C(17, 9)) / C(20, 10) = (19448 + 72930) / 184756 = 1/2.
    test = hypergeometric_test(found_before=18, pool_size=20, sample_screened=10, found_in_sample=1)
    assert test.k_target == 21
    assert test.p_value == pytest.approx(0.5)
    assert test.found == 19


def test_a_large_sample_without_a_find_lets_the_team_stop():
    test = hypergeometric_test(
        found_before=87, pool_size=8_796, sample_screened=5_000, found_in_sample=0
    )
    # K_tar = floor(87 / 0.95) + 1 = 92: 5 relevant in the pool under H0.
    assert test.k_target == 92
    assert test.p_value == pytest.approx(by_hand(8_796, 5, 5_000, 0))
    assert test.p_value < 0.05
    assert test.can_stop is True


def test_recall_exactly_on_the_target_is_not_below_it():
    # 95 / 0.95 is exactly 100: a review of 100 relevant records at 95 found meets the target,
    # so H0 needs 101 (in floats 95 / 0.95 could land on either side of 100).
    test = hypergeometric_test(found_before=95, pool_size=50, sample_screened=0, found_in_sample=0)
    assert test.k_target == 101


def test_a_pool_too_small_to_hide_enough_relevant_records_gives_p_zero():
    # 100 found: H0 needs 6 more, and only 5 records are left.
    test = hypergeometric_test(found_before=100, pool_size=5, sample_screened=0, found_in_sample=0)
    assert test.p_value == 0.0
    assert test.can_stop is True
    assert sample_size_needed(found_before=100, pool_size=5) == 0


def test_nothing_screened_from_the_sample_proves_nothing():
    test = hypergeometric_test(
        found_before=10, pool_size=1_000, sample_size=200, sample_screened=0, found_in_sample=0
    )
    assert test.p_value == 1.0
    assert test.missed_at_most == 1_000


def test_a_stricter_confidence_is_harder_to_meet():
    kwargs = {
        "found_before": 87,
        "pool_size": 8_796,
        "sample_screened": 4_000,  # p = 0.048
        "found_in_sample": 0,
    }
    loose = hypergeometric_test(**kwargs, confidence=0.9)
    strict = hypergeometric_test(**kwargs, confidence=0.99)
    assert loose.p_value == strict.p_value
    assert loose.can_stop and not strict.can_stop
    assert strict.alpha == 0.01 and loose.alpha == pytest.approx(0.1)


@given(
    found_before=st.integers(0, 300),
    pool=st.integers(1, 3_000),
    data=st.data(),
)
def test_a_bigger_sample_without_a_find_gives_a_smaller_p(found_before, pool, data):
    small = data.draw(st.integers(0, pool - 1))
    big = data.draw(st.integers(small + 1, pool))
    p = [
        hypergeometric_test(
            found_before=found_before, pool_size=pool, sample_screened=n, found_in_sample=0
        ).p_value
        for n in (small, big)
    ]
    assert p[1] <= p[0]


@given(
    found_before=st.integers(0, 200),
    pool=st.integers(0, 2_000),
    data=st.data(),
    target=st.sampled_from([0.8, 0.9, 0.95, 0.975, 0.99]),
    confidence=st.sampled_from([0.9, 0.95, 0.99]),
)
def test_the_recall_bound_agrees_with_the_test(found_before, pool, data, target, confidence):
    screened = data.draw(st.integers(0, pool))
    found = data.draw(st.integers(0, min(screened, 20)))
    test = hypergeometric_test(
        found_before=found_before,
        pool_size=pool,
        sample_screened=screened,
        found_in_sample=found,
        target=target,
        confidence=confidence,
    )
    assert 0 <= test.missed_at_most <= pool - screened
    assert 0.0 <= test.p_value <= 1.0
    total = test.found + test.missed_at_most
    bound = Fraction(test.found, total) if total else Fraction(1)
    assert (bound >= Fraction(str(target))) == test.can_stop


# --- sample_size_needed ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("found_before", "pool"), [(87, 8_796), (19, 10), (0, 500), (300, 20_000), (5, 3)]
)
def test_sample_size_needed_is_the_first_sample_that_stops(found_before, pool):
    n = sample_size_needed(found_before=found_before, pool_size=pool)
    assert 0 <= n <= pool

    def stops(size):
        return hypergeometric_test(
            found_before=found_before, pool_size=pool, sample_screened=size, found_in_sample=0
        ).can_stop

    assert stops(n)
    assert n == 0 or not stops(n - 1)


def test_sample_size_needed_by_hand():
    # 19 found, 2 relevant left under H0 in a pool of 10: P(X = 0) = C(8, n) / C(10, n) is
    # 2/9 at n = 5, 1/15 at n = 7 and 1/45 at n = 8, so 8 it is.
    assert [by_hand(10, 2, n, 0) < 0.05 for n in (7, 8)] == [False, True]
    assert sample_size_needed(found_before=19, pool_size=10) == 8


def test_a_higher_target_needs_a_bigger_sample():
    sizes = [
        sample_size_needed(found_before=87, pool_size=8_796, target=t) for t in (0.9, 0.95, 0.99)
    ]
    assert sizes == sorted(sizes) and sizes[0] < sizes[2]


# --- errors ----------------------------------------------------------------------------------


BASE = {"found_before": 10, "pool_size": 100, "sample_screened": 20, "found_in_sample": 1}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sample_size": 101, "sample_screened": 20}, "cannot be larger than the 100 records"),
        ({"sample_screened": 101, "found_in_sample": 0}, "cannot be larger than the 100 records"),
        ({"sample_size": 10}, "marked as screened, but the sample only has 10"),
        ({"found_in_sample": 21}, "only 20 of its records have been screened"),
        ({"target": 95}, "target recall must be between 0 and 1"),
        ({"target": 1.0}, "target recall must be between 0 and 1"),
        ({"target": 0}, "target recall must be between 0 and 1"),
        ({"confidence": 1.0}, "confidence must be between 0 and 1"),
        ({"found_before": -1}, "relevant records found before the sample cannot be negative"),
        ({"pool_size": -1}, "unscreened records cannot be negative"),
        ({"found_in_sample": -1}, "found in the sample cannot be negative"),
        ({"screened_before": -5}, "screened in prioritised order cannot be negative"),
    ],
)
def test_impossible_inputs_are_explained(change, message):
    with pytest.raises(ValueError, match=message):
        hypergeometric_test(**{**BASE, **change})


def test_sample_size_needed_checks_its_inputs():
    with pytest.raises(ValueError, match="target recall must be between 0 and 1"):
        sample_size_needed(found_before=1, pool_size=10, target=1.5)


# --- describe --------------------------------------------------------------------------------


def test_describe_a_test_that_lets_the_team_stop():
    test = hypergeometric_test(
        found_before=87,
        pool_size=8_796,
        sample_screened=5_000,
        found_in_sample=0,
        screened_before=1_204,
    )
    text = describe(test)
    assert text.startswith(
        "After 1,204 records screened in prioritised order (87 relevant), a random sample of "
        "5,000 of the 8,796 unscreened records held no relevant record: we reject the "
        "hypothesis that recall is below 95% (p = "
    )
    assert "α = 0.05" in text
    assert "With 95% confidence, recall is at least" in text


def test_describe_a_test_that_does_not_yet():
    test = hypergeometric_test(
        found_before=87, pool_size=8_796, sample_size=600, sample_screened=300, found_in_sample=2
    )
    text = describe(test)
    assert text.startswith("After screening in prioritised order (87 relevant), the first 300")
    assert "random sample of 600" in text
    assert "held 2 relevant records: we cannot yet reject" in text


def test_describe_shows_p_on_the_right_side_of_alpha():
    # sample_size_needed's boundary puts p just either side of 0.05.
    n = sample_size_needed(found_before=87, pool_size=8_796)
    below = hypergeometric_test(
        found_before=87, pool_size=8_796, sample_screened=n, found_in_sample=0
    )
    above = hypergeometric_test(
        found_before=87, pool_size=8_796, sample_screened=n - 1, found_in_sample=0
    )
    for test in (below, above):
        shown = float(describe(test).split("(p = ")[1].split(",")[0])
        assert (shown < 0.05) == test.can_stop


def test_stopping_test_is_frozen():
    test = hypergeometric_test(**BASE)
    assert isinstance(test, StoppingTest)
    with pytest.raises(AttributeError):
        test.p_value = 0.0


# --- the curve -------------------------------------------------------------------------------


def one_per_record(found_at: set[int], screened: int) -> list[tuple[int, int]]:
    points, found = [], 0
    for record in range(1, screened + 1):
        found += record in found_at
        points.append((record, found))
    return points


def polyline_points(svg: str) -> list[tuple[float, float]]:
    curve = ET.fromstring(svg).find(f"{SVG}polyline")
    return [tuple(map(float, pair.split(","))) for pair in curve.get("points").split()]


def data_coordinates(pixel, total, y_top):
    x, y = pixel
    return (x - LEFT) / PLOT_W * total, (1 - (y - TOP) / PLOT_H) * y_top


def test_the_curve_is_valid_svg_with_a_title_and_description():
    svg = render_curve(one_per_record({1, 2, 5, 40}, 100), total=1_000)
    root = ET.fromstring(svg)
    assert root.get("viewBox") == "0 0 640 400"
    assert root.find(f"{SVG}title").text
    assert "4 relevant records found among 100 of 1,000" in root.find(f"{SVG}desc").text
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"Records screened", "Relevant records found", "1,000"} <= set(texts)
    assert "<script" not in svg and "href" not in svg


def test_the_curve_ends_at_the_last_pair():
    points = one_per_record({3, 7, 8, 90}, 250)
    svg = render_curve(points, total=1_000, estimate=6)
    y_labels = [
        int(t.text.replace(",", ""))
        for t in ET.fromstring(svg).iter(f"{SVG}text")
        if t.get("text-anchor") == "end" and t.text.replace(",", "").isdigit()
    ]
    drawn = polyline_points(svg)
    assert drawn[0] == (LEFT, TOP + PLOT_H)  # from the origin
    x, y = data_coordinates(drawn[-1], 1_000, max(y_labels))
    assert (x, y) == (pytest.approx(250, abs=0.01), pytest.approx(4, abs=0.01))
    assert drawn[-1][1] == drawn[-2][1]  # flat since record 90


def test_thinning_keeps_every_rise_and_stays_exact():
    found_at = {1, 2, 3, 50, 51, 400, 2_000, 7_999}
    points = [(0, 0), *one_per_record(found_at, 8_000)]
    kept = thin(points, total=10_000)
    assert len(kept) <= 400
    assert kept[-1] == points[-1] and kept[0] == points[0]
    rises = {here for before, here in zip(points, points[1:], strict=False) if here[1] > before[1]}
    assert rises <= set(kept)
    # Exact: between two kept points the line matches every dropped point.
    for (x0, y0), (x1, y1) in zip(kept, kept[1:], strict=False):
        for x, y in points[x0 : x1 + 1]:
            assert y0 + (y1 - y0) * (x - x0) / (x1 - x0) == y


def test_thinning_past_the_limit_still_keeps_every_rise():
    # 1,000 rises, 9 records apart: under a pixel (10,000 records over 546), so the corners go.
    found_at = set(range(1, 10_000, 10))
    points = one_per_record(found_at, 10_000)
    kept = thin(points, total=10_000)
    rises = {here for before, here in zip(points, points[1:], strict=False) if here[1] > before[1]}
    assert rises <= set(kept)
    assert len(kept) <= len(rises) + 2


@given(st.lists(st.booleans(), min_size=1, max_size=600), st.integers(2, 50))
def test_thinning_never_loses_a_rise(relevant, limit):
    points, found = [], 0
    for i, is_relevant in enumerate(relevant, start=1):
        found += is_relevant
        points.append((i, found))
    kept = thin(points, total=len(points), limit=limit)
    assert kept[0] == points[0] and kept[-1] == points[-1]
    rises = {here for before, here in zip(points, points[1:], strict=False) if here[1] > before[1]}
    assert rises <= set(kept)
    assert kept == sorted(kept)


def test_no_records_screened_yet():
    root = ET.fromstring(render_curve([], total=500))
    assert [t.text for t in root.iter(f"{SVG}text")] == ["No records screened yet"]
    assert root.find(f"{SVG}polyline") is None
    assert root.find(f"{SVG}title").text


def test_the_estimate_is_drawn_only_when_given():
    points = one_per_record({1, 4, 9}, 30)
    without = ET.fromstring(render_curve(points, total=100))
    assert without.find(f"{SVG}line[@class='estimate']") is None
    assert without.find(f"{SVG}line[@class='random']") is None
    with_estimate = ET.fromstring(render_curve(points, total=100, estimate=4.6))
    assert with_estimate.find(f"{SVG}line[@class='estimate']") is not None
    assert with_estimate.find(f"{SVG}line[@class='random']") is not None
    texts = [t.text for t in with_estimate.iter(f"{SVG}text")]
    assert "estimated relevant records" in texts


def test_the_sample_marker():
    points = one_per_record({1, 4, 9}, 30)
    root = ET.fromstring(render_curve(points, total=100, sample_start=20))
    marker = root.find(f"{SVG}line[@class='sample-start']")
    assert float(marker.get("x1")) == pytest.approx(LEFT + PLOT_W * 0.2)
    assert "random sample" in [t.text for t in root.iter(f"{SVG}text")]
    assert "began after 20 records" in root.find(f"{SVG}desc").text


def test_the_curve_refuses_more_screened_than_the_stage_holds():
    with pytest.raises(ValueError, match="the stage has only 10"):
        render_curve([(11, 1)], total=10)


# --- the stopping aid's figures ------------------------------------------------------------
# The review home's panel (templates/screening/stopping/_stopping_aid.html) rendered from a
# StoppingAid made by hand: still no database.


def render_aid(estimate_left, low, high, found=96):
    from types import SimpleNamespace

    from django.template.loader import render_to_string
    from django.utils import timezone

    from screening.models import Ranking, Review
    from screening.stopping.selectors import StoppingAid, _with_interval, recall_shown

    review = Review(slug="aid", title="Aid", prioritise=True)
    ranking = Ranking(
        version=3,
        trained_at=timezone.now(),
        includes=found,
        excludes=400,
        estimate_left=estimate_left,
        estimate_left_low=low,
        estimate_left_high=high,
    )
    estimate = _with_interval(ranking, found)
    aid = StoppingAid(
        ranking=ranking,
        screened=found + 400,
        found=found,
        unscreened=1_500,
        since_last_include=12,
        estimate_left=estimate_left,
        estimate=estimate,
        recall=recall_shown(estimate),
        curve_svg="<svg></svg>",
        sample=None,
        status=None,
        status_text="",
        suggested_size=0,
    )
    context = {"review": review, "aid": aid, "membership": SimpleNamespace(can_manage=False)}
    return " ".join(render_to_string("screening/stopping/_stopping_aid.html", context).split())


def test_the_aid_shows_the_estimate_with_its_interval_and_the_recall_that_follows():
    # 96 found, 4 left (1 to 10): recall 96/100, between 96/106 and 96/97.
    page = render_aid(4.0, 1.0, 10.0)
    assert '<span class="n" id="aid-estimate"> 4 </span>' in page
    assert "(of 1,500 unscreened): 95% interval 1 to 10" in page
    assert '<span class="n" id="aid-recall">96%</span>' in page
    assert "estimated recall so far (95% interval 90% to 99%)" in page
    assert "a guide: the random-sample test below is what allows stopping" in page


def test_an_estimate_stored_without_its_interval_shows_the_point_alone():
    # Rankings trained before the interval existed have the point and None for its ends.
    page = render_aid(4.0, None, None)
    assert '<span class="n" id="aid-estimate"> 4 </span>' in page
    assert "95% interval" not in page and 'id="aid-recall"' not in page


@pytest.mark.parametrize(
    ("share", "lower_bound", "shown"),
    [
        (0.9612, False, "96%"),
        (0.9099, True, "90%"),  # a lower bound is never rounded up
        (0.9099, False, "91%"),
        (0.9967, True, "99.6%"),
        (0.9996, False, "99.9%"),  # short of 100% never reads as 100%
        (0.99, False, "99%"),
        (1.0, True, "100%"),
    ],
)
def test_recall_is_written_no_surer_than_it_is(share, lower_bound, shown):
    from screening.stopping.selectors import recall_percent

    assert recall_percent(share, lower_bound) == shown


def test_an_interval_that_misses_its_point_is_widened_to_hold_it():
    from screening.prioritisation.estimate import with_recall
    from screening.stopping.selectors import recall_shown

    # The probabilities left add up to 0.02: the count's interval is [0, 0].
    shown = recall_shown(with_recall(300, 0.02, 0.0, 0.0))
    assert (shown.low, shown.point, shown.high) == ("99.9%", "99.9%", "100%")
