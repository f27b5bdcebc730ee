"""Blind screening on the reference list: the deciders in its rows, and its order. A sort must
not tell B how A voted on a reference B has not voted on, even without naming the vote: the
rows' order under every sort, and every row, read the same whether A included R3 or excluded
it (the world of tests/screening/permissions/world.py)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from screening.reference_list.sorting import SORTS
from tests.screening.permissions.test_figures import A_ON_R3, _seen_under, _without_tokens
from tests.screening.permissions.world import World, _vote

pytestmark = pytest.mark.django_db

SORT_VALUES = ["", *SORTS, *(f"-{key}" for key in SORTS)]


def _page(world: World, role: str, **query) -> str:
    url = reverse("screening:reference-list", args=[world.review.slug])
    response = world.clients[role].get(url, query)
    assert response.status_code == 200
    return _without_tokens(response.content.decode())


def _row(page: str, title: str) -> str:
    """The table row (its text) of the reference with that title."""
    for row in re.findall(r"<tr>.*?</tr>", page, re.S):
        if title in row:
            return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
    return ""


@pytest.mark.parametrize("role", ["B", "V"])
def test_no_sort_orders_the_list_by_a_hidden_vote(world, role):
    def pages():
        return {
            sort: _page(world, role, sort=sort, **({"box": box} if box else {}))
            for sort in SORT_VALUES
            for box in ("", "records_screened")
        }

    seen = _seen_under(world, A_ON_R3, pages)
    differ = [sort for sort in seen["include"] if seen["include"][sort] != seen["exclude"][sort]]
    assert not differ, (
        f"{role}'s reference list differs with A's verdict on R3 when sorted {differ}"
    )


def test_a_blind_reviewer_sees_no_one_elses_vote_on_an_open_reference(world):
    title = "Ivonescimab trial report number 1 in lung cancer"  # R1: A excluded it, B not yet
    row = _row(_page(world, "B"), title)
    assert "Awaiting a second reviewer" in row
    assert world.a.username not in row and "(exclude)" not in row
    assert "votes hidden" in row
    # The owner sees A's vote; and B does, once B has voted on it too.
    assert f"by {world.a.username} (exclude)" in _row(_page(world, "O"), title)
    _vote(world.review, world.refs["R1"], world.b, "include")
    row = _row(_page(world, "B"), title)
    assert f"{world.a.username} (exclude)" in row and f"{world.b.username} (include)" in row
    assert "votes hidden" not in row


def test_a_settled_reference_shows_its_deciders_to_everyone(world):
    title = "Ivonescimab trial report number 5 in lung cancer"  # R5: included by O and A
    for role in ("B", "V"):
        row = _row(_page(world, role), title)
        assert f"{world.owner.username} (include)" in row, role
        assert f"{world.a.username} (include)" in row, role
