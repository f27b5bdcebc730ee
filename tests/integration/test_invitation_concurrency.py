"""Four people open one invitation link at once, on the real PostgreSQL, each in their own
thread, connection and transaction: one membership, one account, clear answers, no 500."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from screening.constants import Role
from screening.models import Invitation, Membership
from screening.reviews.services import invitation_create
from tests.conftest import require_postgresql
from tests.integration.test_screening_concurrency import at_once

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql():
    require_postgresql()


def test_four_people_opening_one_invitation_at_once_make_one_membership(review, owner):
    invitation = invitation_create(
        review=review, email="second@example.org", role=Role.REVIEWER, invited_by=owner
    )
    path = reverse("screening:invitation-accept", args=[invitation.token])

    def sign_up(n: int):
        def post():
            password = "a-long-pass-phrase-42"
            data = {"username": f"person-{n}", "password1": password, "password2": password}
            return Client().post(path, data)

        return post

    responses = at_once(*(sign_up(n) for n in range(4)))
    errors = [r for r in responses if isinstance(r, Exception)]
    assert not errors, errors
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302, 410, 410, 410], statuses
    used = [r for r in responses if r.status_code == 410]
    assert all("It was accepted or withdrawn already" in r.content.decode() for r in used)

    members = Membership.objects.filter(review=review, user__username__startswith="person-")
    assert members.count() == 1
    joined = members.get().user
    assert joined.email == "second@example.org"
    # The others' accounts were not left behind without a membership.
    assert get_user_model().objects.filter(username__startswith="person-").count() == 1
    assert Invitation.objects.get(pk=invitation.pk).accepted_by == joined
