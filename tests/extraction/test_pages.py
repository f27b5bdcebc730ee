"""The studies pages through Django's test client: grouping included reports into studies, and a
study's data entered row by row, with htmx and without; refused values explained beside their
field; who may do what; and query counts that do not grow with the study."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from extraction.constants import Measure, OutcomeKind
from extraction.models import Arm, ArmResult, Comparison, Outcome, Study, StudyReport
from extraction.services import extraction_save, study_create
from screening.constants import Role
from screening.models import Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, review, *args):
    return reverse(f"extraction:{name}", args=[review.slug, *args])


@pytest.fixture
def client_viewer(review, client):
    viewer = UserFactory(username="vera-viewer")
    Membership.objects.create(review=review, user=viewer, role=Role.VIEWER)
    client.force_login(viewer)
    return client


@pytest.fixture
def harmoni_a(review, owner, included):
    """HARMONi-A with its JAMA report (included[2]), and no data yet."""
    return study_create(review=review, user=owner, name="HARMONi-A", reports=[included[2]])


def tag(html: str, name: str) -> str:
    """The start tag of the input or select called `name`."""
    found = re.search(rf'<(input|select)[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert found, name
    return found.group(0)


def arm_data(prefix, label, report, **extra):
    return {f"{prefix}-label": label, f"{prefix}-report": report.pk,
            **{f"{prefix}-{k}": v for k, v in extra.items()}}  # fmt: skip


def build(study, owner, outcomes: int, arms: int):
    """A study with `arms` arms, `outcomes` outcomes, a result for every arm on every outcome
    and a comparison on each outcome."""
    report = study.links.get(primary=True).reference
    made = [
        extraction_save(instance=Arm(study=study), user=owner, label=f"Arm {i}", report=report,
                        comparator=i == arms - 1, position=i)
        for i in range(arms)
    ]  # fmt: skip
    for o in range(outcomes):
        outcome = extraction_save(instance=Outcome(study=study), user=owner, name=f"Outcome {o}",
                                  kind=OutcomeKind.PROPORTION, position=o)  # fmt: skip
        for arm in made:
            extraction_save(instance=ArmResult(outcome=outcome, arm=arm), user=owner,
                            value=Decimal("40"), ci_low=Decimal("30"), ci_high=Decimal("50"),
                            events=40, n=100, report=report)  # fmt: skip
        extraction_save(instance=Comparison(outcome=outcome, arm=made[0], comparator=made[-1]),
                        user=owner, measure=Measure.ODDS_RATIO, estimate=Decimal("1.5"),
                        ci_low=Decimal("1.1"), ci_high=Decimal("2.0"), report=report)  # fmt: skip


# --- The studies page ----------------------------------------------------------------------------


def test_the_studies_page_shows_studies_unlinked_reports_and_suggestions(
    client_owner, review, harmoni_a, included
):
    page = client_owner.get(url("study-list", review)).content.decode()
    assert url("study-detail", review, harmoni_a.pk) in page
    assert "PRISMA counts <strong>4 studies</strong>" in page  # 1 study + 3 unlinked reports
    unlinked = page.split('id="unlinked"')[1]
    for reference in (included[0], included[1], included[3]):
        assert f'id="report-{reference.pk}"' in unlinked
    assert f'id="report-{included[2].pk}"' not in unlinked
    assert "New study from this report" in unlinked and "Add to study" in unlinked
    suggestions = page.split('id="suggestions"')[1].split('id="unlinked"')[0]
    assert "HARMONI-2" in suggestions and "the same trial acronym in the title" in suggestions
    assert "Confirm: make the study HARMONI-2" in suggestions


def test_confirming_a_suggestion_groups_its_reports_into_a_study(client_owner, review, included):
    response = client_owner.post(
        url("suggestion-confirm", review),
        {"key": "HARMONI-2", "report": [included[0].pk, included[1].pk]},
    )
    assert response.status_code == 302
    study = Study.objects.get(review=review)
    assert (study.name, study.acronym) == ("HARMONI-2", "HARMONI-2")
    assert set(study.links.values_list("reference_id", flat=True)) == {
        included[0].pk, included[1].pk}  # fmt: skip
    page = client_owner.get(url("study-list", review)).content.decode()
    assert "PRISMA counts <strong>3 studies</strong>" in page
    assert "2 reports now in HARMONI-2" in page


def test_a_suggestion_naming_an_existing_study_adds_the_report_to_it(
    client_owner, review, owner, included
):
    study = study_create(review=review, user=owner, name="HARMONi-A", registry_ids=["NCT05184712"])
    page = client_owner.get(url("study-list", review)).content.decode()
    assert "Confirm: add to HARMONi-A" in page
    client_owner.post(
        url("suggestion-confirm", review), {"key": "NCT05184712", "report": included[2].pk}
    )
    assert list(study.links.values_list("reference_id", flat=True)) == [included[2].pk]


def test_a_stale_suggestion_links_nothing(client_owner, review, included):
    response = client_owner.post(
        url("suggestion-confirm", review), {"key": "KEYNOTE-189", "report": included[0].pk},
        follow=True,
    )  # fmt: skip
    assert "no longer applies" in response.content.decode()
    assert not StudyReport.objects.exists()


def test_a_study_is_made_from_one_report_and_another_report_added_to_it(
    client_owner, review, included
):
    response = client_owner.post(
        url("study-create", review),
        {"new-name": "Wang 2024", "new-kind": "trial", "new-report": included[3].pk},
    )
    assert response.status_code == 302 and response.url.endswith("#unlinked")
    study = Study.objects.get(name="Wang 2024")
    assert study.links.get().reference == included[3] and study.links.get().primary
    client_owner.post(url("report-link", review), {"study": study.pk, "reference": included[2].pk})
    assert study.links.count() == 2


def test_the_new_study_form_explains_a_taken_name(client_owner, review, harmoni_a):
    response = client_owner.post(
        url("study-create", review), {"new-name": "HARMONi-A", "new-kind": "trial"}
    )
    assert response.status_code == 200
    assert "The review already has a study of that name." in response.content.decode()
    assert Study.objects.count() == 1


def test_an_empty_study_goes_to_its_page_and_can_be_deleted(client_owner, review, included):
    response = client_owner.post(
        url("study-create", review), {"new-name": "Phase Ib", "new-kind": "trial"}
    )
    study = Study.objects.get(name="Phase Ib")
    assert response.url == url("study-detail", review, study.pk)
    # With htmx (the button asks first, hx-confirm), the answer tells htmx where to go.
    response = client_owner.post(url("study-delete", review, study.pk), **HTMX)
    assert response["HX-Redirect"] == url("study-list", review)
    assert not Study.objects.exists()


def test_a_study_with_data_is_not_deleted(client_owner, review, orr_grid):
    study = orr_grid[0]
    response = client_owner.post(url("study-delete", review, study.pk), follow=True)
    assert "holds extracted data" in response.content.decode()
    assert Study.objects.filter(pk=study.pk).exists()


# --- A study's page ------------------------------------------------------------------------------


def test_the_study_page_saves_the_details_with_registry_ids_typed_in_one_box(
    client_owner, review, harmoni_a
):
    response = client_owner.post(
        url("study-detail", review, harmoni_a.pk),
        {
            "study-name": "HARMONi-A",
            "study-acronym": "HARMONi-A",
            "study-kind": "trial",
            "study-registry_ids": "NCT05184712, CTR20220137  nct05184712",
            "study-phase": "3",
            "study-randomised": "true",
            "study-blinding": "double",
            "study-countries": "China",
            "study-number_randomised": "322",
            "study-status": "completed",
        },
    )
    assert response.status_code == 302
    harmoni_a.refresh_from_db()
    assert harmoni_a.registry_ids == ["NCT05184712", "CTR20220137"]
    assert (harmoni_a.phase, harmoni_a.randomised, harmoni_a.number_randomised) == ("3", True, 322)
    page = client_owner.get(url("study-detail", review, harmoni_a.pk)).content.decode()
    assert 'value="NCT05184712, CTR20220137"' in page


def test_refused_details_come_back_as_typed_with_the_reason(client_owner, review, owner, harmoni_a):
    study_create(review=review, user=owner, name="HARMONi-2")
    data = {"study-name": "HARMONi-2", "study-kind": "trial", "study-status": "unknown",
            "study-number_randomised": "-3"}  # fmt: skip
    response = client_owner.post(url("study-detail", review, harmoni_a.pk), data)
    body = response.content.decode()
    assert response.status_code == 200 and "greater than or equal to 0" in body
    data["study-number_randomised"] = "322"
    body = client_owner.post(url("study-detail", review, harmoni_a.pk), data).content.decode()
    assert "The review already has a study of that name." in body
    assert re.search(r"<h1>\s*HARMONi-A\s", body)  # the heading keeps the stored name
    harmoni_a.refresh_from_db()
    assert (harmoni_a.name, harmoni_a.number_randomised) == ("HARMONi-A", None)


def test_the_reports_of_a_study_are_made_primary_and_unlinked(
    client_owner, review, owner, included
):
    study = study_create(review=review, user=owner, name="HARMONi-2", reports=included[:2])
    second = study.links.get(reference=included[1])
    client_owner.post(url("report-action", review, study.pk, second.pk, "primary"))
    assert study.links.get(primary=True) == second
    client_owner.post(url("report-action", review, study.pk, second.pk, "unlink"))
    assert list(study.links.values_list("reference_id", flat=True)) == [included[0].pk]
    assert study.links.get().primary


def test_report_selects_list_only_the_studys_reports(client_owner, review, harmoni_a, included):
    page = client_owner.get(url("study-detail", review, harmoni_a.pk)).content.decode()
    arms = page.split('id="arms"')[1].split('id="outcomes"')[0]
    assert f'<option value="{included[2].pk}" selected>' in arms  # the primary, by default
    for other in (included[0], included[1], included[3]):
        assert f'<option value="{other.pk}"' not in arms
    # The select that links another report offers the others.
    linking = page.split('id="link-reference"')[1].split("</select>")[0]
    assert all(f'value="{r.pk}"' in linking for r in (included[0], included[1], included[3]))


def test_data_is_entered_row_by_row_with_htmx(client_owner, review, harmoni_a, included):
    report = included[2]
    # An arm: the row comes back saved, a blank row follows with the cursor in it, and the
    # outcomes are drawn again for the new arm.
    response = client_owner.post(
        url("arm-create", review, harmoni_a.pk),
        arm_data("arm-new", "Ivonescimab + chemo", report,
                 intervention="20 mg/kg IV every 3 weeks", number_randomised="161"),
        **HTMX,
    )  # fmt: skip
    body = response.content.decode()
    ivo = Arm.objects.get(label="Ivonescimab + chemo")
    assert response.status_code == 200 and "<html" not in body
    assert f'id="arm-{ivo.pk}"' in body and "Saved" in body
    assert 'id="arm-new"' in body and "autofocus" in tag(body, "arm-new-label")
    assert 'id="outcomes"' in body and 'hx-swap-oob="true"' in body
    client_owner.post(
        url("arm-create", review, harmoni_a.pk),
        arm_data("arm-new", "Placebo + chemo", report, comparator="on"),
        **HTMX,
    )
    placebo = Arm.objects.get(label="Placebo + chemo")
    assert placebo.comparator and placebo.position == 1

    # An outcome: its block arrives with a row per arm, the cursor in the first arm's value.
    response = client_owner.post(
        url("outcome-create", review, harmoni_a.pk),
        {"outcome-new-name": "Objective response rate", "outcome-new-kind": "proportion",
         "outcome-new-timepoint": "2023-03-10"},
        **HTMX,
    )  # fmt: skip
    orr = Outcome.objects.get()
    body = response.content.decode()
    assert f'id="outcome-{orr.pk}"' in body and 'id="outcome-add"' in body
    assert f'id="result-{orr.pk}-{ivo.pk}"' in body and f'id="result-{orr.pk}-{placebo.pk}"' in body
    assert "autofocus" in tag(body, f"result-{orr.pk}-{ivo.pk}-value")

    # A result, then a change to it.
    prefix = f"result-{orr.pk}-{ivo.pk}"
    result_url = url("result-save", review, harmoni_a.pk, orr.pk, ivo.pk)
    values = {f"{prefix}-value": "50.6", f"{prefix}-ci_low": "42.6", f"{prefix}-ci_high": "58.6",
              f"{prefix}-events": "81", f"{prefix}-n": "160", f"{prefix}-report": report.pk,
              f"{prefix}-page": "5", f"{prefix}-quote": "ORR was 50.6%"}  # fmt: skip
    response = client_owner.post(result_url, values, **HTMX)
    assert f'id="{prefix}"' in response.content.decode() and "Saved" in response.content.decode()
    client_owner.post(result_url, {**values, f"{prefix}-note": "investigator assessed"}, **HTMX)
    result = ArmResult.objects.get()
    assert (result.value, result.events, result.n, result.note) == (
        Decimal("50.6"), 81, 160, "investigator assessed")  # fmt: skip

    # A comparison, and a blank one after it.
    prefix = f"comparison-new-{orr.pk}"
    response = client_owner.post(
        url("comparison-create", review, harmoni_a.pk, orr.pk),
        {f"{prefix}-arm": ivo.pk, f"{prefix}-comparator": placebo.pk, f"{prefix}-measure": "or",
         f"{prefix}-estimate": "1.68", f"{prefix}-ci_low": "1.08", f"{prefix}-ci_high": "2.62",
         f"{prefix}-p_value": "0.02", f"{prefix}-report": report.pk},
        **HTMX,
    )  # fmt: skip
    comparison = Comparison.objects.get()
    body = response.content.decode()
    assert f'id="comparison-{comparison.pk}"' in body and "autofocus" in tag(body, f"{prefix}-arm")
    assert (comparison.estimate, comparison.p_value) == (Decimal("1.68"), "0.02")

    # Deleting: the comparison goes (an empty answer removes its row), the result row empties.
    response = client_owner.post(
        url("comparison-delete", review, harmoni_a.pk, comparison.pk), **HTMX
    )
    assert response.status_code == 200 and response.content == b""
    response = client_owner.post(url("result-delete", review, harmoni_a.pk, orr.pk, ivo.pk), **HTMX)
    assert f'id="result-{orr.pk}-{ivo.pk}"' in response.content.decode()
    assert not Comparison.objects.exists() and not ArmResult.objects.exists()
    response = client_owner.post(url("arm-delete", review, harmoni_a.pk, placebo.pk), **HTMX)
    assert 'hx-swap-oob="true"' in response.content.decode()
    assert list(Arm.objects.values_list("label", flat=True)) == ["Ivonescimab + chemo"]


def test_data_is_entered_without_javascript(client_owner, review, harmoni_a, included):
    report = included[2]
    detail = url("study-detail", review, harmoni_a.pk)
    response = client_owner.post(
        url("arm-create", review, harmoni_a.pk), arm_data("arm-new", "Ivonescimab", report)
    )
    ivo = Arm.objects.get()
    assert response.status_code == 302 and response.url == f"{detail}#arm-{ivo.pk}"
    client_owner.post(
        url("arm-save", review, harmoni_a.pk, ivo.pk),
        arm_data(f"arm-{ivo.pk}", "Ivonescimab + chemo", report, number_randomised="161"),
    )
    ivo.refresh_from_db()
    assert (ivo.label, ivo.number_randomised) == ("Ivonescimab + chemo", 161)
    client_owner.post(
        url("outcome-create", review, harmoni_a.pk),
        {"outcome-new-name": "Progression-free survival", "outcome-new-kind": "time_to_event"},
    )
    pfs = Outcome.objects.get()
    prefix = f"result-{pfs.pk}-{ivo.pk}"
    response = client_owner.post(
        url("result-save", review, harmoni_a.pk, pfs.pk, ivo.pk),
        {f"{prefix}-value": "7.1", f"{prefix}-ci_low": "5.9", f"{prefix}-ci_high": "8.7",
         f"{prefix}-report": report.pk},
    )  # fmt: skip
    assert response.url == f"{detail}#outcome-{pfs.pk}"
    assert ArmResult.objects.get().value == Decimal("7.1")
    page = client_owner.get(detail).content.decode()
    assert 'value="7.1"' in page and "Median (months)" in page
    client_owner.post(url("outcome-delete", review, harmoni_a.pk, pfs.pk))
    assert not Outcome.objects.exists() and not ArmResult.objects.exists()


@pytest.fixture
def orr_grid(harmoni_a, owner, included):
    """HARMONi-A with two arms and the objective response rate, no results yet."""
    report = included[2]
    ivo = extraction_save(instance=Arm(study=harmoni_a), user=owner, label="Ivonescimab",
                          report=report)  # fmt: skip
    placebo = extraction_save(instance=Arm(study=harmoni_a), user=owner, label="Placebo",
                              report=report, comparator=True, position=1)  # fmt: skip
    orr = extraction_save(instance=Outcome(study=harmoni_a), user=owner,
                          name="Objective response rate", kind=OutcomeKind.PROPORTION)  # fmt: skip
    return harmoni_a, report, ivo, placebo, orr


BAD_RESULTS = [
    ({"value": "50.6", "ci_low": "58.6", "ci_high": "42.6"},
     "ci_low", "The lower bound (58.6) is above the upper bound (42.6)."),
    ({"value": "120"}, "value", "A percentage is between 0 and 100."),
    ({"events": "12", "n": "10"}, "events", "There cannot be more events (12) than patients (10)."),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "field", "message"), BAD_RESULTS)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_bad_value_comes_back_with_its_message_and_saves_nothing(
    client_owner, review, orr_grid, typed, field, message, htmx
):
    study, report, ivo, placebo, orr = orr_grid
    prefix = f"result-{orr.pk}-{ivo.pk}"
    data = {f"{prefix}-{k}": v for k, v in typed.items()} | {f"{prefix}-report": report.pk}
    response = client_owner.post(
        url("result-save", review, study.pk, orr.pk, ivo.pk), data, **(HTMX if htmx else {})
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert ("<html" in body) is not htmx  # the row alone with htmx, the whole page without
    row = body.split(f'id="{prefix}"')[1].split("</form>")[0]
    # Beside its field, which is marked invalid and described by the message.
    invalid = tag(row, f"{prefix}-{field}")
    assert 'aria-invalid="true"' in invalid
    assert f'<span class="error" id="id_{prefix}-{field}_error" role="alert">{message}' in row
    for name, value in typed.items():
        assert f'value="{value}"' in tag(row, f"{prefix}-{name}")  # as typed
    assert not ArmResult.objects.exists()


def test_a_bad_comparison_and_a_duplicate_arm_are_explained(client_owner, review, orr_grid):
    study, report, ivo, placebo, orr = orr_grid
    prefix = f"comparison-new-{orr.pk}"
    response = client_owner.post(
        url("comparison-create", review, study.pk, orr.pk),
        {f"{prefix}-arm": ivo.pk, f"{prefix}-comparator": ivo.pk, f"{prefix}-measure": "or",
         f"{prefix}-estimate": "-1", f"{prefix}-report": report.pk},
        **HTMX,
    )  # fmt: skip
    body = response.content.decode()
    assert "Compare an arm with another arm." in body and "above 0" in body
    assert not Comparison.objects.exists()
    response = client_owner.post(
        url("arm-create", review, study.pk), arm_data("arm-new", "Placebo", report), **HTMX
    )
    assert "The study already has an arm of that name." in response.content.decode()
    assert Arm.objects.count() == 2


# --- Who may do what -------------------------------------------------------------------------


def test_outsiders_see_nothing_and_viewers_read_but_do_not_edit(
    client_outsider, client_viewer, review, orr_grid
):
    study, report, ivo, placebo, orr = orr_grid
    pages = [url("study-list", review), url("study-detail", review, study.pk)]
    for page in pages:
        assert client_outsider.get(page).status_code == 404
        assert client_viewer.get(page).status_code == 200
    detail = client_viewer.get(url("study-detail", review, study.pk)).content.decode()
    assert "Ivonescimab" in detail and "disabled" in detail
    assert "Add arm" not in detail and "Save the details" not in detail
    listing = client_viewer.get(url("study-list", review)).content.decode()
    assert "New study from this report" not in listing and "Confirm:" not in listing
    posts = [
        (url("study-create", review), {"new-name": "X", "new-kind": "trial"}),
        (url("study-detail", review, study.pk), {"study-name": "X"}),
        (url("arm-create", review, study.pk), arm_data("arm-new", "X", report)),
        (url("arm-delete", review, study.pk, ivo.pk), {}),
        (url("outcome-delete", review, study.pk, orr.pk), {}),
        (url("result-save", review, study.pk, orr.pk, ivo.pk), {}),
        (url("suggestion-confirm", review), {"key": "HARMONI-2"}),
        (url("report-link", review), {"study": study.pk}),
    ]
    for target, data in posts:
        assert client_viewer.post(target, data, **HTMX).status_code == 403, target
        assert client_outsider.post(target, data).status_code == 404, target
    assert Arm.objects.count() == 2 and Study.objects.count() == 1


def test_a_row_of_another_study_is_not_found(client_owner, review, owner, orr_grid, included):
    study, report, ivo, placebo, orr = orr_grid
    other = study_create(review=review, user=owner, name="Phase Ib", reports=[included[3]])
    assert client_owner.post(url("arm-delete", review, other.pk, ivo.pk)).status_code == 404
    assert (
        client_owner.post(url("result-save", review, other.pk, orr.pk, ivo.pk)).status_code == 404
    )
    assert Arm.objects.filter(pk=ivo.pk).exists()


# --- Query counts ------------------------------------------------------------------------------


def test_the_studies_pages_cost_the_same_queries_small_or_large(
    client_owner, review, owner, included, django_assert_max_num_queries
):
    small = study_create(review=review, user=owner, name="Small", reports=[included[2]])
    build(small, owner, outcomes=1, arms=2)
    pages = [url("study-list", review), url("study-detail", review, small.pk)]
    counts = []
    # 17 at most: two of them the labels (the member's choices, those on reports), two the
    # independent entries (the extraction settings, the studies' entries), one the log the
    # methods paragraph is written from.
    for page in pages:
        with django_assert_max_num_queries(17) as captured:
            assert client_owner.get(page).status_code == 200
        counts.append(len(captured.captured_queries))

    large = study_create(review=review, user=owner, name="Large", reports=included[:2])
    build(large, owner, outcomes=5, arms=3)
    study_create(review=review, user=owner, name="Phase Ib", reports=[included[3]])
    pages[1] = url("study-detail", review, large.pk)
    for page, count in zip(pages, counts, strict=True):
        with django_assert_max_num_queries(count):
            body = client_owner.get(page).content.decode()
    assert body.count('class="grid-row result') == 15
    assert body.count('class="grid-row comparison') == 5 + 5  # and a blank row under each


def test_a_continuous_outcome_asks_each_arms_spread_and_checks_it(
    client_owner, review, owner, harmoni_a, included
):
    arm = extraction_save(instance=Arm(study=harmoni_a), user=owner, label="Ivo",
                          report=included[2])  # fmt: skip
    score = extraction_save(instance=Outcome(study=harmoni_a), user=owner, name="Pain score",
                            kind=OutcomeKind.CONTINUOUS)  # fmt: skip
    page = client_owner.get(url("study-detail", review, harmoni_a.pk)).content.decode()
    prefix = f"result-{score.pk}-{arm.pk}"
    assert f'name="{prefix}-sd"' in page and f'name="{prefix}-events"' not in page
    save = url("result-save", review, harmoni_a.pk, score.pk, arm.pk)
    bad = {f"{prefix}-value": "12", f"{prefix}-q1": "14", f"{prefix}-q3": "10",
           f"{prefix}-report": included[2].pk}  # fmt: skip
    body = client_owner.post(save, bad).content.decode()
    assert "The lower quartile (14) is above the upper one (10)." in body
    assert not ArmResult.objects.exists()
    good = {f"{prefix}-value": "12", f"{prefix}-sd": "3.5", f"{prefix}-n": "40",
            f"{prefix}-report": included[2].pk}  # fmt: skip
    client_owner.post(save, good)
    saved = ArmResult.objects.get()
    assert (saved.value, saved.sd, saved.n) == (Decimal("12"), Decimal("3.5"), 40)
