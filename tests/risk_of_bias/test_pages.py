"""The risk-of-bias pages: the overview (results, progress, consensus dots, plots, agreement,
methods), a member's own assessment form (start, save, submit), a result's page (hidden, then
side by side with the differences), the consensus form, the plots and the downloads; each as
the roles allow."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from extraction.constants import OutcomeKind
from extraction.models import Outcome
from extraction.services import extraction_save
from risk_of_bias.models import Assessment
from risk_of_bias.services import (
    JudgementInput,
    assessment_save,
    assessment_submit,
    consensus_start,
)
from tests.risk_of_bias.conftest import HIGH_D1, LOW, answers, assess

pytestmark = pytest.mark.django_db


def url(name: str, trial, *args) -> str:
    return reverse(f"risk_of_bias:{name}", args=[trial.review.slug, *args])


def _form(responses: dict[str, str], **more) -> dict[str, str]:
    return {**{f"q-{qid}": r for qid, r in responses.items()}, **more}


def test_an_assessor_starts_saves_and_submits_through_the_form(trial):
    client = trial.client(trial.a)
    overview = client.get(url("overview", trial)).content.decode()
    assert "HARMONi-A · Progression-free survival" in overview and "0 of 2 submitted" in overview
    response = client.post(url("start", trial, trial.pfs.pk))
    assert response.status_code == 302 and response["Location"] == url(
        "assess", trial, trial.pfs.pk
    )
    page = client.get(url("assess", trial, trial.pfs.pk)).content.decode()
    assert 'name="q-1.1"' in page and "Proposed by the algorithm" in page
    evidence = {"quote-1.2": "Central interactive web response system", "page-1.2": "3",
                "report-1.2": str(trial.report.pk), "comment-1.2": "Concealed."}  # fmt: skip
    saved = client.post(url("assess", trial, trial.pfs.pk), _form(LOW, action="save", **evidence))
    html = saved.content.decode()
    assert saved.status_code == 200 and "Saved as a draft" in html
    assert html.count('class="rob-dot rob-low"') >= 6  # five domains and the overall proposal
    assert "Central interactive web response system" in html
    refused = client.post(
        url("assess", trial, trial.pfs.pk),
        _form(LOW, action="save", **{"judgement-D2": "high"}),
    )
    assert "D2: say why you judge it otherwise" in refused.content.decode()
    done = client.post(url("assess", trial, trial.pfs.pk), _form(LOW, action="submit", **evidence))
    assert done.status_code == 302 and done["Location"] == url("result", trial, trial.pfs.pk)
    mine = Assessment.objects.get(assessor=trial.a)
    assert mine.submitted and mine.answers.get(question="1.2").page == "3"


def test_the_result_page_hides_answers_until_both_have_submitted(trial):
    a = assess(trial, trial.a, trial.pfs, LOW)
    b = assess(trial, trial.b, trial.pfs, HIGH_D1)
    assessment_submit(assessment=a, user=trial.a)
    for user in (trial.owner, trial.b, trial.viewer):
        page = trial.client(user).get(url("result", trial, trial.pfs.pk)).content.decode()
        assert f'id="assessment-{a.pk}"' not in page, user
        assert "No one sees an assessor's answers until every assessor has submitted" in page
    assessment_submit(assessment=b, user=trial.b)
    page = trial.client(trial.viewer).get(url("result", trial, trial.pfs.pk)).content.decode()
    assert f'id="assessment-{a.pk}"' in page and f'id="assessment-{b.pk}"' in page
    differences = re.search(r'class="list rob-differences".*?</table>', page, re.S).group(0)
    assert "<td>1.2</td>" in differences and "<td>D1</td>" in differences
    assert "<td>Overall</td>" in differences
    assert 'id="consensus-link"' not in page  # a viewer makes no consensus
    owner_page = trial.client(trial.owner).get(url("result", trial, trial.pfs.pk)).content.decode()
    assert 'id="consensus-link"' in owner_page


def test_the_consensus_is_made_by_a_resolver_and_reported(trial):
    for user, responses in ((trial.a, LOW), (trial.b, HIGH_D1)):
        assessment_submit(assessment=assess(trial, user, trial.pfs, responses), user=user)
    assert trial.client(trial.a).get(url("consensus", trial, trial.pfs.pk)).status_code == 403
    client = trial.client(trial.owner)
    page = client.get(url("consensus", trial, trial.pfs.pk)).content.decode()
    assert "Where the assessors differ" in page and 'name="q-1.2"' in page
    assert re.search(r'name="q-1.1"\s+value="Y"\s+checked', page)  # agreed: filled in
    assert not re.search(r'name="q-1.2"\s+value="[A-Z]+"\s+checked', page)  # not agreed
    response = client.post(
        url("consensus", trial, trial.pfs.pk),
        _form({**LOW, "1.2": "PY"}, action="submit", **{
            "judgement-overall": "some concerns",
            "justification-overall": "Open-label: some concerns across domains.",
        }),
    )  # fmt: skip
    assert response.status_code == 302
    overview = client.get(url("overview", trial)).content.decode()
    consensus_cell = re.search(rf'id="result-{trial.pfs.pk}".*?</tr>', overview, re.S).group(0)
    assert consensus_cell.count("rob-dot rob-low") == 5 and "rob-dot rob-some" in consensus_cell
    # The overall judgement overrides the proposal (low): marked, here too.
    assert consensus_cell.count('class="override-mark"') == 1
    assert 'title="Overridden: the algorithm proposed low"' in consensus_cell
    assert (
        'id="rob-methods"' in overview
        and "settled by consensus (made by olivia-owner (1 result))" in overview
    )
    for kind in ("traffic-light", "summary"):
        svg = client.get(url("plot", trial, kind, "svg"))
        assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg+xml")
        assert "HARMONi-A" in svg.content.decode() or kind == "summary"
        png = client.get(url("plot", trial, kind, "png"))
        assert png.content.startswith(b"\x89PNG")


def test_the_downloads_and_the_command_agree(trial, tmp_path):
    for user, responses in ((trial.a, LOW), (trial.b, HIGH_D1)):
        assessment_submit(assessment=assess(trial, user, trial.pfs, responses), user=user)
    consensus = consensus_start(review=trial.review, user=trial.owner, outcome=trial.pfs)
    assessment_save(assessment=consensus, user=trial.owner, answers=answers(LOW), domains={},
                    overall=JudgementInput(""))  # fmt: skip
    assessment_submit(assessment=consensus, user=trial.owner)
    assess(trial, trial.a, trial.orr, LOW)  # a draft of another result: never exported
    client = trial.client(trial.viewer)
    body = json.loads(client.get(url("export", trial, "json")).content)
    assert body["tool"] == "RoB 2"
    assert [(e["assessor"], e["overall"]["judgement"]) for e in body["assessments"]] == [
        ("rui-reviewer", "low"), ("bruno-second", "high"), ("consensus", "low"),
    ]  # fmt: skip
    d1 = body["assessments"][1]["domains"][0]
    assert d1 == {**d1, "domain": "D1", "answers": {"1.1": "Y", "1.2": "N", "1.3": "N"},
                  "proposed": "high", "judgement": "high", "overridden": False}  # fmt: skip
    out = tmp_path / "rob.json"
    call_command("export_risk_of_bias", trial.review.slug, "--format", "json", "--output", str(out))
    assert json.loads(out.read_text()) == body
    rows = list(csv.reader(io.StringIO(client.get(url("export", trial, "csv")).content.decode())))
    assert rows == [
        ["Study", "D1", "D2", "D3", "D4", "D5", "Overall", "Weight"],
        ["HARMONi-A · Progression-free survival", "Low", "Low", "Low", "Low", "Low", "Low", "322"],
    ]


def test_roles_and_refusals(trial, client_outsider):
    assert client_outsider.get(url("overview", trial)).status_code == 404
    viewer = trial.client(trial.viewer)
    assert viewer.get(url("overview", trial)).status_code == 200
    assert viewer.get(url("assess", trial, trial.pfs.pk)).status_code == 403
    assert viewer.post(url("start", trial, trial.pfs.pk)).status_code == 403
    assert viewer.get(url("plot", trial, "summary", "svg")).status_code == 404  # nothing yet
    assert viewer.get(url("plot", trial, "pie", "svg")).status_code == 404
    response = trial.client(trial.a).post(url("settings", trial), {"assessors": "1"})
    assert response.status_code == 403
    owner = trial.client(trial.owner)
    owner.post(url("settings", trial), {"assessors": "1", "tool": "rob2-adherence"})
    overview = owner.get(url("overview", trial)).content.decode()
    assert "effect of adhering to intervention" in overview and "by 1 reviewer," in overview


def _consensus_of(trial, outcome) -> None:
    for user, responses in ((trial.a, LOW), (trial.b, HIGH_D1)):
        assessment_submit(assessment=assess(trial, user, outcome, responses), user=user)
    consensus = consensus_start(review=trial.review, user=trial.owner, outcome=outcome)
    assessment_save(assessment=consensus, user=trial.owner, answers=answers(LOW), domains={},
                    overall=JudgementInput(""))  # fmt: skip
    assessment_submit(assessment=consensus, user=trial.owner)


def test_the_overview_costs_the_same_queries_for_one_result_or_many(
    trial, django_assert_max_num_queries
):
    _consensus_of(trial, trial.pfs)
    client = trial.client(trial.owner)
    # 17 with one result: the session, the review and the member, the results and their
    # assessments (with answers and overrides), the settings, the audit events the methods and
    # the digest check read, the users the paragraph names, the menu.
    with django_assert_max_num_queries(17) as one:
        assert client.get(url("overview", trial)).status_code == 200
    for n in range(4):
        outcome = extraction_save(instance=Outcome(study=trial.pfs.study), user=trial.owner,
                                  name=f"Outcome {n}", kind=OutcomeKind.PROPORTION)  # fmt: skip
        _consensus_of(trial, outcome)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url("overview", trial)).content.decode()
    assert page.count('class="rob-dot rob-low"') >= 5 * 6


def test_the_audit_log_says_who_submitted_what_without_the_answers(trial):
    _consensus_of(trial, trial.pfs)
    page = (
        trial.client(trial.viewer)
        .get(reverse("screening:audit-log", args=[trial.review.slug]))
        .content.decode()
    )
    assert (
        "submitted their risk-of-bias assessment of HARMONi-A · Progression-free survival" in page
    )
    assert (
        "submitted the risk-of-bias consensus of HARMONi-A · Progression-free survival: "
        "overall low" in page
    )
    assert "started a risk-of-bias assessment of HARMONi-A" in page


def test_a_hostile_answer_is_refused_in_words_and_nothing_breaks(trial):
    client = trial.client(trial.a)
    client.post(url("start", trial, trial.pfs.pk))
    response = client.post(
        url("assess", trial, trial.pfs.pk), _form({**LOW, "1.1": "ZZ"}, action="save")
    )
    assert response.status_code == 200
    assert "1.1: answer one of Y, PY, PN, N, NI." in response.content.decode()
    assert not Assessment.objects.get(assessor=trial.a).answers.exists()


def test_a_result_of_unknown_size_makes_the_weights_equal(trial):
    """The summary plot and robvis's Weight are sizes only when every study's size is known:
    a result of unknown size does not count as one participant."""
    harmonia = trial.pfs.study
    other = extraction_save(instance=Outcome(study=harmonia), user=trial.owner, name="OS",
                            kind=OutcomeKind.TIME_TO_EVENT)  # fmt: skip
    for outcome in (trial.pfs, other):
        _consensus_of(trial, outcome)
    client = trial.client(trial.owner)
    weights = [
        row.split(",")[-1]
        for row in client.get(url("export", trial, "csv")).content.decode().splitlines()[1:]
    ]
    assert weights == ["322", "322"]
    assert "Weighted" in client.get(url("plot", trial, "summary", "svg")).content.decode()
    type(harmonia).objects.filter(pk=harmonia.pk).update(number_randomised=None)
    weights = [
        row.split(",")[-1]
        for row in client.get(url("export", trial, "csv")).content.decode().splitlines()[1:]
    ]
    assert weights == ["1", "1"]
    assert "Unweighted" in client.get(url("plot", trial, "summary", "svg")).content.decode()
