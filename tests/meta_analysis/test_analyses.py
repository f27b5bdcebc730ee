"""Analyses on the review's extracted data: the studies' numbers read from the consensus, pooled
as the analysis says (checked against the DerSimonian-Laird formulas worked by hand here), the
command's JSON in the shape the issue names, the studies left out with their reason, and the
pages and JSON endpoint for members only."""

from __future__ import annotations

import io
import json
import math
from decimal import Decimal
from statistics import NormalDist

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from extraction.constants import Measure, OutcomeKind
from extraction.entries import entry_start
from extraction.models import Arm, ArmResult, Comparison, ExtractionSettings, Outcome
from extraction.services import extraction_save, study_create
from meta_analysis.export import analysis_json
from meta_analysis.models import Analysis
from meta_analysis.run import run_analysis
from meta_analysis.services import AnalysisRefused, analysis_save
from risk_of_bias.services import (
    AnswerInput,
    JudgementInput,
    assessment_save,
    assessment_start,
    assessment_submit,
    consensus_start,
    rob_settings_update,
)
from screening.constants import AuditAction, Role
from screening.models import AuditEvent, Membership
from tests.factories import UserFactory
from tests.risk_of_bias.answers import HIGH_D1, LOW

pytestmark = pytest.mark.django_db

ORR = "Objective response rate"
PFS = "Progression-free survival"
# (name, report index, experimental events/n, control events/n, HR and its CI)
TRIALS = [
    ("HARMONi-A", 2, (81, 161), (57, 161), ("0.46", "0.34", "0.62")),
    ("HARMONi-2", 0, (99, 198), (77, 200), ("0.51", "0.38", "0.69")),
]


def _trial(review, owner, report, name, experimental, control, hr):
    study = study_create(review=review, user=owner, name=name, reports=[report])
    arms = [
        extraction_save(instance=Arm(study=study), user=owner, label=label, report=report,
                        comparator=n == 1, position=n)
        for n, label in enumerate(["Ivonescimab", "Control"])
    ]  # fmt: skip
    orr = extraction_save(instance=Outcome(study=study), user=owner, name=ORR,
                          kind=OutcomeKind.PROPORTION)  # fmt: skip
    for arm, (events, n) in zip(arms, (experimental, control), strict=True):
        percent = Decimal(str(round(100 * events / n, 1)))
        extraction_save(instance=ArmResult(outcome=orr, arm=arm), user=owner, events=events, n=n,
                        value=percent, report=report, page="4")  # fmt: skip
    pfs = extraction_save(instance=Outcome(study=study), user=owner, name=PFS,
                          kind=OutcomeKind.TIME_TO_EVENT)  # fmt: skip
    estimate, low, high = (Decimal(v) for v in hr)
    extraction_save(instance=Comparison(outcome=pfs, arm=arms[0], comparator=arms[1]), user=owner,
                    measure=Measure.HAZARD_RATIO, estimate=estimate, ci_low=low, ci_high=high,
                    report=report)  # fmt: skip
    return study


@pytest.fixture
def trials(review, owner, included):
    return [_trial(review, owner, included[i], name, e, c, hr) for name, i, e, c, hr in TRIALS]


def dersimonian_laird(pairs: list[tuple[tuple[int, int], tuple[int, int]]]):
    """log RR, its variance, DL tau² and the pooled log RR with its SE, by hand (Cochrane
    Handbook 10.3.4; DerSimonian & Laird 1986)."""
    yi = [math.log((a / n1) / (c / n2)) for (a, n1), (c, n2) in pairs]
    vi = [1 / a - 1 / n1 + 1 / c - 1 / n2 for (a, n1), (c, n2) in pairs]
    w = [1 / v for v in vi]
    fixed = sum(wi * y for wi, y in zip(w, yi, strict=True)) / sum(w)
    q = sum(wi * (y - fixed) ** 2 for wi, y in zip(w, yi, strict=True))
    c = sum(w) - sum(wi**2 for wi in w) / sum(w)
    tau2 = max(0.0, (q - (len(yi) - 1)) / c)
    ws = [1 / (v + tau2) for v in vi]
    pooled = sum(wi * y for wi, y in zip(ws, yi, strict=True)) / sum(ws)
    return pooled, math.sqrt(1 / sum(ws)), tau2, q, [100 * wi / sum(ws) for wi in ws]


def test_response_rates_pooled_as_risk_ratios_with_dersimonian_laird(review, owner, trials):
    analysis = analysis_save(review=review, user=owner, outcome="objective  RESPONSE rate",
                             measure="RR", model="random", method="DL")  # fmt: skip
    run = run_analysis(analysis)
    pooled, se, tau2, q, weights = dersimonian_laird([(e, c) for _, _, e, c, _ in TRIALS])
    assert [row.name for row in run.included] == ["HARMONi-2", "HARMONi-A"]
    assert run.pooled.estimate == pytest.approx(pooled, abs=1e-10)
    assert run.pooled.se == pytest.approx(se, abs=1e-10)
    assert (run.pooled.tau2, run.pooled.q) == (pytest.approx(tau2), pytest.approx(q))
    assert sum(row.weight for row in run.included) == pytest.approx(100)
    assert sorted(row.weight for row in run.included) == pytest.approx(sorted(weights))
    assert run.pooled.prediction_interval is None  # two studies: none
    assert "81/161" in next(r.source for r in run.included if r.name == "HARMONi-A")

    out = io.StringIO()
    call_command("meta_analysis", review.slug, "--format", "json", stdout=out)
    found = json.loads(out.getvalue())["analyses"][0]
    assert {k: found[k] for k in ("measure", "model", "method", "hksj")} == {
        "measure": "RR", "model": "random", "method": "DL", "hksj": False,
    }  # fmt: skip
    assert found["pooled"]["estimate"] == pytest.approx(math.exp(pooled), abs=1e-6)
    assert found["pooled"]["ci_low"] == pytest.approx(math.exp(pooled - 1.959964 * se), abs=1e-5)
    assert [s["study"] for s in found["studies"]] == ["HARMONi-2", "HARMONi-A"]
    assert sum(s["weight"] for s in found["studies"]) == pytest.approx(100, abs=0.02)
    assert found["studies"][0]["se"] == pytest.approx(
        math.sqrt(1 / 99 - 1 / 198 + 1 / 77 - 1 / 200), abs=1e-6
    )
    assert set(found) >= {"tau2", "i2", "i2_ci", "q", "prediction_interval", "leave_one_out"}
    assert AuditEvent.objects.filter(action=AuditAction.ANALYSIS_SAVE).count() == 1


def test_hazard_ratios_from_their_ci_and_a_study_left_out_with_its_reason(review, owner, trials):
    analysis = analysis_save(review=review, user=owner, outcome="Progression-free survival",
                             measure="HR", model="fixed", method="IV")  # fmt: skip
    run = run_analysis(analysis)
    yi = [math.log(0.46), math.log(0.51)]
    se = [
        (math.log(0.62) - math.log(0.34)) / 3.919928,
        (math.log(0.69) - math.log(0.38)) / 3.919928,
    ]
    w = [1 / s**2 for s in se]
    expected = sum(wi * y for wi, y in zip(w, yi, strict=True)) / sum(w)
    assert run.pooled.estimate == pytest.approx(expected, abs=1e-9)
    analysis_save(review=review, user=owner, analysis=analysis,
                  left_out={trials[1].pk: "Another population"})  # fmt: skip
    run = run_analysis(analysis)
    assert [row.name for row in run.included] == ["HARMONi-A"]
    assert run.rows[-1].excluded == "left out: Another population"
    assert run.pooled.k == 1 and run.pooled.tau2 == 0
    with pytest.raises(AnalysisRefused, match="Say why"):
        analysis_save(review=review, user=owner, analysis=analysis, left_out={trials[0].pk: " "})


def test_mantel_haenszel_needs_counts_and_the_model_its_methods(review, owner, trials):
    with pytest.raises(Exception, match="A random effects model takes"):
        analysis_save(review=review, user=owner, outcome=ORR, measure="RR", model="random",
                      method="MH")  # fmt: skip
    analysis = analysis_save(review=review, user=owner, outcome="Progression-free survival",
                             measure="RR", model="fixed", method="MH")  # fmt: skip
    run = run_analysis(analysis)
    assert run.pooled is None
    assert {row.excluded for row in run.rows} == {
        "Mantel-Haenszel needs each arm's events and total"
    }


def test_an_analysis_reads_the_consensus_never_an_entry(review, owner, reviewer, included):
    """A study whose entries are pending has no consensus: it is not in the analysis, whatever
    its extractor typed (the blinding rule of double extraction)."""
    ExtractionSettings.objects.create(review=review, extractors=2)
    study = study_create(review=review, user=owner, name="Blind", reports=[included[2]])
    entry = entry_start(study=study, user=reviewer)
    arms = [
        extraction_save(instance=Arm(study=study, entry=entry), user=reviewer, label=label,
                        report=included[2], comparator=n == 1, position=n)
        for n, label in enumerate(["A", "B"])
    ]  # fmt: skip
    orr = extraction_save(instance=Outcome(study=study, entry=entry), user=reviewer, name=ORR,
                          kind=OutcomeKind.PROPORTION)  # fmt: skip
    for arm in arms:
        extraction_save(instance=ArmResult(outcome=orr, arm=arm), user=reviewer, events=5, n=10,
                        value=Decimal(50), report=included[2])  # fmt: skip
    analysis = analysis_save(review=review, user=owner, outcome=ORR, measure="RR",
                             model="random", method="DL")  # fmt: skip
    assert run_analysis(analysis).rows == []


def test_members_read_the_analyses_outsiders_learn_nothing(
    review, owner, trials, client_outsider, client_owner
):
    analysis = analysis_save(review=review, user=owner, outcome=ORR, measure="RR",
                             model="random", method="DL", note="A demonstration")  # fmt: skip
    viewer = UserFactory(username="vera-viewer")
    Membership.objects.create(review=review, user=viewer, role=Role.VIEWER)
    client = Client()
    client.force_login(viewer)
    api = reverse("meta_analysis:api", args=[review.slug])
    assert client.get(api).json()["analyses"][0]["measure"] == "RR"
    assert client.get(api, {"analysis": "x"}).status_code == 400
    assert client.get(api, {"analysis": "999"}).status_code == 404
    assert client_outsider.get(api).status_code == 404
    detail = reverse("meta_analysis:detail", args=[review.slug, analysis.pk])
    page = client_owner.get(detail).content.decode()
    assert "<polygon" in page and "A demonstration" in page and "metafor::rma" in page
    assert client_outsider.get(detail).status_code == 404
    # A viewer reads, and changes nothing.
    assert client.post(detail, {"outcome": "X", "measure": "RR"}).status_code == 403
    assert Analysis.objects.get().outcome == ORR
    svg = client.get(
        reverse("meta_analysis:plot", args=[review.slug, analysis.pk, "forest", "svg"])
    )
    assert svg["Content-Type"].startswith("image/svg+xml") and b"<polygon" in svg.content
    funnel = reverse("meta_analysis:plot", args=[review.slug, analysis.pk, "funnel", "svg"])
    assert client.get(funnel).status_code == 404  # fewer than 10 studies


def test_an_analysis_defined_on_the_page_and_a_bad_one_refused_in_words(
    review, owner, trials, client_owner
):
    url = reverse("meta_analysis:list", args=[review.slug])
    bad = {"new-outcome": ORR, "new-measure": "RR", "new-model": "fixed", "new-method": "REML"}
    page = client_owner.post(url, bad).content.decode()
    assert "A fixed effect model takes: Inverse variance, Mantel-Haenszel." in page
    assert not Analysis.objects.exists()
    good = {**bad, "new-model": "random", "new-method": "DL", "new-subgroup_by": "phase"}
    response = client_owner.post(url, good)
    analysis = Analysis.objects.get()
    assert response.url == analysis.get_absolute_url()
    csv_text = client_owner.get(reverse("meta_analysis:export", args=[review.slug]),
                                {"format": "csv"}).content.decode()  # fmt: skip
    header, *rows = csv_text.splitlines()
    assert header.startswith("analysis_id,outcome,comparison,measure,model,method,study,yi,vi")
    assert len(rows) == 2 and all(",yes," in row for row in rows)


def _continuous(review, owner, report, name, arms_values):
    """A study with a continuous outcome (a score): each arm's values as `extraction_save`
    takes them (value, sd, se, q1, q3, n)."""
    study = study_create(review=review, user=owner, name=name, reports=[report])
    outcome = extraction_save(instance=Outcome(study=study), user=owner, name="Pain score",
                              kind=OutcomeKind.CONTINUOUS)  # fmt: skip
    for n, values in enumerate(arms_values):
        arm = extraction_save(instance=Arm(study=study), user=owner, label=f"Arm {n}",
                              report=report, comparator=n == 1, position=n)  # fmt: skip
        given = {k: Decimal(str(v)) if k != "n" else v for k, v in values.items()}
        extraction_save(instance=ArmResult(outcome=outcome, arm=arm), user=owner, report=report,
                        **given)  # fmt: skip
    return study


def wan(q1: float, median: float, q3: float, n: int) -> tuple[float, float]:
    """Wan et al. 2014, scenario C3, by hand: mean = (q1 + m + q3) / 3; SD = (q3 - q1) /
    (2 Φ⁻¹((0.75n - 0.125) / (n + 0.25)))."""
    z = NormalDist().inv_cdf((0.75 * n - 0.125) / (n + 0.25))
    return (q1 + median + q3) / 3, (q3 - q1) / (2 * z)


def test_mean_differences_from_sd_from_se_and_from_a_median_when_asked(review, owner, included):
    _continuous(review, owner, included[0], "A", [{"value": 10, "sd": 2, "n": 50},
                                                   {"value": 12, "sd": 3, "n": 50}])  # fmt: skip
    _continuous(review, owner, included[2], "B", [{"value": 9, "se": 0.5, "n": 16},
                                                   {"value": 11, "se": 0.5, "n": 16}])  # fmt: skip
    medians = [{"value": 8, "q1": 6, "q3": 10, "n": 40}, {"value": 10, "q1": 8, "q3": 13, "n": 40}]
    _continuous(review, owner, included[3], "C", medians)
    analysis = analysis_save(review=review, user=owner, outcome="pain score", measure="MD",
                             model="fixed", method="IV")  # fmt: skip
    run = run_analysis(analysis)
    by_name = {row.name: row for row in run.rows}
    assert by_name["A"].yi == pytest.approx(-2) and by_name["A"].se ** 2 == pytest.approx(
        4 / 50 + 9 / 50
    )
    # B's SD from its SE: 0.5 * √16 = 2 in each arm.
    assert by_name["B"].se ** 2 == pytest.approx(4 / 16 + 4 / 16)
    assert by_name["C"].excluded == "no mean, SD and n for both arms, nor a MD with its 95% CI"
    analysis_save(review=review, user=owner, analysis=analysis, convert_medians=True)
    converted = {row.name: row for row in run_analysis(analysis).rows}["C"]

    (m1, s1), (m2, s2) = wan(6, 8, 10, 40), wan(8, 10, 13, 40)
    assert converted.yi == pytest.approx(m1 - m2) and converted.se**2 == pytest.approx(
        s1**2 / 40 + s2**2 / 40
    )


def _judged(review, owner, outcome, responses):
    """The owner's risk-of-bias assessment of the result, alone (one assessor), and its
    consensus: submitted, so the analysis reads its overall judgement."""
    assessment = assessment_start(review=review, user=owner, outcome=outcome)
    given = {qid: AnswerInput(response=r) for qid, r in responses.items()}
    assessment_save(assessment=assessment, user=owner, answers=given, domains={},
                    overall=JudgementInput(""))  # fmt: skip
    assessment_submit(assessment=assessment, user=owner)
    consensus = consensus_start(review=review, user=owner, outcome=outcome)
    assessment_submit(assessment=consensus, user=owner)


def test_subgroups_by_risk_of_bias_and_the_analysis_without_high_risk(review, owner, trials):
    rob_settings_update(review=review, user=owner, assessors=1, tool_key="rob2-assignment")
    high, low = (Outcome.objects.in_review(review).get(study=s, name=ORR) for s in trials)
    _judged(review, owner, high, HIGH_D1)
    _judged(review, owner, low, LOW)
    analysis = analysis_save(review=review, user=owner, outcome=ORR, measure="RR",
                             model="fixed", method="IV", subgroup_by="risk_of_bias")  # fmt: skip
    run = run_analysis(analysis)
    assert {row.name: row.risk_of_bias for row in run.included} == {
        "HARMONi-A": "high", "HARMONi-2": "low",
    }  # fmt: skip
    assert set(run.subgroups.subgroups) == {"high", "low"}
    assert run.subgroups.q_between == pytest.approx(run.pooled.q)  # one study per subgroup
    assert run.sensitivity_left_out == ["HARMONi-A"]
    by_name = {row.name: row for row in run.included}
    assert run.sensitivity.estimate == pytest.approx(by_name["HARMONi-2"].yi)
    found = analysis_json(analysis)
    assert found["sensitivity_without_high_risk_of_bias"]["left_out"] == ["HARMONi-A"]
    assert found["subgroups"]["by"] == "Risk of bias (overall judgement)"


def test_the_command_names_an_analysis_the_review_lacks(review, owner, trials):
    analysis = analysis_save(review=review, user=owner, outcome=ORR, measure="OR",
                             model="fixed", method="MH")  # fmt: skip
    with pytest.raises(CommandError, match="The review has no analysis 999."):
        call_command("meta_analysis", review.slug, "--analysis", "999", stdout=io.StringIO())
    out = io.StringIO()
    call_command("meta_analysis", review.slug, "--analysis", str(analysis.pk), "--format", "csv",
                 stdout=out)  # fmt: skip
    rows = out.getvalue().splitlines()
    counts = [row.split(",")[14:18] for row in rows[1:]]
    assert sorted(counts) == [["81", "161", "57", "161"], ["99", "198", "77", "200"]]


def test_bad_definitions_and_left_out_studies_are_refused_in_words(
    review, owner, trials, client_owner
):
    with pytest.raises(ValidationError, match="Name the outcome."):
        analysis_save(review=review, user=owner, outcome="  ", measure="RR", model="random",
                      method="DL")  # fmt: skip
    with pytest.raises(AnalysisRefused, match="Choose a subgroup the review has."):
        analysis_save(review=review, user=owner, outcome=ORR, measure="RR", model="random",
                      method="DL", subgroup_by="custom:nope")  # fmt: skip
    assert not Analysis.objects.exists()
    analysis = analysis_save(review=review, user=owner, outcome=ORR, measure="RR",
                             model="random", method="DL")  # fmt: skip
    url = reverse("meta_analysis:left-out", args=[review.slug, analysis.pk])
    assert client_owner.post(url, {"study": "abc", "reason": "x"}).status_code == 404
    follow = client_owner.post(url, {"study": "999999", "reason": "x"}, follow=True)
    assert "That study is not in this review." in follow.content.decode()
    client_owner.post(url, {"study": trials[0].pk, "reason": "y" * 5000})
    assert len(analysis.exclusions.get().reason) == 300  # a huge reason kept to 300 characters
