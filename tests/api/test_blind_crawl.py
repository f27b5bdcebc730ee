"""Blind screening through the API, crawled as the pages are (tests/screening/permissions/
test_crawl.py, on the same world): every GET endpoint of the api app, with every filter that
names a person, a verdict, a reason or a label, asked with the token of reviewer B (who has not
voted), viewer V, outsider X and owner O. Another reviewer's vote (A's sentinel reasons, notes,
labels and posts), an assessor's unrevealed risk-of-bias answers and an extractor's pending
entry must never show; X must get 404 for every review URL. An endpoint missing from the map
fails the test, so no new endpoint escapes the crawl; A, who voted, finds their own sentinels,
so the crawl does see what an endpoint shows."""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
from typing import Any

import pytest
from django.urls import reverse

from api.views.exports import EXPORTS
from extraction.export import export_json
from tests.api.conftest import api_patterns, token_client
from tests.screening.permissions.world import (
    FT,
    LABEL_PRIVATE,
    NOTE_R1,
    NOTE_R2,
    REASON_R1,
    SENTINELS,
    TA,
    World,
    body,
)
from tests.screening.permissions.world_entries import ENTRY_DRAFT, ENTRY_SUBMITTED
from tests.screening.permissions.world_rob import ROB_DRAFT, ROB_SUBMITTED

pytestmark = pytest.mark.django_db

Values = Callable[[World], list[Any]]


def _a(w: World) -> int:
    return w.a.pk


def _person_filters(w: World) -> list[dict[str, Any]]:
    """The reference list's filters that could tell a vote: who decided, why, what state, which
    label; asked of every endpoint that takes the list's filters."""
    return [
        {"reviewer": _a(w)},
        {"reason": w.reason_r1.pk},
        {"reason": w.reason_r6.pk},
        {"stage": TA, "state": "awaiting_second"},
        {"conflict": "true"},
        {"box": "screening_pending"},
        {"label": w.objects["label_shared"].pk},
        {"label": w.objects["label_private"].pk},
        {"sort": "state"},
        {"page_size": 1000},
    ]


# Every URL of the api app by name: the values of its kwargs, and its query strings.
URLS: dict[str, dict[str, Values]] = {
    "api:schema": {},
    "api:review-list": {},
    "api:review-detail": {},
    "api:source-list": {},
    "api:search-list": {},
    "api:reference-list": {"queries": _person_filters},
    "api:reference-detail": {
        "pk": lambda w: sorted(w.review.records.values_list("reference_id", flat=True))
    },
    "api:queue": {"queries": lambda w: [{"stage": TA}, {"stage": FT}]},
    "api:decisions": {
        "queries": lambda w: [
            {"stage": TA},
            {"stage": FT},
            {"verdict": "exclude"},
            {"verdict": "include"},
            {"reason": w.reason_r1.pk},
        ]
    },
    "api:prisma": {},
    "api:extraction-rows": {"queries": lambda w: [{"page_size": 1000}]},
    "api:extraction-studies": {},
    "api:export": {
        "name": lambda w: list(EXPORTS),
        "queries": lambda w: [*_person_filters(w), {"entries": "1"}],
    },
}
# Outside any review: an outsider may use them (and sees no review in them).
OPEN_TO_ANYONE = {"api:schema", "api:review-list"}


def crawl_urls(w: World) -> list[tuple[str, str, list[dict[str, Any]]]]:
    urls = []
    for name, kwarg_names in api_patterns():
        entry = URLS[name]
        keys = sorted(kwarg_names)
        choices = [[w.review.slug] if k == "slug" else entry[k](w) for k in keys]
        queries = entry.get("queries", lambda w: [])(w)
        for values in product(*choices):
            urls.append((name, reverse(name, kwargs=dict(zip(keys, values, strict=True))), queries))
    return urls


def crawl(w: World, user, sentinels: list[str]) -> list[tuple[str, str, dict, int, list[str]]]:
    """(name, URL, query, status, the sentinels in the body) of every GET of the crawl."""
    client = token_client(user)
    visits = []
    for name, url, queries in crawl_urls(w):
        for query in [{}, *queries]:
            response = client.get(url, query)
            text = body(response)
            found = [sentinel for sentinel in sentinels if sentinel in text]
            visits.append((name, url, query, response.status_code, found))
    return visits


def test_every_endpoint_of_the_api_is_in_the_crawl():
    names = {name for name, _ in api_patterns()}
    assert names == set(URLS), (names - set(URLS), set(URLS) - names)
    for name, kwarg_names in api_patterns():
        unfilled = [k for k in kwarg_names if k != "slug" and k not in URLS[name]]
        assert not unfilled, f"{name}: the crawl fills no value for {unfilled}"


@pytest.mark.parametrize("role", ["B", "V", "X"])
def test_no_endpoint_shows_a_vote_to_a_member_who_may_not_see_it(world, role):
    user = {"B": world.b, "V": world.viewer, "X": world.outsider}[role]
    visits = crawl(world, user, list(SENTINELS))
    leaks = [(url, query, status, found) for _, url, query, status, found in visits if found]
    assert not leaks, "\n".join(map(str, leaks))
    # Another member's private label is no choice: asking for it is asking for a label that
    # does not exist (400, the filter's words), for the list and its downloads alike.
    private = world.objects["label_private"].pk
    statuses = {}
    for name, _, query, status, _ in visits:
        if query.get("label") == private and status == 400:
            assert name in ("api:reference-list", "api:export"), name
            continue
        statuses.setdefault(name, set()).add(status)
    if role == "X":
        review_urls = {n: s for n, s in statuses.items() if n not in OPEN_TO_ANYONE}
        assert set().union(*review_urls.values()) == {404}, review_urls
    elif role == "V":
        assert statuses.pop("api:queue") == statuses.pop("api:decisions") == {403}
        assert set().union(*statuses.values()) == {200}, statuses
    else:
        assert set().union(*statuses.values()) == {200}, statuses


def test_no_endpoint_shows_the_owner_what_no_owner_may_see(world):
    hidden = [LABEL_PRIVATE, ROB_DRAFT, ROB_SUBMITTED, ENTRY_DRAFT, ENTRY_SUBMITTED]
    leaks = [visit for visit in crawl(world, world.owner, hidden) if visit[4]]
    assert not leaks, "\n".join(map(str, leaks))


def test_the_reviewer_who_voted_finds_their_own_votes_so_the_crawl_can_see_a_leak(world):
    mine = [REASON_R1, NOTE_R1, NOTE_R2, LABEL_PRIVATE]
    seen = {sentinel for visit in crawl(world, world.a, mine) for sentinel in visit[4]}
    assert seen == set(mine)


def test_the_extraction_rows_are_the_exports_consensus_rows(world):
    client = token_client(world.viewer)
    url = reverse("api:extraction-rows", args=[world.review.slug])
    rows = client.get(url, {"page_size": 1000}).json()["results"]
    expected = export_json(world.review)["rows"]
    assert rows == expected and len(rows) == 3
    studies = client.get(reverse("api:extraction-studies", args=[world.review.slug])).json()
    assert [study["name"] for study in studies["results"]] == [
        study["name"] for study in export_json(world.review)["studies"]
    ]
