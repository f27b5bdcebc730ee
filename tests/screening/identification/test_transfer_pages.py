"""The import page of a file with another tool's decisions: before anything lands it shows
the counts per stage and verdict, the reasons to be created, the conflicts between the file's
reviewers and a form mapping each of them to a member (plain HTML: no JavaScript needed);
confirming lands them, or refuses until they are mapped or left out."""

from __future__ import annotations

import html as entities
import re

import pytest
from django.urls import reverse

from screening.constants import JobStatus
from screening.identification.import_jobs import import_job_run
from screening.models import Decision, ImportJob
from tests.screening.identification.test_transfer_land import upload

pytestmark = pytest.mark.django_db


def _action(job, action: str) -> str:
    return reverse("screening:import-job-action", args=[job.review.slug, job.pk, action])


def _text(html: str) -> str:
    return " ".join(entities.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_preview_shows_the_decisions_reasons_conflicts_and_a_mapping_form(
    review, owner, reviewer, client_owner
):
    job = upload(review, owner, "rayyan/articles.csv")
    html = client_owner.get(job.get_absolute_url()).content.decode()
    text = _text(html)
    assert "Rayyan decisions in the file" in text
    assert "9 decisions on 5 records, by 2 reviewers" in text
    assert "Title and abstract 4 1 4 9" in text  # include, maybe, exclude, all
    assert "Full text 0 0 0 0" in text
    assert "“wrong population” at title and abstract: will be created" in text
    assert "“wrong study design” at title and abstract: the review's reason of that name" in text
    assert "Rayyan labels, kept in each decision's note: RCT, phase 3, to discuss" in text
    assert "The file's reviewers disagree on 1 record" in text
    assert "Alice: include · Bob: exclude" in text
    # One select per file reviewer, offering the members who screen; no script needed.
    assert html.count('<select name="reviewer_') == 2
    assert f'<option value="{reviewer.pk}">' in html and f'<option value="{owner.pk}">' in html
    assert 'formaction="' + _action(job, "map") + '"' in html
    assert 'id="confirm-import"' in html


def test_saving_the_mapping_keeps_it_and_shows_it_again(review, owner, reviewer, client_owner):
    job = upload(review, owner, "rayyan/articles.csv")
    response = client_owner.post(
        _action(job, "map"), {"reviewer_0": owner.pk, "reviewer_1": owner.pk}, follow=True
    )
    job.refresh_from_db()
    assert job.decision_mapping["reviewers"] == {"Alice": owner.pk, "Bob": owner.pk}
    text = _text(response.content.decode())
    assert "Saved: the counts below follow what you chose." in text
    assert "Alice and Bob are mapped to one member" in text
    assert f'<option value="{owner.pk}" selected>' in response.content.decode()


def test_confirming_without_a_mapping_is_refused_and_nothing_is_queued(review, owner, client_owner):
    job = upload(review, owner, "rayyan/articles.csv")
    response = client_owner.post(_action(job, "confirm"), {"reviewer_0": owner.pk}, follow=True)
    assert "Say which member's decisions those of 'Bob' are" in _text(response.content.decode())
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.PREVIEWED


def test_confirming_with_the_mapping_lands_the_decisions_and_says_so(
    review, owner, reviewer, client_owner
):
    job = upload(review, owner, "rayyan/articles.csv")
    client_owner.post(_action(job, "confirm"), {"reviewer_0": owner.pk, "reviewer_1": reviewer.pk})
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.QUEUED
    import_job_run(job_id=job.pk)
    text = _text(client_owner.get(job.get_absolute_url()).content.decode())
    assert (
        "With them, 9 Rayyan decisions were recorded as the decisions of the members chosen" in text
    )
    assert Decision.objects.filter(reviewer=reviewer, imported_from__isnull=False).count() == 4


def test_records_only_lands_the_records_and_the_page_says_the_decisions_were_not(
    review, owner, client_owner
):
    job = upload(review, owner, "rayyan/articles.csv")
    client_owner.post(_action(job, "confirm"), {"records_only": "on"})
    import_job_run(job_id=job.pk)
    text = _text(client_owner.get(job.get_absolute_url()).content.decode())
    assert "Imported: 6 records" in text
    assert "The file's 9 Rayyan decisions were not imported: you chose the records only." in text
    assert not Decision.objects.exists()


def test_a_file_without_decisions_keeps_its_plain_confirm_button(job, client_owner):
    html = client_owner.get(job.get_absolute_url()).content.decode()
    assert "decisions in the file" not in html
    assert 'id="decision-mapping"' not in html
    assert 'id="confirm-import"' in html


def test_an_outsider_cannot_map_a_reviews_import(review, owner, client_outsider):
    job = upload(review, owner, "rayyan/articles.csv")
    assert client_outsider.post(_action(job, "map"), {"records_only": "on"}).status_code == 404
    assert ImportJob.objects.get(pk=job.pk).decision_mapping == {}
