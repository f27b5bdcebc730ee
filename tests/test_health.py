"""GET /health/ (config/health.py): 200 when the database and the broker answer, 503 naming the
one that does not, "not used" for a broker the settings do not configure. Failures are real:
a port that refuses connections, not a mock. tests/integration/test_procfile.py asks the same
page of gunicorn, under the production settings."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
from django.db.utils import ConnectionHandler
from django.urls import reverse

from config import health
from tests.conftest import SERVICE_HELP, redis_answers, require_service

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("INTEGRATION_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local port bound but not listening: every connection to it is refused at once, and no
    other process can take it while the test runs."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_without_a_broker_the_health_check_passes_and_says_the_broker_is_not_used(client, settings):
    settings.CELERY_BROKER_URL = ""

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "not used"}
    assert reverse("health") == "/health/"


def test_the_health_check_needs_no_login_and_is_never_cached(client, settings):
    settings.CELERY_BROKER_URL = ""

    response = client.get("/health/")

    assert response.status_code == 200, "an anonymous visitor is not sent to the login page"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "application/json"
    assert client.head("/health/").status_code == 200
    assert client.post("/health/").status_code == 405


@pytest.mark.integration
def test_with_redis_answering_the_health_check_passes(client, settings):
    require_service(
        f"Redis at {REDIS_URL}", lambda: redis_answers(REDIS_URL), how=SERVICE_HELP["redis"]
    )
    settings.CELERY_BROKER_URL = f"{REDIS_URL}/9"

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
def test_a_broker_that_refuses_connections_fails_the_health_check(
    client, settings, closed_port, scheme, caplog
):
    settings.CELERY_BROKER_URL = f"{scheme}://127.0.0.1:{closed_port}/0"

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "unavailable"}
    assert "Connection refused" in caplog.text, "the reason goes to the log"
    assert "refused" not in response.content.decode(), "and only to the log"


def test_a_database_that_refuses_connections_fails_the_health_check(
    client, settings, closed_port, monkeypatch, caplog
):
    settings.CELERY_BROKER_URL = ""
    unreachable = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "HOST": "127.0.0.1",
                "PORT": closed_port,
                "NAME": "screening",
                "USER": "screening",
            }
        }
    )["default"]
    monkeypatch.setattr(health, "connection", unreachable)

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {"database": "unavailable", "broker": "not used"}
    assert "Connection refused" in caplog.text


def test_the_health_check_answers_only_the_allowed_hosts(client, settings):
    settings.CELERY_BROKER_URL = ""
    settings.ALLOWED_HOSTS = ["screening.example.org"]

    assert client.get("/health/", HTTP_HOST="screening.example.org").status_code == 200
    assert client.get("/health/", HTTP_HOST="10.0.0.7").status_code == 400
