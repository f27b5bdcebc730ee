"""The studies page filters by label: the studies with a report carrying it and the reports not
in a study carrying it, as the member sees labels (another's private label matches nothing);
each report shows its labels. The "add to study" choices stay every study."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from extraction.services import study_create
from screening.labels.services import label_apply, label_create
from screening.models import Membership
from screening.permissions.blinding import VoteView

pytestmark = pytest.mark.django_db


@pytest.fixture
def studies(review, owner, reviewer, included):
    """HARMONi-2 (two reports, the second labelled "Conference"), HARMONi-A (no label); the
    phase Ib report, not in a study, labelled with the reviewer's private "Later"."""
    harmoni2, abstract, harmonia, phase1b = included
    study_create(review=review, user=owner, name="HARMONi-2", reports=[harmoni2, abstract])
    study_create(review=review, user=owner, name="HARMONi-A", reports=[harmonia])
    conference = label_create(review=review, user=owner, name="Conference", colour="blue")
    later = label_create(review=review, user=reviewer, name="Later", colour="red", private=True)
    for user, label, ref in ((owner, conference, abstract), (reviewer, later, phase1b)):
        view = VoteView.of(review, Membership.objects.get(review=review, user=user))
        label_apply(review=review, label_id=label.pk, reference_ids=[ref.pk], user=user, view=view)
    return {"conference": conference, "later": later}


def _page(review, user, **query):
    client = Client()
    client.force_login(user)
    response = client.get(reverse("extraction:study-list", args=[review.slug]), query)
    assert response.status_code == 200
    listed = [study.name for study in response.context["listed"]]
    unlinked = [reference.first_author for reference, *_ in response.context["unlinked"]]
    return listed, unlinked, response.content.decode()


def test_the_studies_page_filters_by_label(review, owner, reviewer, studies):
    conference, later = str(studies["conference"].pk), str(studies["later"].pk)
    assert _page(review, owner)[:2] == (["HARMONi-2", "HARMONi-A"], ["Wang, L"])
    assert _page(review, owner, label=conference)[:2] == (["HARMONi-2"], [])
    # "No label": the studies none of whose reports carries one, and such reports.
    assert _page(review, owner, label="none")[:2] == (["HARMONi-A"], ["Wang, L"])
    assert _page(review, reviewer, label="none")[:2] == (["HARMONi-A"], [])
    assert _page(review, reviewer, label=later)[:2] == ([], ["Wang, L"])
    listed, unlinked, html = _page(review, owner, label=later)
    assert (listed, unlinked) == ([], [])
    assert "Later" not in html


def test_each_report_shows_its_labels_and_the_choices_stay_every_study(review, owner, studies):
    _, _, html = _page(review, owner, label=str(studies["conference"].pk))
    assert html.count('<span class="label-chip label-blue">Conference</span>') == 1
    assert "1 of 2 studies, by the label chosen." in html
    assert ">No label</option>" in html and ">Conference</option>" in html  # the filter's
    _, _, plain = _page(review, owner)
    assert plain.count(">HARMONi-A</option>") == 1  # the unlinked report's "add to study" choice
