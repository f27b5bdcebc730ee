"""Load benchmark: N reviewers deciding at once through gunicorn, on PostgreSQL.

    python bench/load.py                                  # 1, 4 and 16 reviewers, 4 workers
    python bench/load.py --reviewers 16 --workers 2 8 --decisions 100 --json

A fresh PostgreSQL database (migrated, then a review of --references references inserted in
bulk as bench/screening.py does, each waiting at title and abstract) with blind dual screening,
the defaults a review starts with (two reviewers per reference, neither sees the other's vote
before casting their own), and as many reviewer accounts as the largest run needs. Each run
gets a copy of it (CREATE DATABASE ... TEMPLATE), so every run starts from the same state.

gunicorn serves `config.wsgi` (sync workers, --workers) under bench/settings.py: the development
settings without DEBUG, no broker (tasks would run in the web process) and retraining off, as
the web process has it at scale (retrains are Celery tasks on other machines): what is measured
is the request path alone. DATABASE_CONN_MAX_AGE is --conn-max-age (60: one connection per
worker, kept; 0, the settings' default: a new connection per request).

Each reviewer is a process of its own (no GIL shared with the others) that logs in through the
login form and does what the screening page does with the keyboard: GET the page; then, over
and over, POST the decision on the reference shown with the form's token and `HX-Request`, as
htmx does (exclude 80% with one of the reasons, include 15%, maybe 5%), read the next reference
from the answer, and GET its labels aside, as the fragment asks on load. No pause between
decisions: a reviewer here is a person at many times human speed (docs/deployment.md#sizing).
--warm-up decisions each, then all start together; --decisions each are timed (the POST, as
the client sees it). A decision refused because the reference had its two votes meanwhile is
counted, not timed, and the reviewer reloads the page as a person would.

Printed: per run, decisions, throughput, p50/p95/p99 of a decision, errors (any answer but
200, or no answer), and what it cost: CPU of the gunicorn workers and of the database's
backends per decision, the most connections the database had, and how many of them waited on a
lock, sampled every 0.2 s. After each run, with gunicorn stopped, `decision_record` alone times
30 decisions in a process of its own (the longest a decision holds the review's row), and
`screening_state --check` and `audit_verify` must pass on the run's database. Exits 1 on any
error or failed check. gunicorn is stopped and the databases dropped at the end (--keep leaves
them).
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.load_client import reviewer_run  # noqa: E402 - after the path is set
from bench.load_machine import (  # noqa: E402
    DatabaseSampler,
    Postgres,
    children_of,
    cpu_seconds,
    django_env,
    gunicorn_start,
    gunicorn_stop,
    log,
)

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
CHILD_RESULT = "LOAD-CHILD "
PASSWORD = "bench-load-password"
SLUG = "load"
PROBE_DECISIONS = 30  # decision_record alone, after each run


# --- The review, in a child process (Django) -------------------------------------------------


def setup_review(args: dict) -> dict:
    """The review, its references and its reviewers, in the database of DATABASE_URL."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench.screening import references_add
    from screening.constants import Role, Stage
    from screening.models import Membership, Ranking, Search, Source
    from screening.models.ranking import pack_ids
    from screening.reviews.services import review_create

    started = time.perf_counter()
    rng = random.Random(args["seed"])
    users = get_user_model().objects
    owner = users.create_user("load-owner", password=PASSWORD)
    review = review_create(slug=SLUG, title="Load benchmark", owner=owner)
    # Blind dual screening, the defaults, said outright: the mode the benchmark measures.
    review.reviewers_title_abstract, review.blind = 2, True
    review.save(update_fields=["reviewers_title_abstract", "blind"])
    password = make_password(PASSWORD)  # hashed once: the hasher is slow on purpose
    names = [f"reviewer-{n:03d}" for n in range(1, args["reviewers"] + 1)]
    reviewers = users.bulk_create([users.model(username=name, password=password) for name in names])
    Membership.objects.bulk_create(
        [Membership(review=review, user=user, role=Role.REVIEWER) for user in reviewers]
    )
    source = Source.objects.create(review=review, name="Embase", kind="database")
    search = Search.objects.create(review=review, source=source, run_at=timezone.now())
    ids = references_add(review, search, args["references"], rng)
    if args["order"] == "model":
        # As a retrain leaves it: every reference ranked (here in a random order).
        rng.shuffle(ids)
        Ranking.objects.update_or_create(
            review=review,
            stage=Stage.TITLE_ABSTRACT,
            defaults={"version": 1, "order": pack_ids(ids), "trained_at": timezone.now()},
        )
    # The counters an import keeps (records by search...) from the rows inserted here, by
    # the command that rebuilds them: the run's check then starts from a cache that agrees.
    call_command("screening_state", SLUG, "--fix", stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does after a bulk load
    return {"reviewers": names, "seconds": round(time.perf_counter() - started, 1)}


def probe_service(args: dict) -> dict:
    """`decision_record` alone, in this process, on the database a run leaves (its server
    stopped): how long a decision's transaction holds the review's row at most, since the
    service takes the lock near its start and holds it to its commit."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from screening.constants import Stage
    from screening.decisions.queue import next_item
    from screening.decisions.services import decision_record
    from screening.models import Membership, Review

    review = Review.objects.get(slug=SLUG)
    owner = get_user_model().objects.get(username="load-owner")
    membership = Membership.objects.get(review=review, user=owner)
    times = []
    for n in range(args["decisions"]):
        item = next_item(review, owner, Stage.TITLE_ABSTRACT)
        started = time.perf_counter()
        decision_record(
            review=review, reference=item.reference, stage=Stage.TITLE_ABSTRACT, reviewer=owner,
            verdict="exclude", token=f"probe-{n}", membership=membership,
        )  # fmt: skip
        times.append(1000 * (time.perf_counter() - started))
    return {"service_p50_ms": round(statistics.median(times), 1),
            "service_p95_ms": round(percentile(times, 95), 1)}  # fmt: skip


def child(mode: str, args: dict, database_url: str) -> dict:
    """Run this script's `mode` (setup, probe) in a Django process of its own; its result."""
    command = [sys.executable, __file__, f"--{mode}", json.dumps(args)]
    done = subprocess.run(
        command, cwd=REPO, env=django_env(database_url), capture_output=True, text=True
    )
    lines = [x for x in done.stdout.splitlines() if x.startswith(CHILD_RESULT)]
    if not lines:
        log(done.stderr[-3000:])
        raise SystemExit(f"the {mode} process failed")
    return json.loads(lines[-1][len(CHILD_RESULT) :])


# --- One run ----------------------------------------------------------------------------------


def run_once(options, postgres: Postgres, template: str, names: list[str], reviewers: int,
             workers: int, workdir: Path) -> dict:  # fmt: skip
    name = f"{template}_{reviewers}r_{workers}w"
    url = postgres.create(name, template)
    load_before = os.getloadavg()[0]
    server, base = gunicorn_start(url, workers, options.conn_max_age, workdir / f"{name}.log")
    sampler = DatabaseSampler(postgres, name)
    context = multiprocessing.get_context("fork")  # this process never set Django up
    barrier = context.Barrier(reviewers + 1)
    results = context.Queue()
    clients = [
        context.Process(
            target=reviewer_run,
            args=(
                {
                    "base": base,
                    "slug": SLUG,
                    "username": names[n],
                    "password": PASSWORD,
                    "warm_up": options.warm_up,
                    "decisions": options.decisions,
                    "seed": n + 1,
                },
                barrier,
                results,
            ),
        )
        for n in range(reviewers)
    ]
    try:
        sampler.start()
        for client in clients:
            client.start()
        try:
            barrier.wait(timeout=600)  # every reviewer logged in and warmed up: all start now
        except threading.BrokenBarrierError:
            failed = [e for _ in clients for e in results.get(timeout=60)["errors"]]
            raise SystemExit(f"a reviewer failed: {failed}") from None
        started = time.perf_counter()
        workers_pids = children_of(server.pid)
        web_before = sum(filter(None, map(cpu_seconds, workers_pids)))
        sampler.start_timing()
        reports = [results.get(timeout=1800) for _ in clients]
        wall = time.perf_counter() - started
        web = sum(filter(None, map(cpu_seconds, workers_pids))) - web_before
        sampler.stop.set()
        sampler.join()
        # Backends that live for a request or two (no DATABASE_CONN_MAX_AGE) pass unsampled.
        database = sampler.database_cpu() if options.conn_max_age else None
        for client in clients:
            client.join(timeout=60)
    finally:
        for client in clients:
            if client.is_alive():
                client.terminate()
        gunicorn_stop(server)
        sampler.stop.set()
    result = summarise(reports, reviewers, workers, wall, web, database, sampler, load_before)
    result.update(child("probe", {"decisions": PROBE_DECISIONS}, url))
    result["invariants"] = invariants_broken(url)
    if not options.keep:
        postgres.drop(name)
    return result


def invariants_broken(database_url: str) -> list[str]:
    """After the run: the cached states and counts agree with the decision log, and the audit
    chain holds every decision (the commands' own checks). The failing ones' output."""
    broken = []
    for command in (["screening_state", SLUG, "--check"], ["audit_verify", SLUG]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=REPO, env=django_env(database_url),
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode:
            broken.append(f"{command[0]}: {(done.stdout + done.stderr)[-500:]}")
    return broken


def percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(percent / 100 * len(ordered)) - 1))
    return ordered[index]


def summarise(reports, reviewers, workers, wall, web, database, sampler, load_before) -> dict:
    times = [t for r in reports for t in r["times"]]
    decided = len(times)
    errors = [e for r in reports for e in r["errors"]]
    notes = [t for r in reports for t in r["notes_times"]]
    return {
        "reviewers": reviewers,
        "workers": workers,
        "decisions": decided,
        "refused": sum(r["refused"] for r in reports),
        "queue_ended": sum(r["queue_ended"] for r in reports),
        "seconds": round(wall, 1),
        "throughput": round(decided / wall, 1) if wall else 0.0,
        "p50_ms": round(statistics.median(times), 1) if times else None,
        "p95_ms": round(percentile(times, 95), 1) if times else None,
        "p99_ms": round(percentile(times, 99), 1) if times else None,
        "notes_p50_ms": round(statistics.median(notes), 1) if notes else None,
        "errors": len(errors),
        "error_samples": errors[:5],
        "web_cpu_ms_per_decision": round(1000 * web / decided, 1) if decided else None,
        "db_cpu_ms_per_decision": round(1000 * database / decided, 1)
        if decided and database is not None
        else None,
        "db_connections_max": max(sampler.connections, default=0),
        "lock_waiting_mean": round(statistics.fmean(sampler.lock_waits), 2)
        if sampler.lock_waits
        else 0.0,
        "client_cpu_s": round(sum(r["cpu_seconds"] for r in reports), 1),
        "load_average_before": round(load_before, 2),
    }


# --- The runs ---------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviewers", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--workers", type=int, nargs="+", default=[4])
    parser.add_argument("--references", type=int, default=20_000)
    parser.add_argument("--decisions", type=int, default=200, help="timed, per reviewer")
    parser.add_argument("--warm-up", type=int, default=10, help="untimed, per reviewer")
    parser.add_argument("--order", choices=["random", "model"], default="random")
    parser.add_argument("--conn-max-age", type=int, default=60)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.setup or options.probe:
        work = setup_review if options.setup else probe_service
        result = work(json.loads(options.setup or options.probe))
        print(CHILD_RESULT + json.dumps(result), flush=True)
        return 0

    postgres = Postgres(options.postgres)
    template = f"bench_load_{os.getpid()}"
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        try:
            url = postgres.create(template)
            log(f"... migrating {template}")
            env = django_env(url)
            manage = [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"]
            subprocess.run(manage, cwd=REPO, env=env, check=True)
            log(f"... {options.references:,} references, {max(options.reviewers)} reviewers")
            setup = {
                "references": options.references, "reviewers": max(options.reviewers),
                "order": options.order, "seed": 1,
            }  # fmt: skip
            made = child("setup", setup, url)
            log(f"    made in {made['seconds']} s")
            for workers in options.workers:
                for reviewers in options.reviewers:
                    log(f"... {reviewers} reviewers, {workers} gunicorn workers")
                    result = run_once(
                        options,
                        postgres,
                        template,
                        made["reviewers"],
                        reviewers,
                        workers,
                        Path(tmp),
                    )
                    log(
                        f"    {result['throughput']} decisions/s, p50 {result['p50_ms']} ms, "
                        f"p95 {result['p95_ms']} ms, errors {result['errors']}, invariants "
                        + ("broken" if result["invariants"] else "hold")
                    )
                    results.append(result)
        finally:
            if not options.keep:
                postgres.drop_all()
    print_results(results, options)
    for r in results:
        for broken in r["invariants"]:
            log(f"{r['reviewers']} reviewers, {r['workers']} workers: {broken}")
    return 1 if any(r["errors"] or r["invariants"] or not r["decisions"] for r in results) else 0


def print_results(results: list[dict], options) -> None:
    if options.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"{options.references:,} references, blind dual screening, {options.order} order, "
        f"DATABASE_CONN_MAX_AGE={options.conn_max_age}; load average before each run: "
        + ", ".join(str(r["load_average_before"]) for r in results)
    )
    print()
    print("| reviewers | workers | decisions | decisions/s | p50 ms | p95 ms | p99 ms | errors |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['reviewers']} | {r['workers']} | {r['decisions']:,} | {r['throughput']} | "
            f"{r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['errors']} |"
        )
    print()
    print(
        "| reviewers | workers | refused | web CPU ms / decision (with its aside) "
        "| database CPU ms / decision | decision_record alone p50 ms "
        "| database connections (max) | waiting on a lock (mean) | labels aside p50 ms |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['reviewers']} | {r['workers']} | {r['refused']} | "
            f"{r['web_cpu_ms_per_decision']} | {r['db_cpu_ms_per_decision']} | "
            f"{r['service_p50_ms']} | "
            f"{r['db_connections_max']} | {r['lock_waiting_mean']} | {r['notes_p50_ms']} |"
        )


if __name__ == "__main__":
    sys.exit(main())
