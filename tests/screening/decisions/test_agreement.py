"""Inter-rater agreement (screening.agreement): worked examples with published answers, edge
cases, the CSV cells and hypothesis properties. Pure Python: no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening.constants import Stage
from screening.decisions.agreement import (
    CSV_HEADER,
    MIN_REFERENCES,
    PairAgreement,
    agreement_by_pair,
    csv_row,
    forward,
    overall,
    pair_agreement,
)
from screening.decisions.services import decision_record
from tests.screening.decisions.test_screening import ris

VERDICTS = ("include", "exclude", "maybe")


def table(both_forward: int, a_fwd_b_exc: int, a_exc_b_fwd: int, both_exclude: int):
    """Verdict pairs that make the given 2x2 table (a's verdict first)."""
    return (
        [("include", "include")] * both_forward
        + [("include", "exclude")] * a_fwd_b_exc
        + [("exclude", "include")] * a_exc_b_fwd
        + [("exclude", "exclude")] * both_exclude
    )


def swapped(pairs):
    return [(b, a) for a, b in pairs]


# --- forward -------------------------------------------------------------------------------


@pytest.mark.parametrize(("verdict", "expected"), [("include", True), ("maybe", True)])
def test_include_and_maybe_move_forward(verdict, expected):
    assert forward(verdict) is expected


def test_exclude_does_not_move_forward():
    assert forward("exclude") is False


@pytest.mark.parametrize("verdict", ["", "Include", "EXCLUDE", "excluded", " maybe", None, 1])
def test_unknown_verdict_is_an_error(verdict):
    with pytest.raises(ValueError, match="unknown verdict"):
        forward(verdict)


# --- worked examples with published answers ------------------------------------------------


def test_wikipedia_worked_example():
    # Wikipedia, "Cohen's kappa", section "Simple example": 50 proposals, Yes/Yes 20, Yes/No 5,
    # No/Yes 10, No/No 15 -> p_o = 0.7, p_e = 0.5, kappa = 0.4.
    p = pair_agreement("A", "B", table(20, 5, 10, 15))
    assert (p.n, p.both_forward, p.a_forward_b_exclude, p.a_exclude_b_forward) == (50, 20, 5, 10)
    assert p.both_exclude == 15
    assert p.percent_agreement == pytest.approx(70.0)
    assert p.kappa == pytest.approx(0.4)
    assert p.pabak == pytest.approx(0.4)  # 2 * 0.7 - 1
    # Exactly on the 0.40 boundary: Landis & Koch's "fair" is 0.21-0.40, inclusive.
    assert p.interpretation == "fair"


@pytest.mark.parametrize(
    ("cells", "kappa", "words"),
    [
        # Wikipedia, "Cohen's kappa", section "Same percentages but different numbers": both
        # tables agree on 60 of 100 items, yet kappa is 0.1304 and 0.2593 because the
        # marginals differ.
        ((45, 15, 25, 15), 0.1304, "slight"),
        ((25, 35, 5, 35), 0.2593, "fair"),
    ],
)
def test_wikipedia_same_percentages_different_kappa(cells, kappa, words):
    p = pair_agreement("A", "B", table(*cells))
    assert p.percent_agreement == pytest.approx(60.0)
    assert p.pabak == pytest.approx(0.2)
    assert p.kappa == pytest.approx(kappa, abs=5e-5)
    assert p.interpretation == words


def test_standard_error_and_ci_match_fleiss_paik():
    # statpsych (D. G. Bonett), documentation of ci.kappa, which implements the standard error
    # of Fleiss & Paik (2003), "Statistical Methods for Rates and Proportions", 3rd ed.:
    #   ci.kappa(.05, f00 = 31, f01 = 12, f10 = 4, f11 = 58)
    #   Cohen kappa: Estimate 0.6756757  SE 0.07344761  LL 0.5317210  UL 0.8196303
    # (https://dgbonett.github.io/statpsych/reference/ci.kappa.html). Rating 1 is "forward".
    p = pair_agreement("x", "y", table(58, 12, 4, 31))
    assert p.kappa == pytest.approx(0.6756757, abs=5e-8)
    assert p.kappa_ci_low == pytest.approx(0.5317210, abs=5e-8)
    assert p.kappa_ci_high == pytest.approx(0.8196303, abs=5e-8)
    assert p.interpretation == "substantial"


# --- edge cases ----------------------------------------------------------------------------


def test_maybe_counts_with_include():
    p = pair_agreement("a", "b", [("maybe", "include"), ("include", "maybe"), ("maybe", "exclude")])
    assert (p.both_forward, p.a_forward_b_exclude, p.a_exclude_b_forward, p.both_exclude) == (
        2,
        1,
        0,
        0,
    )


def test_no_common_references():
    p = pair_agreement("a", "b", [])
    assert p == PairAgreement(
        "a", "b", 0, 0, 0, 0, 0, None, None, None, None, None, "", "no reference decided by both"
    )


@pytest.mark.parametrize("verdict", ["include", "maybe", "exclude"])
def test_kappa_undefined_when_both_use_the_same_single_category(verdict):
    # p_e == 1, so kappa is 0/0: reported as None, while the pair visibly agreed.
    p = pair_agreement("a", "b", [(verdict, verdict)] * 12)
    assert p.kappa is None
    assert p.kappa_ci_low is None and p.kappa_ci_high is None
    assert p.interpretation == ""
    assert p.percent_agreement == 100.0
    assert p.pabak == 1.0


def test_opposite_single_categories_give_kappa_zero():
    # Each reviewer used one category, but not the same one: p_e == 0 and kappa is defined.
    p = pair_agreement("a", "b", [("include", "exclude")] * 7)
    assert p.kappa == 0.0
    assert p.percent_agreement == 0.0
    assert p.pabak == -1.0
    assert p.interpretation == "slight"


def test_perfect_agreement_with_both_categories():
    p = pair_agreement("a", "b", table(3, 0, 0, 9))
    assert p.kappa == 1.0
    assert (p.kappa_ci_low, p.kappa_ci_high) == (1.0, 1.0)
    assert p.interpretation == "almost perfect"


@pytest.mark.parametrize(
    ("agree", "disagree", "words"),
    [
        # Balanced tables (a, b, b, a): p_e = 0.5, so kappa = 2 p_o - 1 exactly. In floats
        # 2 * 0.8 - 1 is 0.6000000000000001; the exact computation keeps 0.6 "moderate".
        (1, 4, "poor"),  # p_o 0.2 -> kappa -0.6
        (1, 1, "slight"),  # kappa 0
        (3, 2, "slight"),  # kappa 0.2 (upper bound of "slight")
        (7, 3, "fair"),  # kappa 0.4
        (4, 1, "moderate"),  # kappa 0.6
        (9, 1, "substantial"),  # kappa 0.8
        (19, 1, "almost perfect"),  # kappa 0.9
        (1, 0, "almost perfect"),  # kappa 1
    ],
)
def test_landis_koch_bands(agree, disagree, words):
    p = pair_agreement("a", "b", table(agree, disagree, disagree, agree))
    assert p.interpretation == words


def test_ci_is_clipped_to_minus_one_one():
    # Two references, both disagreements, balanced: kappa -1 with a wide interval.
    p = pair_agreement("a", "b", table(0, 1, 1, 0))
    assert p.kappa == -1.0
    assert p.kappa_ci_low == -1.0
    assert -1.0 <= p.kappa_ci_high <= 1.0


# --- agreement_by_pair and overall ---------------------------------------------------------


def test_agreement_by_pair_three_reviewers():
    judgements = [
        # ref 1: all three judged it -> counts in (ann, bob), (ann, cat), (bob, cat)
        (1, "cat", "include"),
        (1, "bob", "exclude"),
        (1, "ann", "maybe"),
        # ref 2: bob and ann only
        (2, "bob", "include"),
        (2, "ann", "include"),
        # ref 3: one reviewer: in no pair
        (3, "dan", "exclude"),
    ]
    result = agreement_by_pair(judgements)
    assert [(p.reviewer_a, p.reviewer_b, p.n) for p in result] == [
        ("ann", "bob", 2),
        ("ann", "cat", 1),
        ("bob", "cat", 1),
    ]
    ann_bob, ann_cat, bob_cat = result
    # Labels are sorted within a pair, and the table follows the sorted order.
    assert (ann_bob.both_forward, ann_bob.a_forward_b_exclude) == (1, 1)
    assert ann_cat.both_forward == 1
    assert bob_cat.a_exclude_b_forward == 1


def test_agreement_by_pair_reviewers_without_overlap_make_no_pair():
    assert agreement_by_pair([(1, "a", "include"), (2, "b", "include")]) == []
    assert agreement_by_pair([]) == []


def test_agreement_by_pair_rejects_a_second_judgement():
    with pytest.raises(ValueError, match="more than once"):
        agreement_by_pair([(1, "a", "include"), (1, "b", "exclude"), (1, "a", "include")])


def test_agreement_by_pair_rejects_unknown_verdicts_even_without_overlap():
    with pytest.raises(ValueError, match="unknown verdict"):
        agreement_by_pair([(1, "a", "include"), (2, "b", "excluded")])


def test_overall_pools_the_tables():
    pairs = [
        pair_agreement("a", "b", table(10, 2, 3, 5)),
        pair_agreement("a", "c", table(10, 3, 2, 10)),
    ]
    pooled = overall(pairs)
    assert pooled == pair_agreement("all", "all", table(20, 5, 5, 15))
    assert (pooled.reviewer_a, pooled.reviewer_b, pooled.n) == ("all", "all", 45)


def test_overall_of_nothing():
    pooled = overall([])
    assert pooled.n == 0
    assert pooled.kappa is None
    assert pooled.interpretation == ""


# --- CSV -----------------------------------------------------------------------------------


def test_csv_header():
    assert CSV_HEADER == [
        "reviewer_a",
        "reviewer_b",
        "n",
        "both_forward",
        "a_forward_b_exclude",
        "a_exclude_b_forward",
        "both_exclude",
        "percent_agreement",
        "kappa",
        "kappa_ci_low",
        "kappa_ci_high",
        "pabak",
        "interpretation",
        "note",
    ]


def test_csv_row_formats_numbers():
    p = pair_agreement("Ann", "Bob", table(20, 5, 10, 15))
    row = csv_row(p)
    assert len(row) == len(CSV_HEADER)
    cells = dict(zip(CSV_HEADER, row, strict=True))
    assert cells == {
        "reviewer_a": "Ann",
        "reviewer_b": "Bob",
        "n": "50",
        "both_forward": "20",
        "a_forward_b_exclude": "5",
        "a_exclude_b_forward": "10",
        "both_exclude": "15",
        "percent_agreement": "70.0",
        "kappa": "0.400",
        "kappa_ci_low": f"{p.kappa_ci_low:.3f}",
        "kappa_ci_high": f"{p.kappa_ci_high:.3f}",
        "pabak": "0.400",
        "interpretation": "fair",
        "note": "",
    }


def test_csv_row_blank_for_none():
    row = csv_row(pair_agreement("a", "b", [("include", "include")]))
    cells = dict(zip(CSV_HEADER, row, strict=True))
    assert cells["percent_agreement"] == "100.0"
    assert cells["pabak"] == "1.000"
    assert [cells[k] for k in ("kappa", "kappa_ci_low", "kappa_ci_high", "interpretation")] == [
        ""
    ] * 4
    assert cells["note"] == "kappa not estimable: every decision was the same"
    assert csv_row(overall([]))[7:] == [""] * 6 + [
        "kappa not estimable: no reference decided by both"
    ]


def test_csv_row_never_prints_negative_zero():
    p = PairAgreement("a", "b", 1, 1, 0, 0, 0, 100.0, -0.0001, 0.0, -0.0002, 0.0003, "poor")
    cells = dict(zip(CSV_HEADER, csv_row(p), strict=True))
    assert cells["kappa"] == "0.000"
    assert cells["kappa_ci_low"] == "0.000"
    assert cells["pabak"] == "0.000"


# --- properties ----------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=300)
verdict_pairs = st.lists(st.tuples(st.sampled_from(VERDICTS), st.sampled_from(VERDICTS)))


@given(counts, counts, counts, counts)
def test_bounds_and_counts(f_f, f_e, e_f, e_e):
    p = pair_agreement("a", "b", table(f_f, f_e, e_f, e_e))
    assert p.n == f_f + f_e + e_f + e_e
    assert p.both_forward + p.a_forward_b_exclude + p.a_exclude_b_forward + p.both_exclude == p.n
    if p.n == 0:
        assert p.percent_agreement is None and p.pabak is None and p.kappa is None
        return
    assert 0.0 <= p.percent_agreement <= 100.0
    assert -1.0 <= p.pabak <= 1.0
    if p.kappa is None:
        # Undefined only when both reviewers used the same single category.
        assert f_f == p.n or e_e == p.n
        assert p.kappa_ci_low is None and p.kappa_ci_high is None and p.interpretation == ""
        return
    assert -1.0 <= p.kappa <= 1.0
    assert -1.0 <= p.kappa_ci_low <= p.kappa <= p.kappa_ci_high <= 1.0
    assert p.interpretation
    # The exact computation agrees with the textbook float formula.
    n = p.n
    p_o = (f_f + e_e) / n
    p_e = (f_f + f_e) / n * (f_f + e_f) / n + (e_f + e_e) / n * (f_e + e_e) / n
    assert p.kappa == pytest.approx((p_o - p_e) / (1 - p_e), abs=1e-9)


@given(verdict_pairs)
def test_counts_add_up_to_n(pairs):
    p = pair_agreement("a", "b", pairs)
    assert p.n == len(pairs)
    assert p.both_forward + p.a_forward_b_exclude + p.a_exclude_b_forward + p.both_exclude == p.n
    assert p.both_forward == sum(1 for a, b in pairs if forward(a) and forward(b))


@given(verdict_pairs)
def test_swapping_reviewers_changes_nothing_but_the_labels(pairs):
    p = pair_agreement("a", "b", pairs)
    q = pair_agreement("b", "a", swapped(pairs))
    assert q.kappa == p.kappa
    assert q.percent_agreement == p.percent_agreement
    assert q.pabak == p.pabak
    assert (q.kappa_ci_low, q.kappa_ci_high) == (p.kappa_ci_low, p.kappa_ci_high)
    assert (q.a_forward_b_exclude, q.a_exclude_b_forward) == (
        p.a_exclude_b_forward,
        p.a_forward_b_exclude,
    )


@given(st.integers(min_value=1, max_value=500), st.integers(min_value=1, max_value=500))
def test_perfect_agreement_with_both_categories_is_kappa_one(n_forward, n_exclude):
    p = pair_agreement("a", "b", table(n_forward, 0, 0, n_exclude))
    assert p.kappa == 1.0
    assert p.kappa_ci_low == p.kappa_ci_high == 1.0
    assert p.percent_agreement == 100.0
    assert p.pabak == 1.0


REVIEWERS = ("ann", "bob", "cat", "dan")
judgement_sets = st.dictionaries(
    st.tuples(st.integers(min_value=0, max_value=20), st.sampled_from(REVIEWERS)),
    st.sampled_from(VERDICTS),
    max_size=60,
).map(lambda d: [(ref, label, verdict) for (ref, label), verdict in d.items()])


@given(st.data(), judgement_sets)
def test_agreement_by_pair_is_order_independent(data, judgements):
    shuffled = data.draw(st.permutations(judgements))
    assert agreement_by_pair(shuffled) == agreement_by_pair(judgements)


@given(judgement_sets)
def test_agreement_by_pair_matches_pair_agreement(judgements):
    verdicts = {(ref, label): verdict for ref, label, verdict in judgements}
    refs = sorted({ref for ref, _ in verdicts})
    result = agreement_by_pair(judgements)
    assert [(p.reviewer_a, p.reviewer_b) for p in result] == sorted(
        (p.reviewer_a, p.reviewer_b) for p in result
    )
    seen = set()
    for p in result:
        assert p.reviewer_a < p.reviewer_b
        common = [
            (verdicts[(ref, p.reviewer_a)], verdicts[(ref, p.reviewer_b)])
            for ref in refs
            if (ref, p.reviewer_a) in verdicts and (ref, p.reviewer_b) in verdicts
        ]
        assert p == pair_agreement(p.reviewer_a, p.reviewer_b, common)
        seen.add((p.reviewer_a, p.reviewer_b))
    # Every pair with a reference in common is there, and no other.
    for a in REVIEWERS:
        for b in REVIEWERS:
            if a < b:
                overlap = any((ref, a) in verdicts and (ref, b) in verdicts for ref in refs)
                assert ((a, b) in seen) == overlap


@given(judgement_sets)
def test_overall_is_the_summed_table(judgements):
    result = agreement_by_pair(judgements)
    sums = [
        sum(p.both_forward for p in result),
        sum(p.a_forward_b_exclude for p in result),
        sum(p.a_exclude_b_forward for p in result),
        sum(p.both_exclude for p in result),
    ]
    pooled = overall(result)
    assert pooled == pair_agreement("all", "all", table(*sums))
    assert pooled.n == sum(p.n for p in result)


def test_the_agreement_csv_keeps_a_name_that_begins_like_a_formula_as_text(
    client_owner, review, owner, reviewer, import_text
):
    reviewer.username = "-2+3"
    reviewer.save(update_fields=["username"])
    search = import_text(ris(1), name="embase.ris", source="Embase")
    for who in (owner, reviewer):
        decision_record(
            review=review, reference=search.records.get().reference,
            stage=Stage.TITLE_ABSTRACT, reviewer=who, verdict="include",
        )  # fmt: skip
    text = client_owner.get(f"/r/{review.slug}/agreement/", {"format": "csv"}).content.decode()
    assert "'-2+3" in text and ",-2+3" not in text


# --- not estimable -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "why"),
    [
        ((3, 1, 1, 3), "fewer than 10 references decided by both"),
        ((12, 0, 0, 0), "every decision was the same"),
        ((0, 0, 0, 12), "every decision was the same"),
        ((8, 4, 0, 0), "ann made the same decision on every reference"),
        ((8, 0, 4, 0), "bob made the same decision on every reference"),
        ((0, 12, 0, 0), "each reviewer made the same decision on every reference"),
        ((5, 0, 0, 5), ""),  # perfect agreement on both decisions: kappa 1, estimable
        ((6, 2, 1, 1), ""),
    ],
)
def test_kappa_is_not_estimable_with_too_few_references_or_one_decision(cells, why):
    p = pair_agreement("ann", "bob", table(*cells))
    assert p.not_estimable == why
    row = dict(zip(CSV_HEADER, csv_row(p), strict=True))
    if why:
        assert [row[k] for k in ("kappa", "kappa_ci_low", "kappa_ci_high")] == ["", "", ""]
        assert row["interpretation"] == ""
        assert row["note"] == f"kappa not estimable: {why}"
        assert row["percent_agreement"] and row["pabak"]  # still reported
    else:
        assert row["kappa"] and row["kappa_ci_low"] and row["note"] == ""


def test_the_threshold_is_ten_references_decided_by_both():
    assert MIN_REFERENCES == 10
    assert pair_agreement("a", "b", table(4, 1, 1, 3)).not_estimable  # 9
    assert pair_agreement("a", "b", table(4, 1, 1, 4)).not_estimable == ""  # 10


def test_pooled_pairs_say_which_side_made_one_decision():
    pooled = overall([pair_agreement("a", "b", table(6, 2, 0, 0)),
                      pair_agreement("a", "c", table(4, 3, 0, 0))])  # fmt: skip
    assert (
        pooled.not_estimable
        == "one reviewer of every pair made the same decision on every reference"
    )


@given(counts, counts, counts, counts)
def test_an_estimable_kappa_has_a_real_interval(f_f, f_e, e_f, e_e):
    p = pair_agreement("a", "b", table(f_f, f_e, e_f, e_e))
    if p.not_estimable:
        return
    assert p.n >= MIN_REFERENCES and p.kappa is not None and p.interpretation
    # The interval collapses only where agreement is perfect or perfectly reversed.
    if p.kappa_ci_low == p.kappa_ci_high:
        assert p.kappa in (1.0, -1.0)


def test_the_agreement_page_says_not_estimable_and_why(
    client_owner, review, owner, reviewer, import_text
):
    search = import_text(ris(12), name="embase.ris", source="Embase")
    references = [record.reference for record in search.records.order_by("position")]

    def vote(refs, owner_says, reviewer_says):
        for ref in refs:
            for who, verdict in ((owner, owner_says), (reviewer, reviewer_says)):
                decision_record(review=review, reference=ref, stage=Stage.TITLE_ABSTRACT,
                                reviewer=who, verdict=verdict)  # fmt: skip

    vote(references[:3], "include", "include")
    page = client_owner.get(f"/r/{review.slug}/agreement/").content.decode()
    assert "Not estimable" in page and "Every decision was the same" in page
    assert "0.000 (0.000 to 0.000)" not in page
    vote(references[3:10], "include", "maybe")
    vote(references[10:], "include", "exclude")  # 12 now, but olivia always says include
    page = client_owner.get(f"/r/{review.slug}/agreement/").content.decode()
    assert "Olivia-owner made the same decision on every reference" in page
    csv_text = client_owner.get(f"/r/{review.slug}/agreement/", {"format": "csv"}).content
    rows = [line.split(",") for line in csv_text.decode().splitlines()]
    assert rows[0][-1] == "note" and rows[1][9] == ""
    assert (
        rows[1][-1] == "kappa not estimable: olivia-owner made the same decision on every reference"
    )
