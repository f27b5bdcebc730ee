"""Blind assessment under a hostile look: the owner, who sees every screening vote, crawls every
URL of the project (with the crawl's query strings, plain and htmx) and finds no sentinel from
A's risk-of-bias answers: neither A's draft nor A's submission while the owner's own assessment of
that result is pending. (B, the viewer and an outsider are crawled for them with every other
sentinel, in tests/screening/permissions/test_crawl.py.) A finds both on the result pages; once
the owner submits too, the owner sees A's submitted answers there."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from risk_of_bias.services import assessment_submit
from tests.screening.permissions.test_crawl import crawl_as
from tests.screening.permissions.world import World, body
from tests.screening.permissions.world_rob import ROB_DRAFT, ROB_SUBMITTED, _assess

pytestmark = pytest.mark.django_db


def test_no_page_shows_the_owner_an_assessors_answers_before_all_have_submitted(world: World):
    leaks = crawl_as(world, "O", [ROB_DRAFT, ROB_SUBMITTED])
    assert not leaks, leaks


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
