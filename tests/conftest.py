"""What every test can use: the cast (owner, reviewer, outsider) and their review, logged-in
clients, hypothesis profiles, a private MEDIA_ROOT, and the rule for tests that need a service.

Tests that need a real service (PostgreSQL, Redis, Chromium...) call `require_service`: under CI
(`CI=true`) a missing service fails the test, saying how to start or install it; elsewhere the
test skips with that same sentence. Import the helpers from here:

    from tests.conftest import CI, require_service
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from screening.constants import Role, SourceKind
from screening.identification.imports import references_import, source_get_or_create
from screening.models import Membership
from screening.reviews.services import review_create
from tests.factories import UserFactory
from tests.fake_eutils import ArticleStore, serve

CI: bool = os.environ.get("CI", "").strip().lower() == "true"  # as the Makefile reads it
DATA_DIR = Path(__file__).resolve().parent / "data"
# Every test user's password (tests use the fast MD5 hasher, config.settings.test).
TEST_PASSWORD = "screening-test-pass-7"


def is_ci() -> bool:
    """True when the tests run under CI, where nothing that needs a service may skip."""
    return CI


# --- hypothesis ----------------------------------------------------------------------------
# "dev": random examples, a generous deadline (many properties touch the database).
# "ci": the same examples every run (derandomize), fewer of them, no deadline: CI is for
# catching regressions, not for exploring, and a slow shared machine must not fail a test.
hypothesis_settings.register_profile("dev", max_examples=100, deadline=1000)
hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=30,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.load_profile("ci" if CI else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


# --- services --------------------------------------------------------------------------------

# How to get each service going on a Debian machine like CI's (see .ci/run).
SERVICE_HELP = {
    "postgresql": (
        "Run the tests on PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/screening_ci "
        "(start the server with: pg_ctlcluster --skip-systemctl-redirect "
        "$(ls /etc/postgresql) main start), or run `CI=true make test`."
    ),
    "redis": (
        "Start Redis on 127.0.0.1:6379: redis-server --daemonize yes --bind 127.0.0.1 "
        "--port 6379 --save '' --appendonly no (or set INTEGRATION_REDIS_URL)."
    ),
    "chromium": (
        "Install Debian's Chromium: apt-get update && apt-get install -y chromium "
        "(never `playwright install`: it downloads its own browser, which fails here)."
    ),
}


def require_service(name: str, check: Callable[[], object] | bool, how: str = "") -> None:
    """Fail (under CI) or skip (elsewhere) the calling test unless `check` says the service is up.

    `check` is a bool or a callable returning something truthy when the service answers; an
    exception it raises counts as "missing" and its text goes into the message.
    """
    detail = ""
    try:
        ok = check() if callable(check) else check
    except Exception as error:  # any failure to reach it means "missing"
        ok, detail = False, f"{type(error).__name__}: {error}"
    if ok:
        return
    message = f"{name} is not available{f' ({detail})' if detail else ''}. "
    message += how or SERVICE_HELP.get(name.lower(), "")
    if CI:
        pytest.fail(
            f"{message} (CI=true: a missing service fails instead of skipping.)", pytrace=False
        )
    pytest.skip(message)


def require_postgresql() -> None:
    """Fail (CI) or skip unless the tests run on PostgreSQL (real concurrency, roles, triggers)."""
    from django.db import connection

    require_service(
        "A PostgreSQL test database",
        lambda: connection.vendor == "postgresql",
        how="Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/screening_ci, as "
        "`CI=true make test` does.",
    )


def redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(client.ping())
    finally:
        client.close()


# --- per-test settings -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _private_media_root(settings, tmp_path):
    """Uploads land in this test's own folder, never in the developer's media/."""
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = str(media)
    return media


@pytest.fixture
def data_path() -> Path:
    """tests/data: small real files (see tests/data/MANIFEST.tsv for where each came from)."""
    return DATA_DIR


# --- the cast --------------------------------------------------------------------------------


@pytest.fixture
def owner(db):
    return UserFactory(username="olivia-owner", email="olivia@example.org")


@pytest.fixture
def reviewer(db):
    return UserFactory(username="rui-reviewer", email="rui@example.org")


@pytest.fixture
def outsider(db):
    return UserFactory(username="otto-outsider", email="otto@example.org")


@pytest.fixture
def review(db, owner, reviewer):
    """The owner's review, made through the service; the reviewer is a member as reviewer."""
    review = review_create(
        slug="ivonescimab",
        title="Ivonescimab in advanced non-small cell lung cancer",
        owner=owner,
        question="Does ivonescimab improve progression-free survival in advanced NSCLC?",
    )
    Membership.objects.create(review=review, user=reviewer, role=Role.REVIEWER)
    return review


def _logged_in_client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_owner(owner):
    return _logged_in_client(owner)


@pytest.fixture
def client_reviewer(reviewer):
    return _logged_in_client(reviewer)


@pytest.fixture
def client_outsider(outsider):
    return _logged_in_client(outsider)


@pytest.fixture
def import_text(review, owner, tmp_path):
    """Import text as a file of a source; returns the search."""

    def run(text: str, *, name="export.ris", source="Embase", kind=SourceKind.DATABASE, **kwargs):
        path = tmp_path / name
        path.write_text(text)
        src = source_get_or_create(review=review, name=source, kind=kind, user=owner)
        return references_import(
            review=review, source=src, path=path, file_name=name, user=owner, **kwargs
        )

    return run


# --- PubMed ----------------------------------------------------------------------------------

TOPIC = "ivonescimab"  # the word the fake PubMed's synthetic titles start with
TOPIC_ARTICLES = 30


@pytest.fixture
def eutils_store() -> ArticleStore:
    """The fake PubMed: the 8 real articles of tests/data, and 30 synthetic ones on the topic."""
    store = ArticleStore.real()
    store.add_synthetic(TOPIC_ARTICLES, topic=TOPIC)
    return store


@pytest.fixture
def fake_eutils(eutils_store):
    """A local E-utilities server (tests/fake_eutils.py) over `eutils_store`."""
    with serve(eutils_store) as server:
        yield server


@pytest.fixture
def pubmed(settings, fake_eutils):
    """The application pointed at the fake E-utilities, with an API key (0.1 s pacing)."""
    settings.PUBMED_EUTILS_URL = fake_eutils.url
    settings.NCBI_EMAIL = "tests@example.org"
    settings.NCBI_API_KEY = "test-api-key"
    settings.PUBMED_BATCH_SIZE = 20
    return fake_eutils
