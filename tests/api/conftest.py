"""The API's tests: clients that send a person's token, the way a script does, and a fresh
throttle count for each test (the counts live in Django's cache)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from screening.reviews.tokens import api_token_issue
from tests.screening.decisions.test_screening import ris
from tests.screening.permissions.world import world, world_module  # noqa: F401  (the crawl's)


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


def token_client(user) -> APIClient:
    """A client that sends `Authorization: Token <key>` with the person's token (made if new)."""
    token, _ = api_token_issue(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api_owner(owner) -> APIClient:
    return token_client(owner)


@pytest.fixture
def api_reviewer(reviewer) -> APIClient:
    return token_client(reviewer)


@pytest.fixture
def api_outsider(outsider) -> APIClient:
    return token_client(outsider)


@pytest.fixture
def references(review, import_text):
    """Six references of one Embase search, in the order of its file."""
    search = import_text(ris(6), name="embase.ris", source="Embase")
    return [record.reference for record in search.records.order_by("position")]


def api_patterns() -> list[tuple[str, list[str]]]:
    """(api:name, the names of its URL kwargs) of every URL of the api app, read from Django's
    resolver: a new endpoint is in this list without anyone adding it."""
    found: list[tuple[str, list[str]]] = []

    def walk(patterns, namespace: str, kwargs: list[str]) -> None:
        for entry in patterns:
            names = kwargs + list(getattr(entry.pattern, "converters", {}))
            if isinstance(entry, URLResolver):
                inner = ":".join(filter(None, [namespace, entry.namespace or ""]))
                walk(entry.url_patterns, inner, names)
            elif isinstance(entry, URLPattern) and namespace == "api":
                found.append((f"api:{entry.name}", names))

    walk(get_resolver().url_patterns, "", [])
    return found
