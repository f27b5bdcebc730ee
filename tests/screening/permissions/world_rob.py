"""The crawl world's risk of bias (see world.py): three results of its study, each with two
assessors. "Response": A's draft, a sentinel in its comment. "Survival": A's submitted
assessment, a sentinel in its comment, waiting for the owner's. "Overall survival": A's and the
owner's, both submitted, and the owner's consensus: seen by all, and plotted. No one but A may
see a sentinel: not B, not the viewer, and not the owner (who sees votes, but an assessor's
answers stay hidden from everyone until the result's assessors have all submitted)."""

from __future__ import annotations

from typing import Any

from extraction.constants import OutcomeKind
from extraction.models import Outcome
from extraction.services import extraction_save
from risk_of_bias.services import (
    AnswerInput,
    JudgementInput,
    assessment_save,
    assessment_start,
    assessment_submit,
    consensus_start,
)
from tests.risk_of_bias.answers import LOW

ROB_DRAFT = "Zqx-rob-draft-sentinel-6120"  # A's comment in a draft assessment
ROB_SUBMITTED = "Zqx-rob-submitted-sentinel-7381"  # A's comment, submitted, the owner's pending
ROB_SENTINELS = {
    ROB_DRAFT: "A's risk-of-bias draft (Response)",
    ROB_SUBMITTED: "A's submitted risk-of-bias assessment, the other pending (Survival)",
}


def _assess(review, user, outcome, comment: str = "", submit: bool = True):
    assessment = assessment_start(review=review, user=user, outcome=outcome)
    given = {qid: AnswerInput(response=r, comment=comment if qid == "1.2" else "")
             for qid, r in LOW.items()}  # fmt: skip
    assessment_save(assessment=assessment, user=user, answers=given, domains={},
                    overall=JudgementInput(""))  # fmt: skip
    if submit:
        assessment_submit(assessment=assessment, user=user)
    return assessment


def risk_of_bias_world(review, owner, a, study, response: Outcome) -> dict[str, Any]:
    """Make the three results' assessments; the objects the crawl names."""
    survival, overall = (
        extraction_save(instance=Outcome(study=study), user=owner, name=name,
                        kind=OutcomeKind.TIME_TO_EVENT, position=n)
        for n, name in ((1, "Survival"), (2, "Overall survival"))
    )  # fmt: skip
    _assess(review, a, response, ROB_DRAFT, submit=False)
    _assess(review, a, survival, ROB_SUBMITTED)
    _assess(review, a, overall)
    _assess(review, owner, overall)
    consensus = consensus_start(review=review, user=owner, outcome=overall)
    assessment_submit(assessment=consensus, user=owner)
    return {"rob_outcomes": [response, survival, overall]}
