"""Double extraction through the pages: each extractor fills their own entry through the grid
under the entry's address, blind to the other's; the comparison page shows where they differ
and lets the owner take values into the consensus."""

from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse

from extraction.models import Arm, ArmResult, Entry, ExtractionSettings, Outcome

pytestmark = pytest.mark.django_db


def url(name, review, *args):
    return reverse(f"extraction:{name}", args=[review.slug, *args])


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fill(client, review, study, report, orr: str) -> Entry:
    """Start my entry and fill it through the grid's forms: two arms, the ORR, the values."""
    response = client.post(url("entry-start", review, study.pk))
    entry = Entry.objects.get(study=study, extractor=response.wsgi_request.user)
    assert response.url == url("entry", review, study.pk, entry.pk)
    grid = lambda name, *args: url(f"entry-{name}", review, study.pk, entry.pk, *args)  # noqa: E731
    for label, control in (("Ivonescimab + chemo", ""), ("Placebo + chemo", "on")):
        client.post(grid("arm-create"), {"arm-new-label": label, "arm-new-comparator": control,
                                         "arm-new-report": report.pk})  # fmt: skip
    client.post(grid("outcome-create"), {"outcome-new-name": "Objective response rate",
                                         "outcome-new-kind": "proportion"})  # fmt: skip
    outcome = Outcome.objects.get(entry=entry)
    for arm, value in zip(
        Arm.objects.filter(entry=entry).order_by("position"), (orr, "35.4"), strict=True
    ):
        prefix = f"result-{outcome.pk}-{arm.pk}"
        client.post(grid("result-save", outcome.pk, arm.pk),
                    {f"{prefix}-value": value, f"{prefix}-report": report.pk})  # fmt: skip
    assert ArmResult.objects.filter(entry=entry).count() == 2
    return entry


def test_blind_entries_compared_and_resolved_by_the_owner(
    review, owner, reviewer, second, study, included
):
    report = included[2]
    ana, sara, olivia = client_of(reviewer), client_of(second), client_of(owner)
    first = fill(ana, review, study, report, "50.6")
    # Sara sees that Ana has started, not what she typed: not on the study's page, not at the
    # entry's address, not in the grid's addresses under it.
    page = sara.get(url("study-detail", review, study.pk)).content.decode()
    assert "rui-reviewer:" in page and "in progress" in page and "50.6" not in page
    assert sara.get(url("entry", review, study.pk, first.pk)).status_code == 404
    assert olivia.get(url("entry", review, study.pk, first.pk)).status_code == 404
    assert sara.post(url("entry-arm-create", review, study.pk, first.pk),
                     {"arm-new-label": "X"}).status_code == 404  # fmt: skip
    other = fill(sara, review, study, report, "50.1")
    # The consensus grid is the owner's, and waits for the entries.
    body = olivia.get(url("study-detail", review, study.pk)).content.decode()
    assert "The consensus waits for the 2 independent entries: 0 submitted so far." in body
    compare = olivia.get(url("compare", review, study.pk)).content.decode()
    assert "once all 2 are submitted: 0 so far" in compare and "50.1" not in compare

    ana.post(url("entry-submit", review, study.pk, first.pk))
    assert sara.get(url("entry", review, study.pk, first.pk)).status_code == 404  # still hidden
    sara.post(url("entry-submit", review, study.pk, other.pk))
    assert Entry.objects.filter(submitted_at__isnull=False).count() == 2
    # Now each sees the other's entry, read-only.
    theirs = sara.get(url("entry", review, study.pk, first.pk)).content.decode()
    assert "rui-reviewer's entry" in theirs and "Submit my entry" not in theirs
    assert 'value="50.6"' in theirs

    compare = olivia.get(url("compare", review, study.pk)).content.decode()
    assert "<mark>50.6</mark>" in compare and "<mark>50.1</mark>" in compare
    assert "Take the 4 rows the entries agree on" in compare
    # A reviewer reads the comparison but takes nothing.
    assert "Take the 4 rows" not in sara.get(url("compare", review, study.pk)).content.decode()
    olivia.post(url("compare", review, study.pk), {"action": "agreed"})
    assert Arm.objects.reported().filter(study=study).count() == 2
    compare = olivia.get(url("compare", review, study.pk)).content.decode()
    differing = compare.split('class="compare-row differs"')[1]
    token = html.unescape(differing.split('name="row" value="')[1].split('"')[0])
    response = olivia.post(url("compare", review, study.pk), {"row": token})
    follow = olivia.get(response.url).content.decode()
    assert "Value: the entries differ; choose whose value to keep." in follow
    olivia.post(url("compare", review, study.pk), {"row": token, "choice-value": first.pk})
    values = sorted(str(r.value.normalize()) for r in ArmResult.objects.reported())
    assert values == ["35.4", "50.6"]
    study_page = ana.get(url("study-detail", review, study.pk)).content.decode()
    assert 'value="50.6"' in study_page and "Compare the entries" in study_page
    # A submitted entry rewritten behind the application's back shows on the comparison.
    assert 'id="rewritten"' not in olivia.get(url("compare", review, study.pk)).content.decode()
    ArmResult.objects.filter(entry=other).update(page="99")
    compare = olivia.get(url("compare", review, study.pk)).content.decode()
    assert "Changed since it was submitted:\n" in compare and "sara-second's entry" in compare


def test_the_owner_sets_how_many_extract_each_study(review, owner, reviewer, study):
    olivia, ana = client_of(owner), client_of(reviewer)
    assert ana.post(url("settings", review), {"extractors": "1"}).status_code == 403
    olivia.post(url("settings", review), {"extractors": "4"})
    assert not ExtractionSettings.objects.exists()  # refused, in words, nothing saved
    olivia.post(url("settings", review), {"extractors": "1"})
    assert ExtractionSettings.for_review(review).extractors == 1
    page = ana.get(url("study-detail", review, study.pk)).content.decode()
    assert "Start my entry" not in page and "Independent extraction" not in page


def test_a_reviewer_cannot_write_the_consensus_of_a_double_extracted_review(
    review, reviewer, study, included
):
    ana = client_of(reviewer)
    page = ana.get(url("study-detail", review, study.pk)).content.decode()
    assert "enter the data in your own entry" in page and "Start my entry" in page
    ana.post(url("arm-create", review, study.pk),
             {"arm-new-label": "Ivo", "arm-new-report": included[2].pk})  # fmt: skip
    assert not Arm.objects.exists()
