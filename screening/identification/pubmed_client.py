"""The PubMed E-utilities client as this deployment configures it: the base URL, the API key
and one request pacer shared by every job of a process (or, with Redis, of every worker)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

import redis
from django.conf import settings

from references.pubmed import (
    ClientConfig,
    LocalRateLimiter,
    PubmedClient,
    RateLimiter,
    RedisRateLimiter,
)

# The shared limiter's Redis key: this prefix, then a digest of the API key (NCBI counts per key).
PACE_KEY_PREFIX = "screening:eutils-pace:"

_local_limiters: dict[float, LocalRateLimiter] = {}
_redis_clients: dict[str, redis.Redis] = {}
_limiters_lock = threading.Lock()


def rate_limiter(interval: float) -> RateLimiter:
    """The limiter every PubMed request of this deployment shares: in Redis when there is one
    (all workers count against the same NCBI limit), else one per process."""
    url = settings.PUBMED_RATE_LIMIT_REDIS_URL
    with _limiters_lock:
        if url:
            client = _redis_clients.get(url)
            if client is None:
                client = _redis_clients[url] = redis.Redis.from_url(url)
            # NCBI counts per API key (or per address without one).
            who = hashlib.sha256(settings.NCBI_API_KEY.encode()).hexdigest()[:12]
            return RedisRateLimiter(client, f"{PACE_KEY_PREFIX}{who}", interval)
        limiter = _local_limiters.get(interval)
        if limiter is None:
            limiter = _local_limiters[interval] = LocalRateLimiter(interval)
        return limiter


def pubmed_client(*, tick: Callable[[], None] | None = None) -> PubmedClient:
    config = ClientConfig(
        base_url=settings.PUBMED_EUTILS_URL,
        email=settings.NCBI_EMAIL,
        tool=settings.NCBI_TOOL,
        api_key=settings.NCBI_API_KEY,
        timeout=settings.PUBMED_TIMEOUT,
        max_tries=settings.PUBMED_MAX_TRIES,
        backoff=settings.PUBMED_BACKOFF,
        backoff_ceiling=settings.PUBMED_BACKOFF_CEILING,
        batch_size=settings.PUBMED_BATCH_SIZE,
        max_ids=settings.PUBMED_ESEARCH_MAX_IDS,
    )
    return PubmedClient(config, rate_limiter(config.interval), tick=tick)
