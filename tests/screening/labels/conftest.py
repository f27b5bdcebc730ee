"""A team for the label and discussion tests: the owner O, reviewers A (`reviewer`) and B, a
viewer V; four references awaiting screening at title and abstract, blind and with two
reviewers (the review's defaults)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from screening.constants import Role
from screening.models import Membership
from screening.permissions.blinding import VoteView
from tests.factories import UserFactory
from tests.screening.decisions.test_screening import ris
from tests.screening.permissions.world import world, world_module  # noqa: F401  (the blind-screening fixtures)


@dataclass
class Team:
    review: Any
    o: Any
    a: Any
    b: Any
    v: Any
    refs: list

    def view(self, user, *, screening: bool = False) -> VoteView:
        membership = Membership.objects.get(review=self.review, user=user)
        if screening:
            return VoteView.while_screening(self.review, membership)
        return VoteView.of(self.review, membership)

    def client(self, user) -> Client:
        client = Client()
        client.force_login(user)
        return client


@pytest.fixture
def team(review, owner, reviewer, import_text) -> Team:
    b = UserFactory(username="bea-blind")
    v = UserFactory(username="vic-viewer")
    Membership.objects.create(review=review, user=b, role=Role.REVIEWER)
    Membership.objects.create(review=review, user=v, role=Role.VIEWER)
    refs = [r.reference for r in import_text(ris(4)).records.order_by("position")]
    return Team(review=review, o=owner, a=reviewer, b=b, v=v, refs=refs)
