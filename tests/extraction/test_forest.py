"""Forest plots: the picker of outcomes with data, the SVG (valid XML, every study and estimate,
the line of no effect where it belongs, arrows, the per-arm fallback), the page and its
downloads, members only, and a query count that does not grow with the studies."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from django.urls import reverse
from lxml import etree

from extraction.constants import Measure, OutcomeKind
from extraction.forest import (
    ARMS,
    ForestChoice,
    ForestPlot,
    ForestRow,
    default_choice,
    forest_choices,
    forest_plot,
    render_svg,
)
from extraction.models import Arm, Comparison, Outcome, Study, StudyReport
from extraction.services import extraction_save
from references.models import Reference
from screening.prisma.svg import render_png
from tests.extraction.test_export import more_studies, trials

pytestmark = pytest.mark.django_db
D = Decimal
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def data(review, owner, included):
    """The export's trials, plus overall survival: HARMONi-2 at two data cut-offs (HR 1 and
    0.5), HARMONi-A with an HR of 2 and no interval; and an outcome without data."""
    studies = trials(review, owner, included)
    h2, ha = studies["harmoni2"], studies["harmonia"]

    def save(instance, **fields):
        return extraction_save(instance=instance, user=owner, **fields)

    def arms(study):
        ivo, control = study.arms.order_by("position")
        return ivo, control

    for timepoint, hr, low, high in (("2024-03-01", "1", "0.7", "1.43"),
                                     ("2025-01-01", "0.5", "0.3", "0.8")):  # fmt: skip
        os = save(Outcome(study=h2), name="Overall survival", timepoint=timepoint,
                  kind=OutcomeKind.TIME_TO_EVENT, position=5)  # fmt: skip
        ivo, control = arms(h2)
        save(Comparison(outcome=os, arm=ivo, comparator=control, report=included[0]),
             measure=Measure.HAZARD_RATIO, estimate=D(hr), ci_low=D(low),
             ci_high=D(high))  # fmt: skip
    os = save(Outcome(study=ha), name="OVERALL  survival", kind=OutcomeKind.TIME_TO_EVENT)
    ivo, control = arms(ha)
    save(Comparison(outcome=os, arm=ivo, comparator=control, report=included[2]),
         measure=Measure.HAZARD_RATIO, estimate=D("2"))  # fmt: skip
    save(Outcome(study=ha), name="Duration of response", kind=OutcomeKind.TIME_TO_EVENT)
    return studies


def parse(svg: str):
    return etree.fromstring(svg.encode("utf-8"))


def drawn_rows(root) -> list[dict]:
    """Each row's texts, the centre of its square, and its interval's ends and arrows."""
    rows = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "forest-row":
            continue
        square = next(r for r in group.iter(f"{SVG}rect") if r.get("class") == "estimate")
        ci = [line for line in group.iter(f"{SVG}line") if line.get("class") == "ci"]
        rows.append(
            {
                "texts": [whole(t) for t in group.iter(f"{SVG}text")],
                "shown": [shown(t) for t in group.iter(f"{SVG}text")],
                "x": float(square.get("x")) + float(square.get("width")) / 2,
                "ci": (float(ci[0].get("x1")), float(ci[0].get("x2"))) if ci else None,
                "arrows": len(list(group.iter(f"{SVG}polygon"))),
            }
        )
    return rows


def whole(text) -> str:
    """A label's whole text: its tooltip when it was cut to fit."""
    tooltip = text.find(f"{SVG}title")
    return tooltip.text if tooltip is not None else "".join(text.itertext())


def shown(text) -> str:
    tooltip = text.find(f"{SVG}title")
    return tooltip.tail if tooltip is not None else "".join(text.itertext())


def null_x(root) -> float | None:
    lines = [line for line in root.iter(f"{SVG}line") if line.get("class") == "null-line"]
    assert len(lines) <= 1
    if not lines:
        return None
    assert lines[0].get("x1") == lines[0].get("x2")
    return float(lines[0].get("x1"))


def texts(root) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_the_picker_offers_each_outcome_with_data_grouped_by_name(review, data):
    assert [(c.label, c.measure) for c in forest_choices(review)] == [
        ("Objective response rate: per-arm values (2 studies)", ARMS),
        ("Overall survival: hazard ratio (2 studies)", Measure.HAZARD_RATIO),
        ("Progression-free survival: hazard ratio (2 studies)", Measure.HAZARD_RATIO),
        ("Quality of life: mean difference (1 study)", Measure.MEAN_DIFFERENCE),
    ]  # "Duration of response" has no data; PFS is spelt two ways


def test_the_svg_is_valid_xml_and_holds_each_study_and_estimate(review, data):
    plot = forest_plot(review, "PROGRESSION-FREE SURVIVAL")
    assert plot.measure == Measure.HAZARD_RATIO and plot.log
    root = parse(render_svg(plot))
    rows = drawn_rows(root)
    assert [row["texts"] for row in rows] == [
        ["HARMONi-A", "Ivonescimab + chemotherapy vs Placebo + chemotherapy", "0.46 [0.34, 0.62]"],
        ["HARMONi-2", "Ivonescimab vs Pembrolizumab", "0.51 [0.38, 0.69]"],
    ]
    words = texts(root)
    assert "Hazard ratio (log scale)" in words and "HR [95% CI]" in words
    assert {"0.5", "1", "2"} <= set(words)  # tick labels
    # Below 1, left of the line of no effect; each square inside its interval.
    assert all(row["ci"][0] < row["x"] < row["ci"][1] < null_x(root) for row in rows)
    assert render_png(render_svg(plot)).startswith(b"\x89PNG\r\n\x1a\n")


def test_the_line_of_no_effect_is_at_one_on_a_log_scale(review, data):
    root = parse(render_svg(forest_plot(review, "overall survival")))
    two, one, half = drawn_rows(root)
    # HARMONi-A, then HARMONi-2 at its two data cut-offs (in outcome order).
    assert one["texts"][0] == "HARMONi-2, 2024-03-01" and half["texts"][0].endswith("2025-01-01")
    assert abs(one["x"] - null_x(root)) < 0.01
    assert half["x"] < null_x(root) < two["x"]
    assert abs((null_x(root) - half["x"]) - (two["x"] - null_x(root))) < 0.02
    # Lengths go as the logarithm: 0.3 to 0.8 is drawn longer than 0.7 to 1.43.
    (low, high), (one_low, one_high) = half["ci"], one["ci"]
    expected = math.log(0.8 / 0.3) / math.log(1.43 / 0.7)  # 1.37; linear would be 0.68
    assert (high - low) / (one_high - one_low) == pytest.approx(expected, rel=1e-3)
    # A row without an interval shows its point and says so.
    assert two["texts"][2] == "2 (CI not reported)" and two["ci"] is None


def test_an_interval_that_runs_off_the_axis_ends_in_arrows():
    plot = ForestPlot(
        "Overall survival",
        Measure.ODDS_RATIO,
        [
            ForestRow("Tiny trial", "A vs B", D("0.4"), D("0.001"), D("250")),
            ForestRow("Big trial", "A vs B", D("0.8"), D("0.7"), D("0.9")),
        ],
    )
    root = parse(render_svg(plot))
    tiny, big = drawn_rows(root)
    assert (tiny["arrows"], big["arrows"]) == (2, 0)
    ticks = [t for t in root.iter(f"{SVG}line") if t.get("class") == "axis"]
    axis_x1, axis_x2 = float(ticks[0].get("x1")), float(ticks[0].get("x2"))
    assert tiny["ci"] == (pytest.approx(axis_x1), pytest.approx(axis_x2))
    assert axis_x1 < big["ci"][0] < big["x"] < big["ci"][1] < axis_x2


def test_differences_are_drawn_on_a_linear_axis_about_zero(review, data):
    plot = forest_plot(review, "Quality of life", favours=("ivonescimab", "placebo"))
    root = parse(render_svg(plot))
    (row,) = drawn_rows(root)
    words = texts(root)
    assert row["texts"][2] == "-1.5 [-3, 0]" and "Mean difference" in words
    assert "← Favours ivonescimab" in words and "Favours placebo →" in words
    assert abs(row["ci"][1] - null_x(root)) < 0.01  # the upper bound is 0
    # Linear: -1.5 halfway between -3 and 0.
    assert abs((row["x"] - row["ci"][0]) - (row["ci"][1] - row["x"])) < 0.02


def test_an_outcome_reported_only_by_arm_gets_the_per_arm_plot(review, data):
    plot = forest_plot(review, "Objective response rate")
    assert plot.per_arm and not plot.log and plot.null is None
    root = parse(render_svg(plot))
    rows = drawn_rows(root)
    assert [row["texts"] for row in rows] == [
        ["HARMONi-A", "Ivonescimab + chemotherapy", "50.6 [42.6, 58.6]"],
        ["HARMONi-A", "Placebo + chemotherapy (control)", "35.4 [28, 43.3]"],
        ["HARMONi-2", "Ivonescimab", "50 [43, 57]"],
        ["HARMONi-2", "Pembrolizumab (control)", "38.5 [32, 46]"],
    ]
    assert null_x(root) is None
    assert "Percentage (%)" in texts(root) and "0" in texts(root)
    # A linear axis: equal differences in value, equal distances.
    per_point = (rows[0]["x"] - rows[2]["x"]) / 0.6
    assert rows[2]["x"] - rows[3]["x"] == pytest.approx(11.5 * per_point, abs=0.05)
    # Asking for the per-arm plot of an outcome that has comparisons gives it too.
    pfs = forest_plot(review, "Progression-free survival", ARMS)
    assert pfs.per_arm and [r.text for r in pfs.rows] == ["11.14 (CI not reported)",
                                                          "5.82 [5.03, 8.21]"]  # fmt: skip


def test_text_is_escaped_and_long_labels_are_cut_with_the_whole_in_a_tooltip():
    name = 'Trial <A> & "B" of a very long name that does not fit in the study column at all'
    plot = ForestPlot("Response & <rate>", Measure.RISK_DIFFERENCE,
                      [ForestRow(name, "X vs Y", D("5"), D("-2"), D("12"))])  # fmt: skip
    svg = render_svg(plot)
    root = parse(svg)
    (row,) = drawn_rows(root)
    assert row["texts"][0] == name  # whole in the tooltip
    assert name.startswith(row["shown"][0].removesuffix("…")) and row["shown"][0].endswith("…")
    assert "Response & <rate>: risk difference (percentage points)" in texts(root)


def test_the_page_offers_the_outcomes_draws_one_and_downloads_it(review, data, client_reviewer):
    url = reverse("extraction:forest", args=[review.slug])
    page = client_reviewer.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html  # the first outcome, drawn
    assert page.context["plot"].outcome == "Objective response rate"
    for choice in forest_choices(review):
        assert choice.label in html
    page = client_reviewer.get(url, {"outcome": "progression-free survival", "measure": "hr",
                                     "left": "ivonescimab", "right": "control"})  # fmt: skip
    html = page.content.decode()
    assert "0.46 [0.34, 0.62]" in html and "Favours control" in html
    assert 'aria-current="page"><strong>Progression-free survival: hazard ratio' in html
    for fmt, content_type, magic in (("svg", "image/svg+xml", b"<svg"),
                                     ("png", "image/png", b"\x89PNG")):  # fmt: skip
        response = client_reviewer.get(url, {"outcome": "Progression-free survival",
                                              "measure": "hr", "format": fmt})  # fmt: skip
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == (
            f'attachment; filename="ivonescimab-forest-progression-free-survival-hr.{fmt}"'
        )
        assert response.content.startswith(magic)
    parse(
        client_reviewer.get(url, {"outcome": "Quality of life", "format": "svg"}).content.decode()
    )
    missing = client_reviewer.get(url, {"outcome": "Duration of response"})
    assert missing.status_code == 404 and "nothing to draw" in missing.content.decode()


def test_a_review_without_data_says_so(review, client_owner):
    page = client_owner.get(reverse("extraction:forest", args=[review.slug]))
    assert page.status_code == 200 and "No outcome has data yet" in page.content.decode()


def test_outsiders_see_no_plot(review, data, client_outsider):
    url = reverse("extraction:forest", args=[review.slug])
    assert client_outsider.get(url).status_code == 404
    assert client_outsider.get(url, {"format": "svg"}).status_code == 404


def test_the_forest_page_costs_the_same_queries_at_any_size(
    review, data, client_owner, django_assert_max_num_queries
):
    url = reverse("extraction:forest", args=[review.slug])
    wanted = [{}, {"outcome": "Objective response rate"}, {"outcome": "Progression-free survival",
              "measure": "arms"}, {"outcome": "Overall survival", "format": "svg"}]  # fmt: skip
    small = []
    for params in wanted:
        with django_assert_max_num_queries(15) as counted:
            assert client_owner.get(url, params).status_code == 200
        small.append(len(counted.captured_queries))
    more_studies(review, 25)
    assert len(forest_plot(review, "Objective response rate").rows) == 25  # risk ratios now
    for params, count in zip(wanted, small, strict=True):
        with django_assert_max_num_queries(count):
            assert client_owner.get(url, params).status_code == 200


def test_without_a_choice_the_page_opens_on_the_outcome_with_the_most_data(
    review, data, client_owner
):
    url = reverse("extraction:forest", args=[review.slug])
    # Objective response rate, overall and progression-free survival: 2 studies each; the
    # response rates have the most rows (4 arm values, against 3 and 2 hazard ratios).
    assert client_owner.get(url).context["plot"].outcome == "Objective response rate"
    for i in range(3):
        report = Reference.objects.create(title=f"OS trial {i}", authors=["Doe, J"], year=2024)
        study = Study.objects.create(review=review, name=f"OS trial {i}")
        StudyReport.objects.create(review=review, study=study, reference=report, primary=True)
        arm = Arm.objects.create(study=study, label="Drug", report=report)
        control = Arm.objects.create(study=study, label="Placebo", comparator=True, report=report)
        outcome = Outcome.objects.create(
            study=study, name="Overall survival", kind=OutcomeKind.TIME_TO_EVENT
        )
        Comparison.objects.create(
            outcome=outcome, arm=arm, comparator=control, report=report,
            measure=Measure.HAZARD_RATIO, estimate=D("0.8"), ci_low=D("0.6"), ci_high=D("1.1"),
        )  # fmt: skip
    page = client_owner.get(url)
    assert (page.context["plot"].outcome, page.context["plot"].measure) == (
        "Overall survival",
        Measure.HAZARD_RATIO,
    )
    assert page.context["chosen"].studies == 5 and page.context["chosen"].rows == 6
    assert 'aria-current="page"><strong>Overall survival: hazard ratio (5 studies)' in (
        page.content.decode()
    )
    asked = client_owner.get(url, {"outcome": "Quality of life"})  # a choice still wins
    assert asked.context["plot"].outcome == "Quality of life"


def test_the_default_plot_has_the_most_studies_then_rows_then_comes_first():
    def choice(name, studies, rows):
        return ForestChoice(name, Measure.HAZARD_RATIO, studies, rows)

    assert default_choice([]) is None
    assert default_choice([choice("A", 2, 9), choice("B", 3, 3)]).name == "B"
    assert default_choice([choice("A", 2, 3), choice("B", 2, 4)]).name == "B"
    assert default_choice([choice("A", 2, 4), choice("B", 2, 4)]).name == "A"
