"""Password guessing: failed logins are counted per account and per address, a locked login is
refused even with the right password and says to wait, and password resets are counted too."""

from __future__ import annotations

import logging

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.conftest import TEST_PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()  # the reset counter lives there
    yield
    cache.clear()


def _log_in(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_twenty_wrong_passwords_then_the_right_one_does_not_get_in(owner, caplog):
    client = Client()
    statuses = [_log_in(client, owner.username, f"guess-{n}").status_code for n in range(20)]
    assert statuses[:4] == [200] * 4  # the login form again, with its error
    assert set(statuses[5:]) == {429}  # from the limit on: locked, in words
    with caplog.at_level(logging.WARNING, logger="screening.reviews.accounts"):
        response = _log_in(client, owner.username, TEST_PASSWORD)
    assert response.status_code == 429
    assert not _logged_in(client)
    page = response.content.decode()
    assert "Too many failed logins for this account or from this address" in page
    assert "Wait 15 minutes" in page
    assert AccessAttempt.objects.filter(username=owner.username).exists()  # the event is logged
    assert any("Login locked out" in record.message for record in caplog.records)


def test_the_account_stays_locked_from_another_address(owner):
    for n in range(5):
        _log_in(Client(), owner.username, f"guess-{n}", address="10.0.0.1")
    client = Client()
    response = _log_in(client, owner.username, TEST_PASSWORD, address="10.9.9.9")
    assert response.status_code == 429 and not _logged_in(client)


def test_an_address_that_guesses_many_accounts_is_locked(owner):
    for n in range(5):
        _log_in(Client(), f"someone-{n}", "guess", address="10.0.0.7")
    client = Client()
    response = _log_in(client, owner.username, TEST_PASSWORD, address="10.0.0.7")
    assert response.status_code == 429 and not _logged_in(client)
    # The owner, from elsewhere, is not locked out by someone else's guessing.
    other = Client()
    assert _log_in(other, owner.username, TEST_PASSWORD, address="10.0.0.8").status_code == 302
    assert _logged_in(other)


def test_a_few_mistakes_then_the_right_password_gets_in_and_clears_the_count(owner):
    client = Client()
    for n in range(3):
        _log_in(client, owner.username, f"guess-{n}")
    assert _log_in(client, owner.username, TEST_PASSWORD).status_code == 302
    assert _logged_in(client)
    client.logout()
    for n in range(3):  # the count started again: 3 more are still allowed
        _log_in(client, owner.username, f"again-{n}")
    assert _log_in(client, owner.username, TEST_PASSWORD).status_code == 302


def test_password_reset_requests_are_counted_per_address_and_email(owner):
    owner.email = "olivia@example.org"
    owner.save(update_fields=["email"])
    client = Client()
    url = reverse("password_reset")
    answers = [
        client.post(url, {"email": owner.email}, REMOTE_ADDR="10.0.0.2").status_code
        for _ in range(6)
    ]
    assert answers == [302] * 5 + [429]
    assert len(mail.outbox) == 5
    refused = client.post(url, {"email": owner.email}, REMOTE_ADDR="10.0.0.3")
    assert refused.status_code == 429  # the same email from elsewhere: still counted
    assert "Too many password reset requests" in refused.content.decode()
    # Another person's email from another address is not held up.
    other = UserFactory(username="nina", email="nina@example.org")
    assert client.post(url, {"email": other.email}, REMOTE_ADDR="10.0.0.4").status_code == 302
    assert len(mail.outbox) == 6
