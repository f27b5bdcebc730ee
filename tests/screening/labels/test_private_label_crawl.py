"""A private label is its maker's alone, whatever the reader's role: the owner, who sees every
vote, crawls every URL of the project (as the blind-screening crawl does, with its query
strings) and finds A's private label nowhere, while A finds it on the pages that show labels."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.screening.permissions.test_crawl import crawl_as
from tests.screening.permissions.world import LABEL_PRIVATE, World, body

pytestmark = pytest.mark.django_db


def test_no_page_shows_the_owner_a_reviewers_private_label(world: World):
    leaks = crawl_as(world, "O", [LABEL_PRIVATE])
    assert not leaks, leaks


def test_the_maker_sees_their_private_label(world: World):
    a = Client()
    a.force_login(world.a)
    slug = world.review.slug
    r3 = world.refs["R3"].pk
    for url in (
        reverse("screening:label-list", args=[slug]),
        reverse("screening:reference-detail", args=[slug, r3]),
        reverse("screening:reference-notes", args=[slug, r3]) + "?on=screen",
        reverse("screening:reference-list", args=[slug]) + "?format=csv",
        reverse("screening:audit-log", args=[slug]),
    ):
        assert LABEL_PRIVATE in body(a.get(url)), url
