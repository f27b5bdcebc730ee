"""The Cochrane RoB 2 tool for individually randomised parallel-group trials, as data
(tools/rob2.json) plus the small evaluator that reads it: which signalling questions apply, given
the answers so far, and the judgement each domain's algorithm proposes.

Sources. The questions, their response options, their "If Y/PY/NI to ..." conditions and the
domain algorithms follow the full guidance document and its cribsheet: Higgins JPT, Savović J,
Page MJ, Sterne JAC (eds), "Revised Cochrane risk-of-bias tool for randomized trials (RoB 2)",
22 August 2019 (https://www.riskofbias.info/welcome/rob-2-0-tool/current-version-of-rob-2),
with Sterne JAC et al., BMJ 2019;366:l4898 (https://doi.org/10.1136/bmj.l4898). Each domain's
rules follow its figure "Algorithm for suggested judgement of risk of bias ..." in that guidance:

- D1: arising from the randomization process (1.2 first, then 1.1, then 1.3);
- D2, assignment: due to deviations (effect of assignment), parts 1 (2.1-2.5) and 2 (2.6-2.7)
  and the criteria combining them (low only if both parts are low, high if either is high);
- D2, adherence: due to deviations (effect of adhering), where NA routes with the no-concern
  branches of 2.3-2.5;
- D3: due to missing outcome data; D4: in measurement of the outcome; D5: in selection of the
  reported result. The overall judgement follows the guidance's overall criteria table.

Where open implementations disagree with the guidance we follow the guidance: one (rob-luke/
risk-of-bias) judges D1 high for a non-random sequence (1.1 N/PN), the guidance some concerns;
the cluster-trial variant (18 March 2021) judges D2 part 1 low when deviations were not likely to
have affected the outcome (2.4 N/PN), the 2019 parallel-group guidance some concerns.

Plain Python on purpose (no Django): the algorithm is tested on its own, exhaustively.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LOW, SOME_CONCERNS, HIGH = "low", "some concerns", "high"
JUDGEMENTS = (LOW, SOME_CONCERNS, HIGH)
RESPONSES = ("Y", "PY", "PN", "N", "NI")  # plus "NA" for a question that does not apply
NA = "NA"

DATA = Path(__file__).parent / "tools" / "rob2.json"


@dataclass(frozen=True)
class Condition:
    """A test on the answers, as the data writes it: {"question": "2.1", "in": [...]} holds when
    that question's answer is one of those; {"any": [...]} and {"all": [...]} combine tests.
    Frozen dataclasses rather than the JSON dicts, so that questions and domains compare and hash.
    """

    question: str = ""
    among: tuple[str, ...] = ()
    any_of: tuple[Condition, ...] = ()
    all_of: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Rule:
    when: Condition
    then: str  # one of JUDGEMENTS


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    responses: tuple[str, ...]
    applies_if: Condition | None = None  # None: always asked


@dataclass(frozen=True)
class Domain:
    id: str  # "D1".."D5"
    name: str  # e.g. "Bias arising from the randomization process"
    short: str  # e.g. "Randomisation process" (for plot columns)
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...] = ()  # tried in order: the first that holds gives the judgement
    algorithm: str = ""  # the guidance figure the rules follow


@dataclass(frozen=True)
class Tool:
    key: str  # "rob2-assignment" or "rob2-adherence"
    name: str  # "RoB 2"
    label: str
    domains: tuple[Domain, ...]

    def domain(self, domain_id: str) -> Domain:
        for domain in self.domains:
            if domain.id == domain_id:
                return domain
        raise KeyError(f"{self.key} has no domain {domain_id!r}.")


def _condition(data: Mapping, known: set[str], where: str) -> Condition:
    """Read a condition, refusing a question that is not known at that point (for an applies_if,
    only earlier questions are) and a response that no question has."""
    if "question" in data:
        if data["question"] not in known:
            raise ValueError(f"{where}: a condition on {data['question']!r}, not known there.")
        among = tuple(data["in"])
        if not set(among) <= {*RESPONSES, NA}:
            raise ValueError(f"{where}: unknown responses in {among}.")
        return Condition(question=data["question"], among=among)
    if "any" in data:
        return Condition(any_of=tuple(_condition(part, known, where) for part in data["any"]))
    return Condition(all_of=tuple(_condition(part, known, where) for part in data["all"]))


def _domain(data: Mapping) -> Domain:
    questions: list[Question] = []
    for item in data["questions"]:
        earlier = {question.id for question in questions}
        where = f"{data['id']} {item['id']}"
        condition = item.get("applies_if")
        questions.append(
            Question(
                id=item["id"],
                text=item["text"],
                responses=tuple(item["responses"]),
                applies_if=_condition(condition, earlier, where) if condition else None,
            )
        )
    ids = {question.id for question in questions}
    rules = []
    for rule in data["rules"]:
        if rule["then"] not in JUDGEMENTS:
            raise ValueError(f"{data['id']}: unknown judgement {rule['then']!r}.")
        rules.append(Rule(when=_condition(rule["when"], ids, data["id"]), then=rule["then"]))
    return Domain(
        id=data["id"],
        name=data["name"],
        short=data["short"],
        questions=tuple(questions),
        rules=tuple(rules),
        algorithm=data.get("algorithm", ""),
    )


@cache
def _load() -> dict[str, Tool]:
    """Every tool of every data file in tools/ (rob2.json; RoB 2 for cluster or crossover
    trials would be a file beside it), by key."""
    found: dict[str, Tool] = {}
    for path in sorted(DATA.parent.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        # One Domain object per entry, shared by a file's variants (RoB 2's differ only in D2).
        domains = {key: _domain(entry) for key, entry in data["domains"].items()}
        for key, entry in data["tools"].items():
            if key in found:
                raise ValueError(f"{path.name}: the tool {key!r} is defined twice.")
            found[key] = Tool(
                key=key,
                name=data["name"],
                label=entry["label"],
                domains=tuple(domains[name] for name in entry["domains"]),
            )
    return found


TOOLS: dict[str, Tool] = _load()


def tool(key: str) -> Tool:
    """The tool variant of that key; KeyError for an unknown key."""
    try:
        return TOOLS[key]
    except KeyError:
        raise KeyError(f"No risk-of-bias tool {key!r}: one of {', '.join(TOOLS)}.") from None


def _holds(condition: Condition, answers: Mapping[str, str | None]) -> bool:
    if condition.question:
        return answers.get(condition.question) in condition.among
    if condition.any_of:
        return any(_holds(part, answers) for part in condition.any_of)
    return all(_holds(part, answers) for part in condition.all_of)


def _walk(
    domain: Domain, answers: Mapping[str, str]
) -> tuple[list[Question], dict[str, str | None]]:
    """The questions asked, in order, and the answers as the rules read them: a skipped question
    reads NA whatever was answered (a stale answer from before an earlier one changed must not
    count), an unanswered one None. A condition on an unanswered question does not hold yet."""
    asked: list[Question] = []
    seen: dict[str, str | None] = {}
    for question in domain.questions:
        if question.applies_if is None or _holds(question.applies_if, seen):
            asked.append(question)
            seen[question.id] = answers.get(question.id) or None  # "" is no answer
        else:
            seen[question.id] = NA
    return asked, seen


def applicable(domain: Domain, answers: Mapping[str, str]) -> list[Question]:
    """The questions of the domain that apply, given the answers so far (a question whose condition
    is not met is skipped: its answer is NA and it is not asked)."""
    return _walk(domain, answers)[0]


def propose(domain: Domain, answers: Mapping[str, str]) -> str | None:
    """The judgement the algorithm proposes, or None while an applicable question is unanswered.
    Answers to questions that do not apply are ignored. An answer not among the question's
    responses raises ValueError with a message naming the question."""
    asked, seen = _walk(domain, answers)
    for question in asked:
        given = seen[question.id]
        if given is not None and given not in question.responses:
            raise ValueError(
                f"{domain.id}, question {question.id}: {given!r} is not a response to it "
                f"(one of {'/'.join(question.responses)})."
            )
    if any(seen[question.id] is None for question in asked):
        return None
    for rule in domain.rules:
        if _holds(rule.when, seen):
            return rule.then
    # The rules of every domain cover every complete set of answers (the tests enumerate them):
    # reaching this line means the data file is wrong, not the answers.
    raise LookupError(f"{domain.id}: no rule matches {seen}.")


def propose_overall(tool: Tool, judgements: Mapping[str, str]) -> str | None:
    """From the domains' final judgements (keyed "D1".."D5"): None if any is missing; "high" if any
    is high; "some concerns" if any is some concerns; else "low".

    The guidance also allows judging the result "high" when some concerns in several domains
    together substantially lower confidence in it. That is a person's call, made as an override
    of this proposal with a justification, not the algorithm's: it is never proposed here.
    An unknown judgement raises ValueError naming the domain."""
    given = [judgements.get(domain.id) or None for domain in tool.domains]
    for domain, judgement in zip(tool.domains, given, strict=True):
        if judgement is not None and judgement not in JUDGEMENTS:
            raise ValueError(f"{domain.id}: {judgement!r} is not one of {', '.join(JUDGEMENTS)}.")
    if None in given:
        return None
    if HIGH in given:
        return HIGH
    if SOME_CONCERNS in given:
        return SOME_CONCERNS
    return LOW
