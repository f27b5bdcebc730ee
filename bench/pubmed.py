"""PubMed search benchmark: a 20,000-record search end to end through a real Celery worker.

    python bench/pubmed.py                       # 20k records, with and without an API key
    python bench/pubmed.py --records 5000 --keys with --database sqlite
    python bench/pubmed.py --json

For each case: a fresh database (PostgreSQL by default, migrated from a template), the fake
E-utilities server of the tests (tests/fake_eutils.py) in this process answering at once with
20,000 articles made from the real ones, a real `celery -A config worker` process on Redis, and
the request pacing shared through Redis, as in production. This process creates the review and
the job, as the search page does, and follows the job row until it is done.

What it prints, per case: records per second end to end (job queued -> done), the seconds of
each phase (search: esearch, split by publication date past 9,999; fetch: efetch batches staged
to files; import: parse and insert in one transaction), and where the fetch phase's time went:
waiting for a slot of NCBI's rate (the limiter), in HTTP requests, or in our own work between
requests. "Limited by NCBI" means the fetch phase ran at the pace the limiter allows.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# bench/import.py's databases: a migrated template, copied per case ("import" is a keyword).
Databases = importlib.import_module("bench.import").Databases

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_BROKER = "redis://127.0.0.1:6379/9"
TOPIC = "benchmarked"
API_KEY = "bench-api-key"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def worker_env(database_url: str, broker: str, eutils_url: str, api_key: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker,
        PUBMED_EUTILS_URL=eutils_url,
        NCBI_API_KEY=api_key,
        NCBI_EMAIL="bench@example.org",
        PUBMED_RATE_LIMIT_REDIS_URL=broker,
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")])),
    )
    env.pop("REDIS_URL", None)
    return env


def run_case(args, database_url: str, with_key: bool, workdir: Path) -> dict:
    """One search, end to end; returns its figures."""
    from tests.fake_eutils import ArticleStore, serve

    store = ArticleStore.real()
    store.add_synthetic(args.records, topic=TOPIC)
    store.prebuild()  # the server answers at once: what is measured is ours
    api_key = API_KEY if with_key else ""
    with serve(store) as server:
        env = worker_env(database_url, args.broker, server.url, api_key)
        os.environ.update(env)  # this process: the same database, broker and settings
        _flush(args.broker)
        worker_log = workdir / f"worker-{'key' if with_key else 'nokey'}.log"
        with open(worker_log, "wb") as out:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
                 "--concurrency=1", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            return _follow_one_job(args, server, api_key)
        finally:
            worker.terminate()
            worker.wait(timeout=30)


def _follow_one_job(args, server, api_key: str) -> dict:
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import close_old_connections

    from screening.constants import JobStatus
    from screening.identification.pubmed_jobs import pubmed_job_create
    from screening.reviews.services import review_create

    settings.PUBMED_EUTILS_URL = server.url
    settings.NCBI_API_KEY = api_key
    close_old_connections()
    owner, _ = get_user_model().objects.get_or_create(username="bench")
    review = review_create(slug=f"bench-{int(time.time())}", title="PubMed benchmark", owner=owner)
    started = time.perf_counter()
    job = pubmed_job_create(review=review, user=owner, query=TOPIC)
    deadline = started + args.timeout
    while True:
        job.refresh_from_db()
        if job.is_finished:
            break
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the job did not finish in {args.timeout:.0f} s ({job.status})")
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if job.status != JobStatus.DONE:
        raise RuntimeError(f"the job ended {job.status}: {job.error}")
    stats = job.stats
    fetches = [r for r in server.requests if r.endpoint == "efetch"]
    fetch_span = fetches[-1].at - fetches[0].at if len(fetches) > 1 else 0.0
    return {
        "records": job.run.records_count,
        "api_key": bool(api_key),
        "seconds": seconds,
        "records_per_second": job.run.records_count / seconds,
        "requests": stats["requests"],
        "esearch_requests": sum(1 for r in server.requests if r.endpoint == "esearch"),
        "efetch_requests": len(fetches),
        "http_429": sum(1 for r in server.requests if r.status == 429),
        "fetch_requests_per_second": (len(fetches) - 1) / fetch_span if fetch_span else 0.0,
        "allowed_requests_per_second": 1 / (0.11 if api_key else 0.37),
        "seconds_search": stats["seconds_search"],
        "seconds_fetch": stats["seconds_fetch"],
        "seconds_import": stats["seconds_import"],
        "waited_for_rate_limit": stats["waited_for_rate_limit"],
        "in_requests": stats["in_requests"],
    }


def _flush(broker: str) -> None:
    import redis

    client = redis.Redis.from_url(broker)
    try:
        client.flushdb()
    finally:
        client.close()


def markdown(results: list[dict], database: str) -> str:
    lines = [
        "| API key | records | database | end to end | records/s | search s | fetch s | "
        "import s | efetch req/s (allowed) | limiter wait, share of fetch | HTTP, share of "
        "fetch | 429s |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        fetch = r["seconds_fetch"] or 1
        lines.append(
            f"| {'yes' if r['api_key'] else 'no'} | {r['records']:,} | {database} | "
            f"{r['seconds']:.1f} s | {r['records_per_second']:,.0f} | {r['seconds_search']:.1f} | "
            f"{r['seconds_fetch']:.1f} | {r['seconds_import']:.1f} | "
            f"{r['fetch_requests_per_second']:.1f} ({r['allowed_requests_per_second']:.1f}) | "
            f"{r['waited_for_rate_limit']:.1f} s, {r['waited_for_rate_limit'] / fetch:.0%} | "
            f"{r['in_requests']:.1f} s, {r['in_requests'] / fetch:.0%} | {r['http_429']} |"
        )
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--keys", choices=["both", "with", "without"], default="both")
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server to create DBs on")
    parser.add_argument("--broker", default=DEFAULT_BROKER, help="Redis for Celery and pacing")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per case")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    cases = {"both": [True, False], "with": [True], "without": [False]}[args.keys]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-pubmed-") as tmp:
        workdir = Path(tmp)
        databases = Databases([args.database], workdir, args.postgres)
        try:
            databases.prepare()
            url = databases.fresh(args.database)
            for with_key in cases:
                log(f"... {args.records:,} records, {'with' if with_key else 'without'} an API key")
                result = run_case(args, url, with_key, workdir)
                log(f"    {result['seconds']:.1f} s, {result['records_per_second']:,.0f} records/s")
                results.append(result)
        finally:
            databases.cleanup()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(markdown(results, args.database))
    return 0


if __name__ == "__main__":
    sys.exit(main())
