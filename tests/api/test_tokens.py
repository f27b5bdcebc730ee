"""API tokens: `manage.py api_token USERNAME` prints one alone (the same one until asked for a
new one), refuses an unknown or inactive account in words; the account page makes one and shows
its key once; a replaced key stops working. And the throttle: past the rate, 429 in words."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _api_token(*args: str) -> str:
    out = io.StringIO()
    call_command("api_token", *args, stdout=out)
    return out.getvalue()


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_command_prints_the_token_alone_and_the_api_takes_it(reviewer, review):
    printed = _api_token("rui-reviewer")
    key = Token.objects.get(user=reviewer).key
    assert printed == f"{key}\n"
    assert _api_token("rui-reviewer") == printed  # the same one, until asked for another
    response = _client(key).get(reverse("api:review-list"))
    assert [r["slug"] for r in response.json()["results"]] == [review.slug]


def test_regenerate_replaces_the_token_and_the_old_one_stops_working(reviewer):
    old = _api_token("rui-reviewer").strip()
    new = _api_token("rui-reviewer", "--regenerate").strip()
    assert new != old and len(new) == 40
    assert _client(old).get(reverse("api:review-list")).status_code == 401
    assert _client(new).get(reverse("api:review-list")).status_code == 200


def test_the_command_refuses_an_unknown_or_inactive_account_in_words(reviewer):
    with pytest.raises(CommandError, match="No account is named 'nobody'."):
        _api_token("nobody")
    reviewer.is_active = False
    reviewer.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="inactive: the API would refuse its token"):
        _api_token("rui-reviewer")
    assert not Token.objects.exists()


def test_the_account_page_makes_a_token_and_shows_its_key_once(client_reviewer, reviewer):
    url = reverse("screening:account")
    page = client_reviewer.get(url).content.decode()
    assert "You have no API token yet." in page
    assert f'href="{url}"' in page  # the menu links to it
    made = client_reviewer.post(url)
    key = Token.objects.get(user=reviewer).key
    assert made.status_code == 200 and key in made.content.decode()
    assert "no-store" in made["Cache-Control"]
    later = client_reviewer.get(url).content.decode()
    assert key not in later and "You have an API token" in later
    assert _client(key).get(reverse("api:review-list")).status_code == 200
    # A new one in its place: the old key is refused from then on.
    client_reviewer.post(url)
    assert _client(key).get(reverse("api:review-list")).status_code == 401


def test_the_account_page_needs_a_login(client):
    response = client.get(reverse("screening:account"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_past_the_rate_a_person_is_told_to_wait(reviewer, review, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "3/hour", "anon": "2/hour"},
    }
    client = _client(_api_token("rui-reviewer").strip())
    codes = [client.get(reverse("api:review-list")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = client.get(reverse("api:review-detail", args=[review.slug]))
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Request was throttled. Expected available in")
    assert int(refused["Retry-After"]) > 0
    # Not logged in: counted by address, on the one URL that answers (the schema).
    anonymous = APIClient()
    codes = [anonymous.get(reverse("api:schema")).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
