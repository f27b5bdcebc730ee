"""PRISMA benchmark: the counts and the SVG diagram of a large review, time and queries.

    python bench/prisma.py                      # 1k, 10k and 100k references, SQLite and PostgreSQL
    python bench/prisma.py --sizes 100000 --databases postgres

Each case runs in a process of its own on a fresh database migrated from a template: a review
with N references (a fifth of them also found by a second database, one in fifty only by a
website), two reviewers' votes on every reference at title and abstract (2 x N decisions: the
100k case has 200,000), full texts for those included, and two votes on each at full text.
The log is written in bulk and the cache computed from it with `items_refresh`, as decisions
would leave it. Then `prisma_report` and `render_svg` run 10 times: the median and maximum
time, and the number of queries (the target: under 200 ms, and the same number of queries at
every size).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.cases import run_cases  # noqa: E402 - after the path is set

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
RESULT = "PRISMA-BENCH "
RUNS = 10


def run_case(args: dict) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.screening import _reference
    from references.models import Reference
    from screening.constants import Role
    from screening.decisions.items import items_refresh
    from screening.models import (
        Decision,
        ExclusionReason,
        FullText,
        Membership,
        Record,
        Search,
        Source,
    )
    from screening.prisma.counts import prisma_report
    from screening.prisma.svg import render_svg
    from screening.reviews.services import review_create

    size = args["size"]
    rng = random.Random(1)
    users = get_user_model().objects
    owner = users.create_user("bench-owner")
    a, b = users.create_user("bench-a"), users.create_user("bench-b")
    review = review_create(slug="bench", title="PRISMA benchmark", owner=owner)
    for user in (a, b):
        Membership.objects.create(review=review, user=user, role=Role.REVIEWER)
    now = timezone.now()
    searches = {}
    for name, kind in (("Embase", "database"), ("PubMed", "database"), ("Akeso", "website")):
        source = Source.objects.create(review=review, name=name, kind=kind)
        searches[name] = Search.objects.create(review=review, source=source, run_at=now)
    reasons = list(ExclusionReason.objects.filter(review=review).order_by("position")[:4])

    started = time.perf_counter()
    ids: list[int] = []
    for offset in range(0, size, 5000):
        with transaction.atomic():
            batch = [_reference(rng, offset + i) for i in range(min(5000, size - offset))]
            Reference.objects.bulk_insert(batch)
            records = []
            for i, reference in enumerate(batch):
                n = offset + i
                first = "Akeso" if n % 50 == 0 else "Embase"
                records.append(Record(review=review, search=searches[first], reference=reference,
                                      position=n + 1))  # fmt: skip
                if n % 5 == 0 and first == "Embase":
                    records.append(Record(review=review, search=searches["PubMed"],
                                          reference=reference, position=n + 1,
                                          duplicate_rule="pmid"))  # fmt: skip
            Record.objects.bulk_create(records, batch_size=2000)
            ids += [r.pk for r in batch]

    def vote(reference_id, stage, reviewer, verdict, required=2):
        reason = rng.choice(reasons) if verdict == "exclude" else None
        return Decision(
            review=review, reference_id=reference_id, stage=stage, kind="vote",
            verdict=verdict, reason=reason, reason_label=reason.label if reason else "",
            reviewer=reviewer, reviewers_required=required, reasons_conflict=True,
        )  # fmt: skip

    decisions, full_texts, included = [], [], []
    for n, reference_id in enumerate(ids):
        if n % 50 == 0:  # found only on the website: it starts at retrieval
            full_texts.append(FullText(review=review, reference_id=reference_id,
                                       status="retrieved", created_by=owner))  # fmt: skip
            included.append(reference_id)
            continue
        first = rng.choice(["include"] * 2 + ["exclude"] * 8)
        second = first if rng.random() < 0.9 else rng.choice(["include", "exclude"])
        decisions += [vote(reference_id, "title_abstract", a, first),
                      vote(reference_id, "title_abstract", b, second)]  # fmt: skip
        if first == second == "include":
            status = "retrieved" if rng.random() < 0.9 else "not_retrieved"
            full_texts.append(FullText(review=review, reference_id=reference_id, status=status,
                                       created_by=owner, reason="" if status == "retrieved"
                                       else "No full text"))  # fmt: skip
            if status == "retrieved":
                included.append(reference_id)
    for reference_id in included:
        verdict = rng.choice(["include", "exclude", "exclude"])
        decisions += [vote(reference_id, "full_text", a, verdict),
                      vote(reference_id, "full_text", b, verdict)]  # fmt: skip
    with transaction.atomic():
        Decision.objects.bulk_create(decisions, batch_size=5000)
        FullText.objects.bulk_create(full_texts, batch_size=5000)
        items_refresh(review=review, reference_ids=ids)
    if connection.vendor == "postgresql":
        # As autovacuum leaves the tables a minute after a large change: statistics, and the
        # visibility map that lets the counts read the indexes alone (ANALYZE alone: +14 ms).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    setup_seconds = time.perf_counter() - started

    times, svg_times, queries = [], [], []
    for _ in range(RUNS + 1):
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            report = prisma_report(review)
            t1 = time.perf_counter()
            render_svg(report)
            times.append((time.perf_counter() - t0) * 1000)
            svg_times.append((time.perf_counter() - t1) * 1000)
        queries.append(captured.captured_queries)
    times, svg_times, queries = times[1:], svg_times[1:], queries[1:]  # the first warms up
    # Each query's median time, to see which one a size makes slow.
    query_ms = [
        round(statistics.median(float(run[i]["time"]) for run in queries) * 1000, 1)
        for i in range(len(queries[-1]))
    ]
    if report.errors:
        raise RuntimeError(f"the counts do not reconcile: {report.errors}")
    return {
        "size": size,
        "decisions": Decision.objects.filter(review=review).count(),
        "database": connection.vendor,
        "setup_seconds": round(setup_seconds, 1),
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "queries": len(queries[-1]),
        "query_ms": query_ms,
        "svg_ms": round(statistics.median(svg_times), 1),
        "screened": report.records_screened,
        "included": report.new_reports,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        print(RESULT + json.dumps(run_case(json.loads(options.child))), flush=True)
        return 0
    results = run_cases(
        __file__,
        marker=RESULT,
        databases=options.databases,
        sizes=options.sizes,
        postgres=options.postgres,
        args=lambda size: {"size": size},
        describe=lambda r: (
            f"{r['median_ms']} ms, {r['queries']} queries "
            f"({', '.join(map(str, r['query_ms']))} ms; SVG {r['svg_ms']} ms)"
        ),
    )
    if options.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        "| references | decisions | database | counts + SVG: median | max | queries "
        "| target < 200 ms |"
    )
    print("| ---: | ---: | --- | ---: | ---: | ---: | --- |")
    for r in results:
        met = "yes" if r["max_ms"] < 200 else "**no**"
        print(
            f"| {r['size']:,} | {r['decisions']:,} | {r['database']} | {r['median_ms']} ms | "
            f"{r['max_ms']} ms | {r['queries']} | {met} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
