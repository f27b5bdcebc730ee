"""A private label is its maker's alone, whatever the reader's role: A finds it on the pages that
show labels (the owner's crawl finding it nowhere is tests/screening/permissions/
test_owner_crawl.py)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.screening.permissions.world import LABEL_PRIVATE, World, body

pytestmark = pytest.mark.django_db


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
