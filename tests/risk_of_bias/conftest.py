"""A review with one included trial and two results to assess: HARMONi-A (its JAMA report),
with progression-free survival and objective response; two reviewers (the review's `reviewer`
and B), the owner (a resolver), a viewer. And answers that lead RoB 2's algorithm to "low" in
every domain (LOW) or to "high" in D1 (HIGH_D1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from extraction.constants import OutcomeKind
from extraction.models import Outcome
from extraction.services import extraction_save, study_create
from risk_of_bias.services import AnswerInput, JudgementInput, assessment_save, assessment_start
from screening.constants import Role
from screening.models import Membership
from tests.extraction.conftest import TRIALS_RIS, include
from tests.factories import UserFactory
from tests.risk_of_bias.answers import HIGH_D1, LOW  # noqa: F401  (the tests import them here)
from tests.screening.permissions.world import world, world_module  # noqa: F401  (the blind-screening fixtures)


@dataclass
class Trial:
    review: Any
    owner: Any
    a: Any  # the review's reviewer
    b: Any
    viewer: Any
    pfs: Outcome
    orr: Outcome
    report: Any  # the study's report (a Reference)

    def client(self, user) -> Client:
        client = Client()
        client.force_login(user)
        return client


@pytest.fixture
def trial(review, owner, reviewer, import_text) -> Trial:
    search = import_text(TRIALS_RIS, name="trials.ris", source="PubMed")
    references = [record.reference for record in search.records.order_by("position")]
    harmonia = references[2]
    include(review, [harmonia], owner, reviewer)
    study = study_create(review=review, user=owner, name="HARMONi-A", acronym="HARMONi-A",
                         reports=[harmonia], number_randomised=322)  # fmt: skip
    pfs = extraction_save(
        instance=Outcome(study=study), user=owner, name="Progression-free survival",
        kind=OutcomeKind.TIME_TO_EVENT,
    )  # fmt: skip
    orr = extraction_save(
        instance=Outcome(study=study), user=owner, name="Objective response rate",
        kind=OutcomeKind.PROPORTION,
    )  # fmt: skip
    b = UserFactory(username="bruno-second")
    viewer = UserFactory(username="vera-viewer")
    Membership.objects.create(review=review, user=b, role=Role.REVIEWER)
    Membership.objects.create(review=review, user=viewer, role=Role.VIEWER)
    return Trial(review, owner, reviewer, b, viewer, pfs, orr, harmonia)


def answers(responses: dict[str, str], **evidence) -> dict[str, AnswerInput]:
    return {qid: AnswerInput(response=r, **evidence) for qid, r in responses.items()}


def assess(trial: Trial, user, outcome, responses, *, overrides=None, overall=None):
    """Start (or take up) the user's assessment and save the answers; returns it."""
    assessment = assessment_start(review=trial.review, user=user, outcome=outcome)
    assessment_save(
        assessment=assessment, user=user, answers=answers(responses),
        domains=overrides or {}, overall=overall or JudgementInput(""),
    )  # fmt: skip
    assessment.refresh_from_db()
    return assessment
