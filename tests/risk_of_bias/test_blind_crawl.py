"""Blind assessment: A finds their own draft and submission on the result pages; the owner, whose
own assessment of that result is pending, does not, and sees A's answers once it is submitted.
(The crawls that find them on no page: as B, the viewer and an outsider,
tests/screening/permissions/test_crawl.py; as the owner, test_owner_crawl.py there.)"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from risk_of_bias.services import assessment_submit
from tests.screening.permissions.world import World, body
from tests.screening.permissions.world_rob import ROB_DRAFT, ROB_SUBMITTED, _assess

pytestmark = pytest.mark.django_db


def _result_page(client: Client, world: World, index: int) -> str:
    outcome = world.objects["rob_outcomes"][index]
    return body(client.get(reverse("risk_of_bias:result", args=[world.review.slug, outcome.pk])))


def test_the_assessor_sees_their_own_and_the_owner_sees_them_once_both_submitted(world: World):
    a = Client()
    a.force_login(world.a)
    assert ROB_DRAFT in _result_page(a, world, 0)
    assert ROB_SUBMITTED in _result_page(a, world, 1)
    assert ROB_SUBMITTED not in _result_page(world.clients["O"], world, 1)
    owners = _assess(world.review, world.owner, world.objects["rob_outcomes"][1], submit=False)
    assert ROB_SUBMITTED not in _result_page(world.clients["O"], world, 1)  # a draft: still not
    assessment_submit(assessment=owners, user=world.owner)
    for role in ("O", "B", "V"):
        assert ROB_SUBMITTED in _result_page(world.clients[role], world, 1), role
    assert ROB_DRAFT not in _result_page(world.clients["O"], world, 0)
