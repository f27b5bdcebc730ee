"""Run a benchmark's cases, each in a process of its own on a fresh database.

bench/screening.py and bench/prisma.py call `run_cases` from their `main`; it starts the script
again with `--child '{json}'` for every database and size, on a database copied from a migrated
template (`Databases` of bench/import.py), and reads back the line the child prints after
`marker`: `print(marker + json.dumps(result))`.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_cases(
    script: str,
    *,
    marker: str,
    databases: list[str],
    sizes: list[int],
    postgres: str,
    args: Callable[[int], dict],
    describe: Callable[[dict], str],
) -> list[dict]:
    """Every size on every database: the children's results, in order. A child that prints no
    result stops the run with the end of its stderr."""
    Databases = importlib.import_module("bench.import").Databases
    results = []
    with tempfile.TemporaryDirectory(prefix=f"bench-{Path(script).stem}-") as tmp:
        fresh_databases = Databases(databases, Path(tmp), postgres)
        try:
            fresh_databases.prepare()
            for database in databases:
                for size in sizes:
                    url = fresh_databases.fresh(database)
                    log(f"... {size:,} references on {database}")
                    env = {
                        **os.environ,
                        "DATABASE_URL": url,
                        "DJANGO_SETTINGS_MODULE": "bench.settings",
                        "DJANGO_MEDIA_ROOT": tmp,
                        "PYTHONPATH": str(REPO),
                    }
                    for name in ("CELERY_BROKER_URL", "REDIS_URL"):  # tasks run in-process
                        env.pop(name, None)
                    process = subprocess.run(
                        [sys.executable, script, "--child", json.dumps(args(size))],
                        cwd=REPO, env=env, capture_output=True, text=True, timeout=3600,
                    )  # fmt: skip
                    lines = [x for x in process.stdout.splitlines() if x.startswith(marker)]
                    if not lines:
                        log(process.stderr[-3000:])
                        raise SystemExit(f"the {database} {size} case failed")
                    result = json.loads(lines[-1][len(marker) :])
                    log(f"    {describe(result)}")
                    results.append(result)
                    fresh_databases.drop(url)
        finally:
            fresh_databases.cleanup()
    return results
