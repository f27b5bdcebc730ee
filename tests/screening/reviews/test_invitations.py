"""Invitations under a hostile look: one taken by the wrong account is refused in words, a mail
server that is down leaves the invitation saved and the owner holding its link, and a link used
twice answers in words, never with a 500. (Several people at once: tests/integration.)"""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from screening.constants import Role
from screening.models import Invitation, Membership
from screening.reviews.services import invitation_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(review, owner):
    return invitation_create(
        review=review, email="second@example.org", role=Role.REVIEWER, invited_by=owner
    )


def _path(invitation) -> str:
    return reverse("screening:invitation-accept", args=[invitation.token])


def test_an_invitation_taken_by_another_account_is_refused_in_words(review, invitation):
    mallory = UserFactory(username="mallory", email="mallory@example.org")
    client = Client()
    client.force_login(mallory)
    page = client.get(_path(invitation)).content.decode()
    assert "This invitation is for second@example.org" in page
    assert "Join as" not in page  # no button to take it
    response = client.post(_path(invitation))
    assert response.status_code == 403
    assert "This invitation is for second@example.org" in response.content.decode()
    assert not Membership.objects.filter(review=review, user=mallory).exists()
    assert Invitation.objects.get(pk=invitation.pk).is_open  # still there for its person


def test_the_invited_account_takes_it_whatever_the_case_of_its_address(review, invitation):
    second = UserFactory(username="second", email="Second@Example.org")
    client = Client()
    client.force_login(second)
    assert client.post(_path(invitation)).status_code == 302
    assert Membership.objects.get(review=review, user=second).role == Role.REVIEWER
    # Submitted again (a double click): back to the review, not an error.
    again = client.post(_path(invitation))
    assert again.status_code == 302 and again["Location"] == review.get_absolute_url()


def test_a_mail_server_that_is_down_leaves_the_owner_with_the_link(client_owner, review, settings):
    # A real SMTP connection to a port where nothing listens: refused at once.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 5
    response = client_owner.post(
        reverse("screening:member-list", args=[review.slug]),
        {"email": "second@example.org", "role": "reviewer"},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    invitation = Invitation.objects.get(review=review, email="second@example.org")
    assert "is saved, but its email was not sent" in page
    assert "the mail server did not take it (ConnectionRefusedError)" in page
    assert f"/invitations/{invitation.token}/" in page  # the link to pass on


def test_an_smtp_refusal_is_told_too(client_owner, review, monkeypatch):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"second@example.org": (550, b"no such user")})

    monkeypatch.setattr("screening.reviews.services.send_mail", refuse)
    response = client_owner.post(
        reverse("screening:member-list", args=[review.slug]),
        {"email": "second@example.org", "role": "reviewer"},
        follow=True,
    )
    assert "SMTPRecipientsRefused" in response.content.decode()
    assert Invitation.objects.filter(review=review).count() == 1


def test_with_a_working_mail_server_the_link_is_sent(client_owner, review):
    client_owner.post(
        reverse("screening:member-list", args=[review.slug]),
        {"email": "second@example.org", "role": "reviewer"},
    )
    assert len(mail.outbox) == 1 and "/invitations/" in mail.outbox[0].body
