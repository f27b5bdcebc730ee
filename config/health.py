"""GET /health/: whether this web process reaches the database and the Celery broker, for a load
balancer or an uptime monitor (docs/deployment.md#health-endpoint).

200 `{"database": "ok", "broker": "ok"}` when both answer; 503 with the part that did not
answer said as "unavailable". Without a broker (tasks run in-process, the SQLite mode) the
broker is "not used" and does not fail the check. No login, never cached, and nothing in it but
those words: the reason for a failure goes to the log, not to whoever asked."""

import logging

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

logger = logging.getLogger(__name__)

OK = "ok"
UNAVAILABLE = "unavailable"
NOT_USED = "not used"
# Seconds the broker has to answer: well inside a load balancer's usual 5 s check timeout.
BROKER_TIMEOUT = 2.0
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("Health check: the database did not answer: %s", error)
        return UNAVAILABLE
    return OK


def broker_status() -> str:
    url = settings.CELERY_BROKER_URL
    if not url:
        return NOT_USED
    try:
        _ping_broker(url)
    except Exception as error:  # whatever the failure, the broker is not usable: say so
        logger.warning("Health check: the broker did not answer: %s", error)
        return UNAVAILABLE
    return OK


def _ping_broker(url: str) -> None:
    """PING a Redis broker (the project's); connect to any other through kombu, as Celery
    would. Raises if it does not answer within BROKER_TIMEOUT."""
    if url.startswith(REDIS_SCHEMES):
        client = redis.Redis.from_url(
            url, socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT
        )
        try:
            client.ping()
        finally:
            client.close()
        return
    with Connection(url, connect_timeout=BROKER_TIMEOUT) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT)


@login_not_required
@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    parts = {"database": database_status(), "broker": broker_status()}
    healthy = all(state in (OK, NOT_USED) for state in parts.values())
    return JsonResponse(parts, status=200 if healthy else 503)
