"""bench/load.py end to end, small: one reviewer, a handful of decisions, one gunicorn worker,
on the PostgreSQL server the tests run on (its own databases, dropped at the end)."""

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from tests.conftest import require_postgresql

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def _server_url() -> str:
    """The tests' PostgreSQL server, by its maintenance database (the bench makes its own)."""
    db = settings.DATABASES["default"]
    login = quote(db["USER"]) + (":" + quote(db["PASSWORD"]) if db.get("PASSWORD") else "")
    return f"postgres://{login}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/postgres"


def test_the_load_benchmark_runs_a_reviewer_through_gunicorn():
    require_postgresql()
    command = [
        sys.executable, "bench/load.py", "--reviewers", "1", "--workers", "1",
        "--references", "40", "--warm-up", "1", "--decisions", "5",
        "--postgres", _server_url(), "--json",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stderr[-3000:]
    [run] = json.loads(done.stdout)
    assert (run["reviewers"], run["workers"], run["decisions"]) == (1, 1, 5)
    assert (run["errors"], run["refused"], run["invariants"]) == (0, 0, [])
    assert 0 < run["p50_ms"] <= run["p95_ms"] <= run["p99_ms"]
    assert run["throughput"] > 0 and run["db_connections_max"] >= 1
    assert run["service_p50_ms"] > 0  # decision_record alone, after the run
