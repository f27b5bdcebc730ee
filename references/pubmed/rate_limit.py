"""Pacing requests to NCBI: fewer than 3 a second without an API key, 10 with one, across every
process that shares the key. One limiter is shared by every client of a process (threads), or
through Redis by every worker."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class RateLimiter(Protocol):
    def acquire(self) -> float:
        """Block until the caller may send a request; return the seconds waited."""

    def hold(self, seconds: float) -> None:
        """Let no one send a request for `seconds` (after a 429: everyone backs off)."""


class LocalRateLimiter:
    """Spacing for the threads of one process: each caller reserves the next free slot.

    `on_grant`, if given, is told every slot the limiter grants (a time on `clock`), in the
    order it grants them: what the limiter decided, whatever the scheduling of its callers and
    however late their requests then go out (tests check the pace on it)."""

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_grant: Callable[[float], None] | None = None,
    ):
        self.interval = interval
        self._next = 0.0
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._on_grant = on_grant

    def acquire(self) -> float:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
            if self._on_grant is not None:
                self._on_grant(slot)  # under the lock: in the order granted
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return max(wait, 0.0)

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


# Reserves the next slot atomically on Redis's own clock, which every worker shares.
_REDIS_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, free)
redis.call('SET', KEYS[1], slot + tonumber(ARGV[1]), 'PX', 60000)
return slot - now
"""
_REDIS_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
redis.call('SET', KEYS[1], math.max(free, now + tonumber(ARGV[1])), 'PX', 120000)
return 0
"""


class RedisRateLimiter:
    """Spacing shared by every process that uses the same Redis key (one key per API key)."""

    def __init__(self, client, key: str, interval: float, *, sleep=time.sleep):
        self.client = client
        self.key = key
        self.interval = interval
        self._acquire = client.register_script(_REDIS_ACQUIRE)
        self._hold = client.register_script(_REDIS_HOLD)
        self._sleep = sleep

    def acquire(self) -> float:
        wait = int(self._acquire(keys=[self.key], args=[int(self.interval * 1_000_000)])) / 1e6
        if wait > 0:
            self._sleep(wait)
        return wait

    def hold(self, seconds: float) -> None:
        self._hold(keys=[self.key], args=[int(seconds * 1_000_000)])
