"""The risk-of-bias plots: the traffic light (each cell's colour and symbol, the overall column
set apart, tooltips, escaped labels, long labels clear of the circles, the legend), the summary
(exact weighted and unweighted shares, robvis's order, the axis), the colour-blind scheme, the
refusals, and PNG. The SVG is parsed as XML; the expected numbers are worked out by hand here."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from risk_of_bias.plot_summary import summary_svg
from risk_of_bias.plot_traffic import traffic_light_svg
from risk_of_bias.plots import (
    COLOUR_SCHEMES,
    HIGH,
    LOW,
    NO_INFORMATION,
    SOME_CONCERNS,
    PlotDomain,
    PlotRow,
    plot_png,
)

NS = "{http://www.w3.org/2000/svg}"
# robvis's colours (github.com/mcguinlu/robvis, R/helpers.R) and symbols, written out here so
# the test does not check the module against itself.
COCHRANE = {LOW: "#02C100", SOME_CONCERNS: "#E2DF07", HIGH: "#BF0000", NO_INFORMATION: "#4EA1F7"}
COLOURBLIND = {LOW: "#fed98e", SOME_CONCERNS: "#fe9929", HIGH: "#d95f0e", NO_INFORMATION: "#ffffff"}
SYMBOL = {LOW: "+", SOME_CONCERNS: "-", HIGH: "X", NO_INFORMATION: "?"}
DOMAINS = [
    PlotDomain("D1", "Bias arising from the randomization process"),
    PlotDomain("D2", "Bias due to deviations from intended interventions"),
    PlotDomain("D3", "Bias due to missing outcome data"),
    PlotDomain("D4", "Bias in measurement of the outcome"),
    PlotDomain("D5", "Bias in selection of the reported result"),
]
IDS = [d.id for d in DOMAINS]


def row(label, judgements, overall, weight=1.0, note=""):
    return PlotRow(label, dict(zip(IDS, judgements, strict=True)), overall, weight, note)


ROWS = [
    row("HARMONi-A · PFS", [LOW, LOW, SOME_CONCERNS, LOW, LOW], SOME_CONCERNS, 322, "demo data"),
    row("HARMONi-2 · OS", [LOW, HIGH, LOW, NO_INFORMATION, LOW], HIGH, 398),
    row("HARMONi-6 · ORR", [SOME_CONCERNS, LOW, LOW, LOW, LOW], SOME_CONCERNS, 1),
    row("KEYNOTE-789 · PFS", [NO_INFORMATION, LOW, LOW, LOW, HIGH], HIGH, 120),
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def cells(root: ET.Element) -> list[ET.Element]:
    return root.findall(f".//{NS}g[@class='cell']")


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{NS}text")]


# The traffic light ----------------------------------------------------------------------------


def test_each_cell_is_a_circle_in_its_judgements_colour_with_its_symbol():
    root = parse(traffic_light_svg(ROWS, DOMAINS, title="RoB 2"))
    drawn = cells(root)
    assert len(drawn) == len(ROWS) * (len(DOMAINS) + 1)
    expected = Counter(j for r in ROWS for j in [*r.judgements.values(), r.overall])
    fills = Counter(cell.find(f"{NS}circle").get("fill") for cell in drawn)
    assert fills == Counter({COCHRANE[j]: n for j, n in expected.items()})
    for cell in drawn:
        judgement = cell.get("data-judgement")
        assert cell.find(f"{NS}circle").get("fill") == COCHRANE[judgement]
        assert cell.find(f"{NS}text").text == SYMBOL[judgement]


def test_cells_follow_the_rows_and_columns_with_a_tooltip_each():
    root = parse(traffic_light_svg(ROWS, DOMAINS, title="RoB 2"))
    drawn = cells(root)
    columns = [*IDS, "Overall"]
    for i, r in enumerate(ROWS):
        for k, column in enumerate(columns):
            cell = drawn[i * len(columns) + k]
            judgement = r.overall if column == "Overall" else r.judgements[column]
            assert cell.get("data-column") == column
            assert cell.find(f"{NS}title").text == f"{r.label}, {column}: {judgement}"
    assert drawn[0].find(f"{NS}title").text == "HARMONi-A · PFS, D1: low"


def test_the_overall_column_is_grey_and_set_apart():
    root = parse(traffic_light_svg(ROWS, DOMAINS, title="RoB 2"))
    children = list(root)
    first_row = cells(root)[:6]
    # Each cell's background is the rect drawn just before its light.
    backgrounds = [children[children.index(cell) - 1] for cell in first_row]
    assert [b.get("fill") for b in backgrounds] == ["#ffffff"] * 5 + ["#d3d3d3"]
    x = [float(b.get("x")) for b in backgrounds]
    right = [float(b.get("x")) + float(b.get("width")) for b in backgrounds]
    assert all(right[k] == pytest.approx(x[k + 1]) for k in range(4))  # D1..D5 touch
    assert x[5] > right[4] + 4  # a gap before Overall
    assert [c.get("data-judgement") for c in cells(root)[5::6]] == [r.overall for r in ROWS]
    assert {"D1", "D2", "D3", "D4", "D5", "Overall", "Risk of bias domains"} <= set(texts(root))


def test_the_legend_names_the_domains_and_the_judgements():
    root = parse(traffic_light_svg(ROWS, DOMAINS, title="RoB 2"))
    words = texts(root)
    assert "Judgement" in words and "Domains:" in words
    for domain in DOMAINS:
        assert f"{domain.id}: {domain.name}" in words
    keys = root.findall(f".//{NS}g[@class='key']")
    assert {k.get("data-judgement") for k in keys} == set(COCHRANE)
    for key in keys:
        judgement = key.get("data-judgement")
        assert key.find(f"{NS}circle").get("fill") == COCHRANE[judgement]
        assert key.find(f"{NS}text").text == SYMBOL[judgement]
    for word in ("High", "Some concerns", "Low", "No information"):
        assert word in words


def test_labels_and_titles_stay_text():
    nasty = row('<b>Trial</b> & "co"', [LOW] * 5, LOW, note="<&>")
    svg = traffic_light_svg([nasty], DOMAINS, title="Risk <&> bias")
    root = parse(svg)
    assert "<b>" not in svg
    assert root.find(f"{NS}title").text == "Risk <&> bias"
    label = root.find(f".//{NS}text[@class='label']")
    assert "".join(label.itertext()) == '<b>Trial</b> & "co"  <&>'
    assert cells(root)[0].find(f"{NS}title").text == '<b>Trial</b> & "co", D1: low'


def test_the_plot_is_one_image_named_and_described():
    root = parse(traffic_light_svg(ROWS, DOMAINS, title="Risk of bias: PFS"))
    assert root.get("role") == "img"
    ids = root.get("aria-labelledby").split()
    named = {e.get("id"): "".join(e.itertext()) for e in root if e.get("id")}
    assert named[ids[0]] == "Risk of bias: PFS"
    description = named[ids[1]]
    assert "HARMONi-2 · OS: D1 low, D2 high, D3 low, D4 no information, D5 low" in description
    assert "overall high" in description
    assert "href" not in ET.tostring(root, encoding="unicode")  # no external resource


# Arial's advance widths (em) of the characters in the long label below.
ARIAL = {" ": 0.278, "·": 0.278, "-": 0.333, "e": 0.556, "n": 0.556, "d": 0.556, "a": 0.556,
         "s": 0.5, "i": 0.222, "r": 0.333, "l": 0.222, "t": 0.278, "o": 0.556, "m": 0.833,
         "p": 0.556, "c": 0.5, "v": 0.5, "b": 0.556, "y": 0.5, "u": 0.556, "f": 0.278,
         "g": 0.556, "w": 0.722, "A": 0.667, "H": 0.722, "R": 0.722, "M": 0.833, "O": 0.778,
         "N": 0.722, "P": 0.667, "…": 1.0}  # fmt: skip


def test_a_long_label_is_cut_before_the_circles_and_kept_whole_in_its_tooltip():
    long = (
        "HARMONi-A · Progression-free survival assessed by blinded independent central "
        "review at the final analysis with every patient followed up"
    )
    root = parse(traffic_light_svg([row(long, [LOW] * 5, LOW, note="demo data")], DOMAINS,
                                   title="RoB 2"))  # fmt: skip
    label = root.find(f".//{NS}text[@class='label']")
    shown = label.find(f"{NS}title").tail  # the tooltip comes first
    note = label.find(f"{NS}tspan").text
    assert shown.endswith("…") and long.startswith(shown[:-1])
    assert label.find(f"{NS}title").text == long
    # The label's true width in Arial at 13px, and its note's at 11px, end before the first
    # circle's left edge.
    width = 13 * sum(ARIAL[c] for c in shown) + 11 * sum(ARIAL[c] for c in note)
    first = cells(root)[0].find(f"{NS}circle")
    assert float(label.get("x")) + width < float(first.get("cx")) - float(first.get("r"))


# The summary -----------------------------------------------------------------------------------

THREE = [
    row("A", [LOW, SOME_CONCERNS, LOW, LOW, LOW], HIGH, 322),
    row("B", [LOW, HIGH, LOW, LOW, NO_INFORMATION], HIGH, 398),
    row("C", [HIGH, NO_INFORMATION, LOW, LOW, LOW], SOME_CONCERNS, 1),
]


def bars(root: ET.Element) -> tuple[float, float, dict[str, list[tuple[str, float, float]]]]:
    """The axis' ends (0% and 100%), and each bar's segments (judgement, x, width) by its
    label, read in order of y."""
    axis = next(line for line in root.iter(f"{NS}line") if line.get("y1") == line.get("y2"))
    left, right = float(axis.get("x1")), float(axis.get("x2"))
    labels = [t for t in root.iter(f"{NS}text") if t.get("text-anchor") == "end"]
    segments = root.findall(f".//{NS}rect[@class='segment']")
    found = {}
    for label in labels:
        y = float(label.get("y"))
        found[label.text] = [
            (s.get("data-judgement"), float(s.get("x")), float(s.get("width")))
            for s in segments
            if float(s.get("y")) < y < float(s.get("y")) + float(s.get("height"))
        ]
    return left, right, found


def test_weighted_shares_are_exact_fractions_of_the_bar():
    left, right, found = bars(parse(summary_svg(THREE, DOMAINS, title="RoB 2")))
    full = right - left
    # By hand: the weights total 322 + 398 + 1 = 721.
    expected = {
        DOMAINS[0].name: [(LOW, 720), (HIGH, 1)],
        DOMAINS[1].name: [(SOME_CONCERNS, 322), (HIGH, 398), (NO_INFORMATION, 1)],
        DOMAINS[2].name: [(LOW, 721)],
        DOMAINS[4].name: [(LOW, 323), (NO_INFORMATION, 398)],
        "Overall risk of bias": [(SOME_CONCERNS, 1), (HIGH, 720)],
    }
    for name, parts in expected.items():
        x = left
        assert [s[0] for s in found[name]] == [j for j, _ in parts]
        for (_, seg_x, seg_w), (_, weight) in zip(found[name], parts, strict=True):
            assert seg_x == pytest.approx(x, abs=0.01)
            assert seg_w == pytest.approx(full * weight / 721, abs=0.01)
            x += full * weight / 721
        assert x == pytest.approx(right, abs=0.01)
        assert sum(s[2] for s in found[name]) == pytest.approx(full, abs=0.01)


def test_unweighted_counts_each_result_once():
    svg = summary_svg(THREE, DOMAINS, title="RoB 2", weighted=False)
    left, right, found = bars(parse(svg))
    full = right - left
    assert [(j, round(w, 2)) for j, _, w in found[DOMAINS[1].name]] == [
        (SOME_CONCERNS, round(full / 3, 2)),
        (HIGH, round(full / 3, 2)),
        (NO_INFORMATION, round(full / 3, 2)),
    ]
    assert [(j, round(w, 2)) for j, _, w in found[DOMAINS[0].name]] == [
        (LOW, round(full * 2 / 3, 2)),
        (HIGH, round(full / 3, 2)),
    ]
    assert "Unweighted: each result counts once." in texts(parse(svg))


def test_the_summary_reads_as_robvis():
    root = parse(summary_svg(THREE, DOMAINS, title="Risk of bias <summary>"))
    assert root.find(f"{NS}title").text == "Risk of bias <summary>"
    labels = [t for t in root.iter(f"{NS}text") if t.get("text-anchor") == "end"]
    assert [t.text for t in labels] == [d.name for d in DOMAINS] + ["Overall risk of bias"]
    assert [float(t.get("y")) for t in labels] == sorted(float(t.get("y")) for t in labels)
    assert labels[-1].get("font-weight") == "bold"
    words = texts(root)
    assert [w for w in words if w.endswith("%")] == ["0%", "25%", "50%", "75%", "100%"]
    for word in ("Low risk", "Some concerns", "High risk", "No information"):
        assert word in words
    segments = root.findall(f".//{NS}rect[@class='segment']")
    assert {s.get("fill") for s in segments} <= set(COCHRANE.values())
    tips = [s.find(f"{NS}title").text for s in segments]
    assert f"{DOMAINS[0].name}: Low risk 99.9%" in tips  # 720 / 721
    assert "Overall risk of bias: Some concerns 0.1%" in tips


# Both ------------------------------------------------------------------------------------------


def test_the_colourblind_scheme_changes_the_fills():
    light = parse(traffic_light_svg(ROWS, DOMAINS, title="RoB 2", colours="colourblind"))
    for cell in cells(light):
        assert cell.find(f"{NS}circle").get("fill") == COLOURBLIND[cell.get("data-judgement")]
    summary = parse(summary_svg(ROWS, DOMAINS, title="RoB 2", colours="colourblind"))
    for segment in summary.findall(f".//{NS}rect[@class='segment']"):
        assert segment.get("fill") == COLOURBLIND[segment.get("data-judgement")]
        assert segment.get("stroke") == "#000000"  # white "no information" still shows
    assert COLOUR_SCHEMES == {"cochrane": COCHRANE, "colourblind": COLOURBLIND}


@pytest.mark.parametrize("draw", [traffic_light_svg, summary_svg])
def test_what_cannot_be_drawn_is_refused(draw):
    with pytest.raises(ValueError, match="needs at least one assessed result"):
        draw([], DOMAINS, title="RoB 2")
    with pytest.raises(ValueError, match="'moderate'"):
        draw([row("A", [LOW, "moderate", LOW, LOW, LOW], LOW)], DOMAINS, title="RoB 2")
    with pytest.raises(ValueError, match="'Low'"):
        draw([row("A", [LOW] * 5, "Low")], DOMAINS, title="RoB 2")
    with pytest.raises(ValueError, match="no judgement for D5"):
        draw([PlotRow("A", {"D1": LOW, "D2": LOW, "D3": LOW, "D4": LOW}, LOW)], DOMAINS,
             title="RoB 2")  # fmt: skip
    with pytest.raises(ValueError, match="colour scheme 'pink'"):
        draw(ROWS, DOMAINS, title="RoB 2", colours="pink")


def test_weights_that_cannot_share_out_are_refused():
    with pytest.raises(ValueError, match="weight of 'A'"):
        summary_svg([row("A", [LOW] * 5, LOW, -1)], DOMAINS, title="RoB 2")
    with pytest.raises(ValueError, match="add up to 0"):
        summary_svg([row("A", [LOW] * 5, LOW, 0)], DOMAINS, title="RoB 2")
    # Unweighted, the weights do not matter.
    assert summary_svg([row("A", [LOW] * 5, LOW, 0)], DOMAINS, title="RoB 2", weighted=False)


def test_both_plots_render_as_png():
    for svg in (
        traffic_light_svg(ROWS, DOMAINS, title="RoB 2"),
        summary_svg(ROWS, DOMAINS, title="RoB 2", colours="colourblind"),
    ):
        assert plot_png(svg).startswith(b"\x89PNG")
