"""The forest plot shows each result's reported risk of bias beside it: robvis's dots for D1-D5
and the overall judgement of the result's consensus; none for a result without one, and none
when asked not to (?bias=0)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from extraction.constants import Measure
from extraction.models import Arm, Comparison
from extraction.services import extraction_save
from risk_of_bias.services import (
    JudgementInput,
    assessment_save,
    assessment_submit,
    consensus_start,
)
from tests.risk_of_bias.conftest import HIGH_D1, LOW, answers, assess

pytestmark = pytest.mark.django_db


def _hazard_ratio(trial):
    study = trial.pfs.study
    arms = [
        extraction_save(instance=Arm(study=study), user=trial.owner, label=label,
                        comparator=n == 1, position=n, report=trial.report)
        for n, label in enumerate(["Ivonescimab + chemotherapy", "Placebo + chemotherapy"])
    ]  # fmt: skip
    extraction_save(
        instance=Comparison(outcome=trial.pfs, arm=arms[0], comparator=arms[1]), user=trial.owner,
        measure=Measure.HAZARD_RATIO, estimate=Decimal("0.46"), ci_low=Decimal("0.34"),
        ci_high=Decimal("0.62"), report=trial.report,
    )  # fmt: skip


def _forest(trial, **query) -> str:
    url = reverse("extraction:forest", args=[trial.review.slug])
    query = {"outcome": "Progression-free survival", "measure": "hr", "format": "svg", **query}
    return trial.client(trial.viewer).get(url, query).content.decode()


def test_the_forest_plot_shows_the_consensus_dots_beside_the_result(trial):
    _hazard_ratio(trial)
    assert 'class="bias"' not in _forest(trial)  # no consensus yet
    for user, responses in ((trial.a, LOW), (trial.b, HIGH_D1)):
        assessment_submit(assessment=assess(trial, user, trial.pfs, responses), user=user)
    assert 'class="bias"' not in _forest(trial)  # assessed, but no consensus: nothing reported
    consensus = consensus_start(review=trial.review, user=trial.owner, outcome=trial.pfs)
    assessment_save(assessment=consensus, user=trial.owner, answers=answers(HIGH_D1), domains={},
                    overall=JudgementInput(""))  # fmt: skip
    assessment_submit(assessment=consensus, user=trial.owner)
    svg = _forest(trial)
    dots = re.findall(r'<g class="bias"><title>([^<]+)</title><circle[^>]+fill="([^"]+)"', svg)
    assert dots == [
        ("HARMONi-A, D1: high", "#BF0000"),
        *((f"HARMONi-A, D{n}: low", "#02C100") for n in range(2, 6)),
        ("HARMONi-A, Overall: high", "#BF0000"),
    ]
    assert "Risk of bias (RoB 2, consensus)" in svg
    assert 'class="bias"' not in _forest(trial, bias="0")
