"""The worked example's risk of bias, as demo data: the article publishes no risk-of-bias
judgements, so these are made up to show the tool, and every page, plot and export of the demo
review says so (RobSettings.demo_data). They are answers a reader of the trials' public reports
could give (HARMONi-A: randomised, placebo-controlled, as the article says; HARMONi-2: "a
randomised, double-blind, phase 3 study", its title; progression judged by an independent
review committee in both), each "probably" where the reports leave it to inference, made
through the same services an assessor's form goes through.

The progression-free survival of HARMONi-A and of HARMONi-2 is assessed by the two demo
reviewers, who disagree on D5 (one found the pre-specified analysis plan, the other did not:
"no information"), and on a question of D2 for HARMONi-2; the owner makes each consensus."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from extraction.models import Outcome
from risk_of_bias.models import Assessment, RobSettings
from risk_of_bias.services import (
    AnswerInput,
    JudgementInput,
    assessment_save,
    assessment_start,
    assessment_submit,
    consensus_start,
)
from screening.models import Review

PFS = "Progression-free survival"
BLINDED = "Placebo-controlled: participants and carers blinded to the assigned intervention."
DOUBLE_BLIND = "The report's title calls the trial randomised and double-blind."
# Every domain low: (answer, comment) per question.
BASE = {
    "1.1": ("Y", "Randomised (the report's title)."),
    "1.2": (
        "PY",
        "Central randomisation is usual in such a phase 3 trial; not stated in the files.",
    ),
    "1.3": ("N", ""),
    "2.1": ("N", ""),
    "2.2": ("N", ""),
    "2.6": ("Y", "Progression-free survival analysed in everyone randomised."),
    "3.1": ("PY", "Time-to-event analysis of all randomised participants."),
    "4.1": ("N", ""),
    "4.2": ("N", ""),
    "4.3": ("PN", "Progression judged by an independent review committee."),
    "5.1": ("PY", "The primary end point as registered."),
    "5.2": ("N", ""),
    "5.3": ("N", ""),
}


def _answers(changes: dict[str, tuple[str, str]], blinding: str) -> dict[str, AnswerInput]:
    given = {**BASE, "2.1": ("N", blinding), **changes}
    return {qid: AnswerInput(response=r, comment=c) for qid, (r, c) in given.items()}


# For each trial: the first reviewer's changes to BASE, the second's, and the consensus's.
PLAN = {
    "HARMONi-A": (
        BLINDED,
        {},
        {"5.1": ("NI", "The analysis plan was not among the files I had.")},
        {"5.1": ("PY", "Agreed: the plan is published with the article.")},
    ),
    "HARMONi-2": (
        DOUBLE_BLIND,
        {},
        {
            "2.1": ("PY", "Side effects of VEGF blockade may unmask the arms."),
            "2.3": ("PN", "No deviation because of the trial context reported."),
            "5.1": ("NI", "No analysis plan found."),
        },
        {"5.1": ("PY", "Agreed: the plan is published with the article.")},
    ),
}


def _assess(review: Review, user, outcome: Outcome, answers, *, consensus: bool = False):
    if consensus:
        assessment = consensus_start(review=review, user=user, outcome=outcome)
    else:
        assessment = assessment_start(review=review, user=user, outcome=outcome)
    assessment_save(assessment=assessment, user=user, answers=answers, domains={},
                    overall=JudgementInput(""))  # fmt: skip
    assessment_submit(assessment=assessment, user=user)


def rob_demo_load(
    review: Review, owner: AbstractBaseUser, first: AbstractBaseUser, second: AbstractBaseUser
) -> None:
    """Once: the two results' assessments and consensus (nothing if any assessment exists)."""
    if Assessment.objects.in_review(review).exists():
        return
    RobSettings.objects.update_or_create(review=review, defaults={"demo_data": True})
    for acronym, (blinding, one, two, agreed) in PLAN.items():
        outcome = Outcome.objects.in_review(review).get(study__acronym=acronym, name=PFS)
        _assess(review, first, outcome, _answers(one, blinding))
        _assess(review, second, outcome, _answers(two, blinding))
        _assess(review, owner, outcome, _answers(agreed, blinding), consensus=True)
