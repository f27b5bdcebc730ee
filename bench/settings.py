"""Settings for the processes the benchmarks start: the development settings without
DEBUG (which keeps the text of every query, as no server or worker does)."""

from config.settings.dev import *  # noqa: F403

DEBUG = False
# The request path alone: retrains run in a Celery worker at scale, not in the web process.
# (In-process retrain threads, as `make run` has them, share the web process's CPU: bench/
# screening.py measured 43.5 / 52.2 ms median / p95 at 1k on SQLite with them, 1 Dec 2026.)
RANKING_RETRAIN = "off"
