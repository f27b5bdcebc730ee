"""RoB 2's algorithms, checked three ways against the guidance (Higgins, Savović, Page, Sterne,
"Revised Cochrane risk-of-bias tool for randomized trials (RoB 2)", 22 August 2019, riskofbias.info;
Sterne et al., BMJ 2019;366:l4898):

1. the leaf tables of rob2_tables.py, one row per leaf of each domain's algorithm figure;
2. every combination of responses to every question of each domain (itertools.product), against
   EXPECTED below: nested if/else walking each figure, written in another form than the data's
   first-match rules, so that a mistake in one shows against the other;
3. which questions are asked, against ASKED below: each question's condition written as the
   whole path of the figure that reaches it (the data chains one condition on the previous).

No database: pure functions.
"""

from __future__ import annotations

import itertools

import pytest

from risk_of_bias.tool import (
    HIGH,
    JUDGEMENTS,
    LOW,
    NA,
    RESPONSES,
    SOME_CONCERNS,
    TOOLS,
    applicable,
    propose,
    propose_overall,
    tool,
)
from tests.risk_of_bias.rob2_tables import (
    COUNTS,
    QUESTIONS,
    TABLES,
    VARIANTS,
    every_combination,
    expand,
)

SC = SOME_CONCERNS
Y_PY, N_PN = ("Y", "PY"), ("N", "PN")
Y_PY_NI, N_PN_NI = ("Y", "PY", "NI"), ("N", "PN", "NI")


def domain_of(variant: str):
    key, domain_id = VARIANTS[variant]
    return tool(key).domain(domain_id)


def asked_ids(domain, answers: dict) -> list[str]:
    return [q.id for q in applicable(domain, answers)]


def aware(a: dict) -> bool:
    """D2: participants, or carers and people delivering the interventions, aware (or NI)."""
    return a["2.1"] in Y_PY_NI or a["2.2"] in Y_PY_NI


# Each conditional question, and the path of the figure on which it is asked.
ASKED = {
    "D2-assignment": {
        "2.3": aware,
        "2.4": lambda a: aware(a) and a["2.3"] in Y_PY,
        "2.5": lambda a: aware(a) and a["2.3"] in Y_PY and a["2.4"] in Y_PY_NI,
        "2.7": lambda a: a["2.6"] in N_PN_NI,
    },
    "D2-adherence": {
        "2.3": aware,
        "2.6": lambda a: (
            (aware(a) and a["2.3"] in N_PN_NI) or a["2.4"] in Y_PY_NI or a["2.5"] in Y_PY_NI
        ),
    },
    "D3": {
        "3.2": lambda a: a["3.1"] in N_PN_NI,
        "3.3": lambda a: a["3.1"] in N_PN_NI and a["3.2"] in N_PN,
        "3.4": lambda a: a["3.1"] in N_PN_NI and a["3.2"] in N_PN and a["3.3"] in Y_PY_NI,
    },
    "D4": {
        "4.3": lambda a: a["4.1"] in N_PN_NI and a["4.2"] in N_PN_NI,
        "4.4": lambda a: a["4.1"] in N_PN_NI and a["4.2"] in N_PN_NI and a["4.3"] in Y_PY_NI,
        "4.5": lambda a: (
            a["4.1"] in N_PN_NI
            and a["4.2"] in N_PN_NI
            and a["4.3"] in Y_PY_NI
            and a["4.4"] in Y_PY_NI
        ),
    },
}


def asked(variant: str, answers: dict) -> list[str]:
    conditions = ASKED.get(variant, {})
    return [q for q in QUESTIONS[variant] if q not in conditions or conditions[q](answers)]


# The figures as nested if/else. Each reads a question only on the path that asks it, so the
# answers given to skipped questions cannot matter.
def d1(a):
    if a["1.2"] in Y_PY:  # concealed
        if a["1.1"] in N_PN:
            return SC
        return SC if a["1.3"] in Y_PY else LOW
    if a["1.2"] == "NI":
        return HIGH if a["1.3"] in Y_PY else SC
    return HIGH  # not concealed


def d2_assignment(a):
    if not aware(a) or a["2.3"] in N_PN:
        part1 = LOW
    elif a["2.3"] == "NI" or a["2.4"] in N_PN:
        part1 = SC
    else:
        part1 = SC if a["2.5"] in Y_PY else HIGH
    if a["2.6"] in Y_PY:
        part2 = LOW
    elif a["2.7"] in N_PN:
        part2 = SC
    else:
        part2 = HIGH
    if part1 == HIGH or part2 == HIGH:
        return HIGH
    return LOW if part1 == part2 == LOW else SC


def d2_adherence(a):
    if aware(a) and a["2.3"] in N_PN_NI:
        to_analysis = True  # unbalanced (or unknown) non-protocol interventions
    else:
        to_analysis = a["2.4"] in Y_PY_NI or a["2.5"] in Y_PY_NI
    if not to_analysis:
        return LOW
    return SC if a["2.6"] in Y_PY else HIGH


def d3(a):
    if a["3.1"] in Y_PY or a["3.2"] in Y_PY or a["3.3"] in N_PN:
        return LOW
    return SC if a["3.4"] in N_PN else HIGH


def d4(a):
    if a["4.1"] in Y_PY or a["4.2"] in Y_PY:
        return HIGH
    best = LOW if a["4.2"] in N_PN else SC  # 4.2 NI: the copy of the branch without "low"
    if a["4.3"] in N_PN or a["4.4"] in N_PN:
        return best
    return SC if a["4.5"] in N_PN else HIGH


def d5(a):
    if a["5.2"] in Y_PY or a["5.3"] in Y_PY:
        return HIGH
    if a["5.2"] == "NI" or a["5.3"] == "NI":
        return SC
    return LOW if a["5.1"] in Y_PY else SC


EXPECTED = {
    "D1": d1,
    "D2-assignment": d2_assignment,
    "D2-adherence": d2_adherence,
    "D3": d3,
    "D4": d4,
    "D5": d5,
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_questions_and_responses_are_the_guidances(variant):
    domain = domain_of(variant)
    assert [(q.id, q.responses) for q in domain.questions] == list(QUESTIONS[variant].items())
    assert all(q.text.endswith("?") for q in domain.questions)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_combination_against_the_figure(variant):
    domain = domain_of(variant)
    distinct = set()
    for answers in every_combination(variant):
        ids = asked(variant, answers)
        assert asked_ids(domain, answers) == ids, answers
        expected = EXPECTED[variant](answers)
        assert propose(domain, answers) == expected, answers
        only_asked = {q: answers[q] for q in ids}
        assert propose(domain, only_asked) == expected, only_asked
        distinct.add(tuple(only_asked.items()))
    assert len(distinct) == COUNTS[variant]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_leaf_of_the_table(variant):
    domain = domain_of(variant)
    seen = []
    for row in TABLES[variant]:
        for answers in expand(variant, row):
            assert asked_ids(domain, answers) == list(answers), (row, answers)
            assert propose(domain, answers) == row[-1], (row, answers)
            seen.append(tuple(answers.items()))
    # The rows of the table cover every complete set of answers exactly once.
    assert len(seen) == len(set(seen)) == COUNTS[variant]


@pytest.mark.parametrize("variant", VARIANTS)
def test_incomplete_answers_propose_nothing(variant):
    domain = domain_of(variant)
    assert propose(domain, {}) is None
    for row in TABLES[variant]:
        answers = expand(variant, row)[0]
        for qid in answers:
            # The question left out still applies: its condition is on earlier questions only.
            assert propose(domain, {q: v for q, v in answers.items() if q != qid}) is None
            assert propose(domain, {**answers, qid: ""}) is None


def test_a_skipped_question_is_not_asked_and_its_answer_ignored():
    d3_domain = domain_of("D3")
    complete = {"3.1": "Y"}
    assert asked_ids(d3_domain, complete) == ["3.1"]
    stale = {**complete, "3.2": "N", "3.3": "Y", "3.4": "Y"}  # answered before 3.1 changed
    assert asked_ids(d3_domain, stale) == ["3.1"]
    assert propose(d3_domain, complete) == propose(d3_domain, stale) == LOW
    # Not even checked: NA, or anything else, for a question that does not apply.
    assert propose(d3_domain, {**complete, "3.2": NA, "3.3": "whatever"}) == LOW
    # Chained: 2.4 skipped (2.3 N) makes 2.5 skipped even with a stale "Y" to 2.4.
    d2 = domain_of("D2-assignment")
    answers = {"2.1": "Y", "2.2": "N", "2.3": "N", "2.4": "Y", "2.5": "N", "2.6": "Y"}
    assert asked_ids(d2, answers) == ["2.1", "2.2", "2.3", "2.6"]
    assert propose(d2, answers) == LOW


def test_questions_after_an_unanswered_one_wait_for_it():
    d2 = domain_of("D2-assignment")
    assert asked_ids(d2, {}) == asked_ids(d2, {"2.1": "N"}) == ["2.1", "2.2", "2.6"]
    assert asked_ids(d2, {"2.1": "N", "2.2": "NI"}) == ["2.1", "2.2", "2.3", "2.6"]


@pytest.mark.parametrize(
    ("variant", "answers", "question"),
    [
        ("D1", {"1.1": "Yes", "1.2": "Y", "1.3": "N"}, "1.1"),
        ("D1", {"1.1": "Y", "1.2": NA, "1.3": "N"}, "1.2"),  # NA only where a question is skipped
        ("D1", {"1.3": "y"}, "1.3"),  # even while other questions are unanswered
        ("D3", {"3.1": "N", "3.2": "NI"}, "3.2"),  # 3.2 offers no "No information"
        ("D2-assignment", {"2.1": "Y", "2.2": "N", "2.3": NA}, "2.3"),
        ("D2-adherence", {"2.1": "N", "2.2": "N", "2.4": "N", "2.5": "maybe"}, "2.5"),
        ("D2-adherence", {"2.1": "N", "2.2": "N", "2.4": "Y", "2.5": "N", "2.6": NA}, "2.6"),
    ],
)
def test_an_invalid_response_names_its_question(variant, answers, question):
    with pytest.raises(ValueError, match=rf"question {question}\b"):
        propose(domain_of(variant), answers)


def test_na_is_a_response_only_to_the_adherence_if_applicable_questions():
    questions = [(key, d.id, q) for key, t in TOOLS.items() for d in t.domains for q in d.questions]
    offered = {(key, d, q.id) for key, d, q in questions if NA in q.responses}
    assert offered == {("rob2-adherence", "D2", q) for q in ("2.3", "2.4", "2.5")}
    assert {r for _, _, q in questions for r in q.responses} == {*RESPONSES, NA}


ORDER = (LOW, SOME_CONCERNS, HIGH)  # the guidance's overall criteria: the least favourable wins


@pytest.mark.parametrize("key", ["rob2-assignment", "rob2-adherence"])
def test_overall_for_all_243_combinations(key):
    rob = tool(key)
    ids = ["D1", "D2", "D3", "D4", "D5"]
    combinations = list(itertools.product(JUDGEMENTS, repeat=5))
    assert len(combinations) == 243
    for values in combinations:
        expected = max(values, key=ORDER.index)
        assert propose_overall(rob, dict(zip(ids, values, strict=True))) == expected, values
    for missing in ids:
        assert propose_overall(rob, {d: LOW for d in ids if d != missing}) is None
        assert propose_overall(rob, {**dict.fromkeys(ids, HIGH), missing: None}) is None
    with pytest.raises(ValueError, match="D3"):
        propose_overall(rob, {**dict.fromkeys(ids, LOW), "D3": "unclear"})


def test_two_variants_of_rob_2():
    assert set(TOOLS) == {"rob2-assignment", "rob2-adherence"}
    part = "RoB 2, individually randomised parallel-group trial, effect of "
    assert tool("rob2-assignment").label == part + "assignment to intervention"
    assert tool("rob2-adherence").label == part + "adhering to intervention"
    with pytest.raises(KeyError):
        tool("rob1")
    with pytest.raises(KeyError):
        tool("rob2-assignment").domain("D6")


@pytest.mark.parametrize("key", ["rob2-assignment", "rob2-adherence"])
def test_each_variant_has_the_five_domains_in_order(key):
    rob = tool(key)
    assert rob.key == key
    assert rob.name == "RoB 2"
    assert [(d.id, d.name, d.short) for d in rob.domains] == [
        ("D1", "Bias arising from the randomization process", "Randomisation process"),
        (
            "D2",
            "Bias due to deviations from intended interventions",
            "Deviations from intended interventions",
        ),
        ("D3", "Bias due to missing outcome data", "Missing outcome data"),
        ("D4", "Bias in measurement of the outcome", "Measurement of the outcome"),
        ("D5", "Bias in selection of the reported result", "Selection of the reported result"),
    ]
    assert all(rob.domain(d.id) is d for d in rob.domains)


def test_the_variants_differ_only_in_domain_2():
    assignment, adherence = tool("rob2-assignment"), tool("rob2-adherence")
    for domain_id in ("D1", "D3", "D4", "D5"):
        assert assignment.domain(domain_id) == adherence.domain(domain_id)  # rules included
    d2a, d2b = assignment.domain("D2"), adherence.domain("D2")
    assert d2a != d2b
    assert len(d2a.questions) == 7 and len(d2b.questions) == 6
    assert d2a.questions[:2] == d2b.questions[:2]  # awareness: the same two questions
    assert "assignment" in d2a.questions[5].text and "adhering" in d2b.questions[5].text
