"""Who may use the API: every data endpoint needs a token or a session (the schema alone is
open); an outsider's token learns nothing of a review, not even that it exists (the same 404 as
for a slug no review has); a viewer is refused the screening endpoints in words, as on the
pages. The endpoints are read from Django's resolver, so a new one cannot escape the checks."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from screening.constants import Role
from screening.models import Membership
from screening.reviews.services import review_create
from tests.api.conftest import api_patterns, token_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The only URL of the app that answers without a login: it holds no data.
OPEN = {"api:schema"}


def _kwargs(names: list[str], slug: str, reference_id: int) -> dict:
    values = {"slug": slug, "pk": reference_id, "name": "prisma.json"}
    missing = [name for name in names if name not in values]
    assert not missing, f"the access tests fill no value for the URL kwargs {missing}"
    return {name: values[name] for name in names}


def data_urls(slug: str, reference_id: int) -> list[tuple[str, str]]:
    """(name, URL) of every data endpoint of the API."""
    return [
        (name, reverse(name, kwargs=_kwargs(names, slug, reference_id)))
        for name, names in api_patterns()
        if name not in OPEN
    ]


def test_the_walk_finds_every_endpoint():
    names = {name for name, _ in api_patterns()}
    assert {"api:schema", "api:review-list", "api:decisions", "api:export"} <= names
    assert len(names) == 13


def test_every_data_endpoint_refuses_a_request_without_a_token_or_a_session(review, references):
    anonymous = APIClient()
    refused = {}
    for name, url in data_urls(review.slug, references[0].pk):
        for method in ("get", "post"):
            response = getattr(anonymous, method)(url)
            refused[(name, method)] = (response.status_code, response.get("WWW-Authenticate"))
    assert set(refused.values()) == {(401, "Token")}, refused


def test_a_wrong_token_is_refused_in_words(review):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    response = client.get(reverse("api:review-list"))
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_logged_in_browser_session_reads_the_api_too(client_reviewer, review):
    response = client_reviewer.get(reverse("api:review-list"))
    assert response.status_code == 200
    assert [r["slug"] for r in response.json()["results"]] == [review.slug]


def test_the_review_list_names_the_reviews_the_token_owner_belongs_to(
    api_reviewer, api_outsider, review
):
    other = review_create(
        slug="other-team", title="Another team's review", owner=UserFactory(username="ann-other")
    )
    body = api_reviewer.get(reverse("api:review-list")).json()
    assert body["count"] == 1
    assert body["results"] == [
        {
            "slug": "ivonescimab",
            "title": "Ivonescimab in advanced non-small cell lung cancer",
            "role": "reviewer",
            "created_at": body["results"][0]["created_at"],
        }
    ]
    assert other.slug not in str(body)
    assert api_outsider.get(reverse("api:review-list")).json()["results"] == []


def test_an_outsider_gets_for_every_endpoint_the_answer_a_review_that_does_not_exist_gets(
    api_outsider, review, references
):
    """The same status and body for the review and for a slug no review has: existence is not
    revealed, whatever the endpoint (and a reference of the review is named in the URL)."""
    reference_id = references[0].pk
    answers = {}
    for (name, url), (_, unknown) in zip(
        data_urls(review.slug, reference_id),
        data_urls("no-such-review", reference_id),
        strict=True,
    ):
        if name == "api:review-list":
            continue
        for method in ("get", "post"):
            theirs = getattr(api_outsider, method)(url)
            nobodys = getattr(api_outsider, method)(unknown)
            answers[(name, method)] = (theirs.status_code, theirs.content)
            assert (theirs.status_code, theirs.content) == (nobodys.status_code, nobodys.content)
    # A GET finds no review; so does a POST where the endpoint takes one, and elsewhere the
    # POST is refused before any review is looked up.
    not_found = (404, b'{"detail":"No such review."}')
    assert {answers[key] for key in answers if key[1] == "get"} == {not_found}
    assert answers[("api:decisions", "post")] == not_found
    assert {answers[key][0] for key in answers if key[1] == "post"} == {404, 405}


def test_a_viewer_is_refused_the_screening_endpoints_in_words(review, references):
    viewer = UserFactory(username="vera-viewer")
    Membership.objects.create(review=review, user=viewer, role=Role.VIEWER)
    client = token_client(viewer)
    for name in ("api:queue", "api:decisions"):
        response = client.get(reverse(name, args=[review.slug]))
        assert response.status_code == 403
        assert response.json() == {
            "detail": "This is for the review's owners and reviewers; you are a viewer here."
        }
    # What every member reads, the viewer reads.
    assert client.get(reverse("api:reference-list", args=[review.slug])).status_code == 200
