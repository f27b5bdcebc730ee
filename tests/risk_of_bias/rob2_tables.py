"""RoB 2 as the tests expect it, written from the guidance (Higgins, Savović, Page, Sterne,
"Revised Cochrane risk-of-bias tool for randomized trials (RoB 2)", 22 August 2019, and its
cribsheet, riskofbias.info), never from the evaluator's output:

- QUESTIONS: each domain's signalling questions in order, with the response options the guidance
  lists for them when they are asked ("NA" only where the adherence variant's "[If applicable:]"
  questions offer it; elsewhere NA is what a skipped question reads as).
- The leaf tables: one row per leaf of each domain's figure "Algorithm for suggested judgement of
  risk of bias ...". A cell is a set of responses ("Y/PY/NI"), "any" (every response the question
  has) or "-" (the question is skipped on that path). An "either 2.1 or 2.2" branch of a figure
  is two rows, so that the rows of a table never overlap.
"""

from __future__ import annotations

import itertools

LOW, SC, HIGH = "low", "some concerns", "high"

FIVE = ("Y", "PY", "PN", "N", "NI")
WITH_NA = ("NA", *FIVE)  # the adherence variant's "[If applicable:]" questions
NO_NI = ("Y", "PY", "PN", "N")  # 3.2 offers no "No information"

# Each variant of a domain the tests check: which tool it is read from, and its questions.
VARIANTS = {
    "D1": ("rob2-assignment", "D1"),
    "D2-assignment": ("rob2-assignment", "D2"),
    "D2-adherence": ("rob2-adherence", "D2"),
    "D3": ("rob2-assignment", "D3"),
    "D4": ("rob2-assignment", "D4"),
    "D5": ("rob2-assignment", "D5"),
}

QUESTIONS = {
    "D1": {"1.1": FIVE, "1.2": FIVE, "1.3": FIVE},
    "D2-assignment": dict.fromkeys(("2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7"), FIVE),
    "D2-adherence": {
        "2.1": FIVE,
        "2.2": FIVE,
        "2.3": WITH_NA,
        "2.4": WITH_NA,
        "2.5": WITH_NA,
        "2.6": FIVE,
    },
    "D3": {"3.1": FIVE, "3.2": NO_NI, "3.3": FIVE, "3.4": FIVE},
    "D4": dict.fromkeys(("4.1", "4.2", "4.3", "4.4", "4.5"), FIVE),
    "D5": {"5.1": FIVE, "5.2": FIVE, "5.3": FIVE},
}

# How many complete sets of answers to the applicable questions each variant has, counted by
# hand from the conditions (e.g. D3: 2 with 3.1 Y/PY; 3x2 with 3.2 Y/PY; 3x2x2 with 3.3 N/PN;
# 3x2x3x5 asking 3.4: 110). D2 assignment is part 1 (4 unaware + 21 aware x 37) x part 2 (17);
# D2 adherence: 4 unaware x 144 + 21 aware x (3 x 144 + 3 x 36 x 5).
COUNTS = {
    "D1": 125,
    "D2-assignment": (4 + 21 * 37) * 17,
    "D2-adherence": 4 * 144 + 21 * (3 * 144 + 3 * 36 * 5),
    "D3": 110,
    "D4": 2 * 5 + 3 * 2 + 9 * (2 + 3 * (2 + 3 * 5)),
    "D5": 125,
}

# D1, figure for the randomization process: 1.2 concealed? then 1.1 random?, 1.3 imbalance?
D1 = [
    # 1.1       1.2     1.3
    ("Y/PY/NI", "Y/PY", "N/PN/NI", LOW),
    ("Y/PY/NI", "Y/PY", "Y/PY", SC),
    ("N/PN", "Y/PY", "any", SC),
    ("any", "NI", "N/PN/NI", SC),
    ("any", "NI", "Y/PY", HIGH),
    ("any", "N/PN", "any", HIGH),
]

# D2, effect of assignment, part 1 (2.1 to 2.5) of the figure.
D2_ASSIGNMENT_PART1 = [
    # 2.1       2.2        2.3      2.4        2.5
    ("N/PN", "N/PN", "-", "-", "-", LOW),
    ("Y/PY/NI", "any", "N/PN", "-", "-", LOW),
    ("N/PN", "Y/PY/NI", "N/PN", "-", "-", LOW),
    ("Y/PY/NI", "any", "NI", "-", "-", SC),
    ("N/PN", "Y/PY/NI", "NI", "-", "-", SC),
    ("Y/PY/NI", "any", "Y/PY", "N/PN", "-", SC),
    ("N/PN", "Y/PY/NI", "Y/PY", "N/PN", "-", SC),
    ("Y/PY/NI", "any", "Y/PY", "Y/PY/NI", "Y/PY", SC),
    ("N/PN", "Y/PY/NI", "Y/PY", "Y/PY/NI", "Y/PY", SC),
    ("Y/PY/NI", "any", "Y/PY", "Y/PY/NI", "N/PN/NI", HIGH),
    ("N/PN", "Y/PY/NI", "Y/PY", "Y/PY/NI", "N/PN/NI", HIGH),
]
# Part 2 (2.6, 2.7).
D2_ASSIGNMENT_PART2 = [
    ("Y/PY", "-", LOW),
    ("N/PN/NI", "N/PN", SC),
    ("N/PN/NI", "Y/PY/NI", HIGH),
]
# The figure's "criteria for the domain": low if both parts are low, high if either is high,
# some concerns otherwise. Written out for each pair of part judgements.
D2_ASSIGNMENT_CRITERIA = {
    (LOW, LOW): LOW,
    (LOW, SC): SC,
    (LOW, HIGH): HIGH,
    (SC, LOW): SC,
    (SC, SC): SC,
    (SC, HIGH): HIGH,
    (HIGH, LOW): HIGH,
    (HIGH, SC): HIGH,
    (HIGH, HIGH): HIGH,
}
D2_ASSIGNMENT = [
    (*one[:-1], *two[:-1], D2_ASSIGNMENT_CRITERIA[one[-1], two[-1]])
    for one in D2_ASSIGNMENT_PART1
    for two in D2_ASSIGNMENT_PART2
]

# D2, effect of adhering: 2.1/2.2 aware? then 2.3 balanced non-protocol interventions?, then
# 2.4/2.5 failures in implementation or non-adherence?, then 2.6 appropriate analysis?
D2_ADHERENCE = [
    # 2.1       2.2        2.3        2.4        2.5        2.6
    ("N/PN", "N/PN", "-", "NA/N/PN", "NA/N/PN", "-", LOW),
    ("N/PN", "N/PN", "-", "Y/PY/NI", "any", "Y/PY", SC),
    ("N/PN", "N/PN", "-", "NA/N/PN", "Y/PY/NI", "Y/PY", SC),
    ("N/PN", "N/PN", "-", "Y/PY/NI", "any", "N/PN/NI", HIGH),
    ("N/PN", "N/PN", "-", "NA/N/PN", "Y/PY/NI", "N/PN/NI", HIGH),
    ("Y/PY/NI", "any", "NA/Y/PY", "NA/N/PN", "NA/N/PN", "-", LOW),
    ("Y/PY/NI", "any", "NA/Y/PY", "Y/PY/NI", "any", "Y/PY", SC),
    ("Y/PY/NI", "any", "NA/Y/PY", "NA/N/PN", "Y/PY/NI", "Y/PY", SC),
    ("Y/PY/NI", "any", "NA/Y/PY", "Y/PY/NI", "any", "N/PN/NI", HIGH),
    ("Y/PY/NI", "any", "NA/Y/PY", "NA/N/PN", "Y/PY/NI", "N/PN/NI", HIGH),
    ("Y/PY/NI", "any", "N/PN/NI", "any", "any", "Y/PY", SC),
    ("Y/PY/NI", "any", "N/PN/NI", "any", "any", "N/PN/NI", HIGH),
    ("N/PN", "Y/PY/NI", "NA/Y/PY", "NA/N/PN", "NA/N/PN", "-", LOW),
    ("N/PN", "Y/PY/NI", "NA/Y/PY", "Y/PY/NI", "any", "Y/PY", SC),
    ("N/PN", "Y/PY/NI", "NA/Y/PY", "NA/N/PN", "Y/PY/NI", "Y/PY", SC),
    ("N/PN", "Y/PY/NI", "NA/Y/PY", "Y/PY/NI", "any", "N/PN/NI", HIGH),
    ("N/PN", "Y/PY/NI", "NA/Y/PY", "NA/N/PN", "Y/PY/NI", "N/PN/NI", HIGH),
    ("N/PN", "Y/PY/NI", "N/PN/NI", "any", "any", "Y/PY", SC),
    ("N/PN", "Y/PY/NI", "N/PN/NI", "any", "any", "N/PN/NI", HIGH),
]

# D3, figure for missing outcome data: 3.1 all data? 3.2 evidence of no bias? 3.3 could
# missingness depend on the true value? 3.4 likely that it did?
D3 = [
    # 3.1       3.2     3.3        3.4
    ("Y/PY", "-", "-", "-", LOW),
    ("N/PN/NI", "Y/PY", "-", "-", LOW),
    ("N/PN/NI", "N/PN", "N/PN", "-", LOW),
    ("N/PN/NI", "N/PN", "Y/PY/NI", "N/PN", SC),
    ("N/PN/NI", "N/PN", "Y/PY/NI", "Y/PY/NI", HIGH),
]

# D4, figure for measurement of the outcome: 4.2 N/PN and 4.2 NI lead to two copies of the
# 4.3-4.5 branch; in the NI copy the best reachable judgement is some concerns.
D4 = [
    # 4.1       4.2     4.3        4.4        4.5
    ("Y/PY", "any", "-", "-", "-", HIGH),
    ("N/PN/NI", "Y/PY", "-", "-", "-", HIGH),
    ("N/PN/NI", "N/PN", "N/PN", "-", "-", LOW),
    ("N/PN/NI", "N/PN", "Y/PY/NI", "N/PN", "-", LOW),
    ("N/PN/NI", "N/PN", "Y/PY/NI", "Y/PY/NI", "N/PN", SC),
    ("N/PN/NI", "N/PN", "Y/PY/NI", "Y/PY/NI", "Y/PY/NI", HIGH),
    ("N/PN/NI", "NI", "N/PN", "-", "-", SC),
    ("N/PN/NI", "NI", "Y/PY/NI", "N/PN", "-", SC),
    ("N/PN/NI", "NI", "Y/PY/NI", "Y/PY/NI", "N/PN", SC),
    ("N/PN/NI", "NI", "Y/PY/NI", "Y/PY/NI", "Y/PY/NI", HIGH),
]

# D5, figure for selection of the reported result: 5.2/5.3 selected from multiple measurements
# or analyses? then 5.1 analysed as pre-specified?
D5 = [
    # 5.1       5.2        5.3
    ("any", "Y/PY", "any", HIGH),
    ("any", "N/PN/NI", "Y/PY", HIGH),
    ("any", "NI", "N/PN/NI", SC),
    ("any", "N/PN", "NI", SC),
    ("Y/PY", "N/PN", "N/PN", LOW),
    ("N/PN/NI", "N/PN", "N/PN", SC),
]

TABLES = {
    "D1": D1,
    "D2-assignment": D2_ASSIGNMENT,
    "D2-adherence": D2_ADHERENCE,
    "D3": D3,
    "D4": D4,
    "D5": D5,
}


def every_combination(variant: str):
    """Every response to every question, skipped or not: a skipped question's answer is there
    too, to show that it is ignored."""
    ids = list(QUESTIONS[variant])
    for values in itertools.product(*QUESTIONS[variant].values()):
        yield dict(zip(ids, values, strict=True))


def expand(variant: str, row: tuple) -> list[dict]:
    """The answers a table row (its cells, then its judgement) stands for; skipped questions
    ("-") are left out."""
    choices = []
    for qid, cell in zip(QUESTIONS[variant], row[:-1], strict=True):
        if cell == "-":
            choices.append([None])
        elif cell == "any":
            choices.append(list(QUESTIONS[variant][qid]))
        else:
            choices.append(cell.split("/"))
    return [
        {q: v for q, v in zip(QUESTIONS[variant], values, strict=True) if v is not None}
        for values in itertools.product(*choices)
    ]
