"""The forest and funnel plots of an analysis run, checked by reading the SVG back (xml.etree):
where the marks sit on the plot's own axis, what the rows say. The runs are built by hand and
pooled by the package, so the numbers are real ones (dat.bcg, as in test_stats.py). No database."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from itertools import pairwise

import pytest

from meta_analysis.effects import (
    Z_95,
    BinaryCounts,
    binary_effect,
    mean_difference,
    ratio_from_ci,
)
from meta_analysis.forest_svg import forest_axis
from meta_analysis.funnel_svg import funnel_axes
from meta_analysis.plot_parts import p_text, shown_weights
from meta_analysis.plots import forest_svg, funnel_svg
from meta_analysis.pooling import pool, subgroups
from meta_analysis.results import AnalysisRun, StudyRow, natural

from .test_stats import BCG_COUNTS  # dat.bcg

NS = "{http://www.w3.org/2000/svg}"
ALLOCATION = ["random"] * 4 + ["alternate"] * 2 + ["random"] * 3 + ["systematic"] * 4


def row_of(i: int, name: str, yi: float, vi: float, measure: str, **fields) -> StudyRow:
    """A study's row as run.py makes one: yi and SE on the analysis scale, the rest natural."""
    se = math.sqrt(vi)
    ends = [natural(measure, yi + z * se) for z in (0, -Z_95, Z_95)]
    return StudyRow(i, name, yi, se, *ends, **fields)


def make_run(
    rows: list[StudyRow], measure: str, *, model="random", method=None, groups=False, **fields
) -> AnalysisRun:
    """The run of these rows, pooled (and by subgroup, with `groups`) by the package; each
    pooled row gets its weight."""
    kept = [row for row in rows if row.pooled]
    options = {"model": model, "method": method, "hksj": fields.pop("hksj", False)}
    options["measure"] = measure
    if method == "MH":
        options["counts"] = [row.counts for row in kept]
    yi, vi = [row.yi for row in kept], [row.se**2 for row in kept]
    pooled = pool(yi, vi, **options)
    for row, weight in zip(kept, pooled.weights, strict=True):
        row.weight = weight
    by_group = subgroups(yi, vi, [row.subgroup for row in kept], **options) if groups else None
    return AnalysisRun(
        title="BCG vaccine and tuberculosis",
        outcome="Tuberculosis",
        comparison="BCG vs no vaccine",
        measure=measure,
        model=model,
        method=pooled.method,
        hksj=options["hksj"],
        rows=rows,
        pooled=pooled,
        subgroups=by_group,
        **fields,
    )


def bcg_rows(k: int = 13, measure: str = "RR") -> list[StudyRow]:
    rows = []
    for i, counts in enumerate(BCG_COUNTS[:k]):
        yi, vi = binary_effect(counts, measure)
        rows.append(
            row_of(i, f"Trial {i + 1}", yi, vi, measure, counts=counts, subgroup=ALLOCATION[i])
        )
    return rows


def bcg_run(k: int = 13, **options) -> AnalysisRun:
    return make_run(bcg_rows(k), "RR", **options)


def md_run(**options) -> AnalysisRun:
    """Three trials of a mean difference (mean, SD, n per arm)."""
    arms = [((10.0, 4.0, 50), (12.5, 4.2, 48)), ((9.1, 3.5, 120), (10.0, 3.9, 118)),
            ((11.0, 5.0, 30), (11.4, 5.5, 33))]  # fmt: skip
    rows = [
        row_of(i, f"Trial {i + 1}", *mean_difference(*e, *c), "MD", means=(e, c))
        for i, (e, c) in enumerate(arms)
    ]
    return make_run(rows, "MD", **options)


def hr_run(names: list[str], **options) -> AnalysisRun:
    """Hazard ratios from their reported CIs: no arm columns."""
    reported = [(0.70, 0.50, 0.98), (0.85, 0.66, 1.10), (0.62, 0.41, 0.94), (0.90, 0.70, 1.16)]
    rows = [
        row_of(i, name, *ratio_from_ci(*hr), "HR")
        for i, (name, hr) in enumerate(zip(names, reported, strict=False))
    ]
    return make_run(rows, "HR", **options)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def having(root: ET.Element, css: str, tag: str | None = None) -> list[ET.Element]:
    """The elements (of this tag) with `css` among their classes."""
    elements = root.iter(f"{NS}{tag}" if tag else None)
    return [e for e in elements if css in e.get("class", "").split()]


def words(element: ET.Element) -> str:
    return "".join(element.itertext())


def diamond_xs(group: ET.Element) -> list[float]:
    """The diamond's points' x: left tip, top (the centre), right tip, bottom (the centre)."""
    (diamond,) = having(group, "diamond", "polygon")
    return [float(point.split(",")[0]) for point in diamond.get("points").split()]


def row_y(group: ET.Element) -> float:
    return float(group.find(f"{NS}text").get("y"))


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 0.01  # coordinates are written to 2 decimals


# --- the forest plot ------------------------------------------------------------------------


@pytest.mark.parametrize("run", [bcg_run(), bcg_run(model="fixed", method="MH"), md_run()])
def test_the_diamond_spans_the_pooled_ci_about_the_estimate(run):
    root, axis, pooled = parse(forest_svg(run)), forest_axis(run), run.pooled
    (total,) = having(root, "total", "g")
    left, top, right, bottom = diamond_xs(total)
    assert close(left, axis.x(run.natural(pooled.ci_low)))
    assert close(right, axis.x(run.natural(pooled.ci_high)))
    assert close(top, axis.x(run.natural(pooled.estimate))) and top == bottom
    assert left < top < right


@pytest.mark.parametrize(("run", "null"), [(bcg_run(), 1.0), (md_run(), 0.0)])
def test_the_axis_is_centred_on_no_effect(run, null):
    root, axis = parse(forest_svg(run)), forest_axis(run)
    (line,) = having(root, "null-line", "line")
    (drawn,) = having(root, "axis", "line")
    middle = (float(drawn.get("x1")) + float(drawn.get("x2"))) / 2
    assert close(float(line.get("x1")), axis.x(null)) and close(axis.x(null), middle)
    assert axis.log is run.ratio


def test_each_study_sits_on_its_estimate_with_a_square_growing_with_its_weight():
    run = bcg_run()
    root, axis = parse(forest_svg(run)), forest_axis(run)
    studies = having(root, "study", "g")
    assert len(studies) == 13
    areas = []
    for group, row in zip(studies, run.included, strict=True):
        (square,) = having(group, "square", "rect")
        side = float(square.get("width"))
        assert close(float(square.get("x")) + side / 2, axis.x(row.estimate))
        areas.append((row.weight, side * side))
    areas.sort()
    assert all(a1 < a2 for (w1, a1), (w2, a2) in pairwise(areas) if w1 < w2)
    # the area, not the side, in proportion to the weight
    per_weight = [area / weight for weight, area in areas]
    assert max(per_weight) / min(per_weight) < 1.05


def test_the_weights_shown_add_up_to_100_each_within_a_tenth_of_its_weight():
    # Three equal studies: 33.3% each would add up to 99.9%.
    rows = [row_of(i, f"Trial {i}", math.log(0.8), 0.04, "HR") for i in range(3)]
    run = make_run(rows, "HR", model="fixed")
    root = parse(forest_svg(run))
    shown = [float(words(w).rstrip("%")) for g in having(root, "study", "g")
             for w in having(g, "weight")]  # fmt: skip
    assert round(sum(shown), 1) == 100.0 and len(shown) == 3
    (total,) = having(root, "total", "g")
    assert [words(w) for w in having(total, "weight")] == ["100.0%"]
    for value, row in zip(shown, run.included, strict=True):
        assert abs(value - row.weight) <= 0.1


def test_shown_weights_go_to_the_largest_remainders():
    assert shown_weights([1, 1, 1]) == [334, 333, 333]
    assert shown_weights([12.34, 50.05, 37.61]) == [123, 501, 376]
    assert sum(shown_weights([0.04, 9.96, 45.5, 44.5])) == 1000
    assert shown_weights([0, 0]) == [0, 0]


def numbers_in(line: str) -> dict[str, str]:
    """ "Tau² = 0.03; Chi² = 2.53, df = 1 (P = 0.11)" -> {"Tau²": "0.03", "Chi²": "2.53", ...}."""
    return dict(re.findall(r"(Tau²|Chi²|df|P|I²|Z|t) [=<] ([0-9.]+)", line))


def test_the_heterogeneity_line_carries_the_pooled_numbers_as_revman_rounds_them():
    run = bcg_run()
    pooled = run.pooled
    root = parse(forest_svg(run))
    (line,) = having(root, "heterogeneity", "text")
    assert words(line).startswith("Heterogeneity: Tau² = ")
    found = numbers_in(words(line))
    assert float(found["Tau²"]) == round(pooled.tau2, 2) == 0.31
    assert float(found["Chi²"]) == round(pooled.q, 2) == 152.23
    assert int(found["df"]) == pooled.q_df == 12
    assert int(found["I²"]) == round(pooled.i2) == 92
    assert words(line).endswith(f"I² = {round(pooled.i2)}%") and "P < 0.00001" in words(line)
    (overall,) = having(root, "overall-effect", "text")
    found = numbers_in(words(overall))
    assert float(found["Z"]) == round(abs(pooled.statistic), 2)
    assert float(found["P"]) == round(pooled.p, 5) == 0.00007  # the first significant digit


def test_a_fixed_effect_model_has_no_tau2_and_hksj_tests_with_t():
    fixed = parse(forest_svg(bcg_run(model="fixed")))
    (line,) = having(fixed, "heterogeneity", "text")
    assert words(line).startswith("Heterogeneity: Chi² = ") and "Tau" not in words(line)
    run = hr_run(["A", "B", "C", "D"], hksj=True)
    (overall,) = having(parse(forest_svg(run)), "overall-effect", "text")
    assert words(overall).startswith("Test for overall effect: t = ")
    assert numbers_in(words(overall))["df"] == "3"


def test_p_values_as_revman_writes_them():
    assert p_text(0.1149) == "P = 0.11"
    assert p_text(0.00123) == "P = 0.001"
    assert p_text(0.00041) == "P = 0.0004"
    assert p_text(0.000001) == "P < 0.00001"


def test_the_prediction_interval_is_a_line_under_the_diamond_and_in_words():
    run = bcg_run()
    root, axis = parse(forest_svg(run)), forest_axis(run)
    low, high = map(run.natural, run.pooled.prediction_interval)
    (group,) = having(root, "prediction-interval", "g")
    (line,) = having(group, "ci", "line")
    assert close(float(line.get("x1")), axis.x(low)) and close(float(line.get("x2")), axis.x(high))
    assert words(group) == f"Prediction interval[{low:.2f}, {high:.2f}]"
    (total,) = having(root, "total", "g")
    assert float(line.get("y1")) > row_y(total)
    assert not having(parse(forest_svg(bcg_run(model="fixed"))), "prediction-interval")


def test_subgroups_have_a_subtotal_each_then_the_total_and_the_test_of_their_difference():
    run = bcg_run(groups=True)
    root, axis = parse(forest_svg(run)), forest_axis(run)
    subtotals = having(root, "subtotal", "g")
    assert len(subtotals) == 3 and len(having(root, "total", "g")) == 1
    for group, result in zip(subtotals, run.subgroups.subgroups.values(), strict=True):
        left, top, right, _ = diamond_xs(group)
        assert close(left, axis.x(math.exp(result.ci_low)))
        assert close(top, axis.x(math.exp(result.estimate)))
        assert close(right, axis.x(math.exp(result.ci_high)))
    assert [words(h) for h in having(root, "subgroup-heading", "g")] == [
        "random",
        "alternate",
        "systematic",
    ]
    assert len(having(root, "heterogeneity", "text")) == 4  # each subgroup's, and the total's
    (line,) = having(root, "subgroup-differences", "text")
    q, df = run.subgroups.q_between, run.subgroups.q_between_df
    found = numbers_in(words(line))
    assert float(found["Chi²"]) == round(q, 2) and int(found["df"]) == df == 2
    assert words(line).endswith(f"I² = {100 * max(0, (q - df) / q):.1f}%")
    # last, under the total
    assert float(line.get("y")) > row_y(having(root, "total", "g")[0])


def test_a_study_not_pooled_is_listed_in_grey_with_why_and_no_square():
    rows = bcg_rows(5)
    rows.append(StudyRow(99, "Zero trial", counts=BinaryCounts(0, 40, 0, 41),
                         excluded="no events in either arm"))  # fmt: skip
    root = parse(forest_svg(make_run(rows, "RR")))
    (excluded,) = having(root, "excluded", "g")
    assert not having(excluded, "square") and not having(excluded, "weight")
    assert "Zero trial" in words(excluded) and "no events in either arm" in words(excluded)
    assert excluded.get("fill") == "#6b6b6b"
    assert len(having(root, "square", "rect")) == 5
    total_y = row_y(having(root, "total", "g")[0])
    assert row_y(excluded) > total_y


def test_the_arms_columns_and_the_totals():
    root = parse(forest_svg(bcg_run(3)))
    (total,) = having(root, "total", "g")
    counts = BCG_COUNTS[:3]
    assert str(sum(c.experimental_total for c in counts)) in words(total)
    assert str(sum(c.control_total for c in counts)) in words(total)
    (events,) = having(root, "events", "g")
    assert words(events) == f"Total events{4 + 6 + 3}{11 + 29 + 11}"
    assert "Events" in words(root)
    means = parse(forest_svg(md_run()))
    assert "Mean" in words(means) and "Events" not in words(means)
    assert "12.5" in words(having(means, "study", "g")[0])
    neither = parse(forest_svg(hr_run(["A", "B", "C"])))
    assert "Mean" not in words(neither) and "Events" not in words(neither)


def test_each_study_s_effect_and_ci_in_words_and_the_pooled_result_described():
    run = hr_run(["A", "B", "C"], model="fixed")
    root = parse(forest_svg(run))
    first = having(root, "study", "g")[0]
    assert [words(e) for e in having(first, "effect")] == ["0.70 [0.50, 0.98]"]
    pooled = run.pooled.as_ratio()
    (desc,) = root.findall(f"{NS}desc")
    assert words(desc).startswith(
        f"Hazard ratio {pooled.estimate:.2f} (95% CI {pooled.ci_low:.2f} to "
        f"{pooled.ci_high:.2f}), 3 studies pooled with a fixed-effect model."
    )
    assert root.find(f"{NS}title").text == "Forest plot: BCG vaccine and tuberculosis"
    assert root.get("aria-labelledby") == "forest-title forest-desc"


def test_the_favours_labels_are_either_side_of_the_line_of_no_effect():
    root = parse(forest_svg(bcg_run()))
    left, right = having(root, "favours", "text")
    null_x = float(having(root, "null-line", "line")[0].get("x1"))
    assert "Favours experimental" in words(left) and left.get("text-anchor") == "end"
    assert float(left.get("x")) < null_x < float(right.get("x"))
    assert "Favours control" in words(right)


def test_an_interval_off_the_axis_ends_in_an_arrow():
    rows = [row_of(0, "Wide", 0.0, ((math.log(1000) - math.log(0.001)) / (2 * Z_95)) ** 2, "HR"),
            row_of(1, "Narrow", math.log(0.8), 0.01, "HR")]  # fmt: skip
    root = parse(forest_svg(make_run(rows, "HR", model="fixed")))
    wide, narrow = having(root, "study", "g")
    assert len(having(wide, "arrow", "polygon")) == 2
    assert not having(narrow, "arrow")


def test_the_note_comes_first():
    run = bcg_run(3, note="A demonstration, not a clinical claim")
    root = parse(forest_svg(run))
    (note,) = having(root, "note", "text")
    assert note.text == "A demonstration, not a clinical claim"
    assert float(note.get("y")) < min(float(t.get("y")) for t in root.iter(f"{NS}text")
                                      if t.text in ("Study", "Weight"))  # fmt: skip
    assert not having(parse(forest_svg(bcg_run(3))), "note")


def test_hostile_and_long_names_come_out_as_text():
    hostile, ampersand = "<script>alert(1)</script>", "A & B"
    long = "The very long name of a study that goes on and on past the column"
    root = parse(forest_svg(hr_run([hostile, ampersand, long])))  # parses: all was escaped
    assert not list(root.iter(f"{NS}script")) and not list(root.iter("script"))
    labels = [words(g.find(f"{NS}text[@class='label']")) for g in having(root, "study", "g")]
    assert labels[:2] == [hostile, ampersand]
    third = having(root, "study", "g")[2]
    assert third.find(f"{NS}title").text == long
    cut = labels[2]
    assert cut.endswith("…") and len(cut) <= 40 and long.startswith(cut[:-1])
    assert [g.find(f"{NS}title") for g in having(root, "study", "g")[:2]] == [None, None]


def test_nothing_pooled_says_so():
    row = StudyRow(1, "Zero trial", counts=BinaryCounts(0, 40, 0, 41), excluded="no events")
    run = AnalysisRun("T", "O", "C", "RR", "fixed", "IV", False, [row])
    root = parse(forest_svg(run))
    assert having(root, "nothing-pooled") and not having(root, "diamond")
    assert len(having(root, "excluded", "g")) == 1 and forest_axis(run) is None


# --- the funnel plot ------------------------------------------------------------------------


def test_no_funnel_under_ten_studies():
    assert funnel_svg(bcg_run(9)) is None and funnel_axes(bcg_run(9)) is None


def test_the_funnel_has_a_dot_per_study_about_the_pooled_estimate():
    run = bcg_run(10)
    root = parse(funnel_svg(run))
    x_axis, y_axis = funnel_axes(run)
    circles = list(root.iter(f"{NS}circle"))
    assert len(circles) == 10
    for circle, row in zip(circles, run.included, strict=True):
        assert close(float(circle.get("cx")), x_axis.x(math.exp(row.yi)))
        assert close(float(circle.get("cy")), y_axis.x(row.se))
    assert y_axis.x(0) < y_axis.x(0.5)  # 0 at the top
    (pooled,) = having(root, "pooled", "line")
    apex = x_axis.x(math.exp(run.pooled.estimate))
    assert close(float(pooled.get("x1")), apex) and close(float(pooled.get("x2")), apex)
    limits = having(root, "limit", "line")
    assert [line.get("stroke-dasharray") for line in limits] == ["5 4", "5 4"]
    for line, side in zip(limits, (-1, 1), strict=True):
        end = math.exp(run.pooled.estimate + side * 1.96 * y_axis.high)
        assert close(float(line.get("x1")), apex)
        assert abs(float(line.get("x2")) - x_axis.x(end)) < 0.05  # 1.96 against 1.959964
        assert close(float(line.get("y2")), y_axis.x(y_axis.high))
