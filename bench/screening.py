"""Screening benchmark: server time to record a decision and render the next reference.

    python bench/screening.py             # 1k, 10k and 100k references, SQLite and PostgreSQL
    python bench/screening.py --sizes 1000 100000 --databases postgres --decisions 400

Each case runs in a process of its own, on a fresh database migrated from a template (as
bench/import.py makes them): a review with N references (inserted in bulk, each with a record
of a database source, so that all wait at title and abstract) and two reviewers. Through Django's
test client, as the screening page does with htmx, the two reviewers take turns: each POST
records a decision on the reference shown and renders the next one. The first 20 requests warm
up and are not counted. Printed per case: the median, 95th percentile and maximum server time
of the decision requests and of a plain page view; the target is a 95th percentile under 50 ms,
flat from 1k to 100k references.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.cases import run_cases  # noqa: E402 - after the path is set

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
RESULT = "SCREENING-BENCH "
WARM_UP = 20
REFERENCE = re.compile(r'data-reference="(\d+)"')
WORDS = str.split(
    "ivonescimab bispecific antibody pd-1 vegf non-small cell lung cancer randomised phase trial "
    "progression-free survival overall response rate chemotherapy pembrolizumab egfr mutation "
    "squamous advanced metastatic first-line second-line hazard ratio confidence interval adverse "
    "events grade safety efficacy cohort patients median months placebo docetaxel platinum"
)


# --- One case, in its own process --------------------------------------------------------------


def run_case(args: dict) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from screening.constants import Role
    from screening.models import Membership, Search, Source
    from screening.reviews.services import review_create

    size, decisions = args["size"], args["decisions"]
    rng = random.Random(args.get("seed", 1))
    users = get_user_model().objects
    owner = users.create_user("bench-owner", password="x")
    a = users.create_user("bench-a", password="x")
    b = users.create_user("bench-b", password="x")
    review = review_create(slug="bench", title="Screening benchmark", owner=owner)
    for user in (a, b):
        Membership.objects.create(review=review, user=user, role=Role.REVIEWER)
    source = Source.objects.create(review=review, name="Embase", kind="database")
    search = Search.objects.create(review=review, source=source, run_at=timezone.now())

    started = time.perf_counter()
    references_add(review, search, size, rng)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after a bulk load
    setup_seconds = time.perf_counter() - started

    clients = {}
    for user in (a, b):
        client = Client()
        client.force_login(user)
        clients[user.pk] = client
    screen = f"/r/{review.slug}/screen/title-abstract/"
    decide = f"/r/{review.slug}/screen/title-abstract/decide/"
    shown = {pk: _shown(client.get(screen)) for pk, client in clients.items()}

    decision_times, view_times = [], []
    verdicts = ["include"] * 6 + ["exclude"] * 3 + ["maybe"]
    for turn in range(decisions + WARM_UP):
        pk = (a.pk, b.pk)[turn % 2]
        client = clients[pk]
        t0 = time.perf_counter()
        response = client.post(
            decide,
            {"reference": shown[pk], "verdict": rng.choice(verdicts), "token": f"{pk}-{turn}"},
            HTTP_HX_REQUEST="true",
        )
        elapsed = time.perf_counter() - t0
        if response.status_code != 200:
            raise RuntimeError(f"the decision request answered {response.status_code}")
        shown[pk] = _shown(response)
        if turn >= WARM_UP:
            decision_times.append(elapsed * 1000)
        if turn % 10 == 0:
            t0 = time.perf_counter()
            client.get(screen)
            if turn >= WARM_UP:
                view_times.append((time.perf_counter() - t0) * 1000)
    return {
        "size": size,
        "database": connection.vendor,
        "decisions": len(decision_times),
        "setup_seconds": round(setup_seconds, 1),
        "decide_median_ms": round(statistics.median(decision_times), 1),
        "decide_p95_ms": round(_percentile(decision_times, 95), 1),
        "decide_max_ms": round(max(decision_times), 1),
        "view_median_ms": round(statistics.median(view_times), 1),
        "view_p95_ms": round(_percentile(view_times, 95), 1),
    }


def references_add(review, search, size: int, rng) -> list[int]:
    """`size` made-up references found by `search`, with their records and title-and-abstract
    items, written in bulk 5,000 at a time and counted as an import counts them (the records
    per search and the items). Their ids, in order."""
    from django.db import transaction

    from references.models import Reference
    from screening.decisions.counters import counters_add
    from screening.decisions.items import items_create_new
    from screening.models import Record

    ids: list[int] = []
    for offset in range(0, size, 5000):
        with transaction.atomic():
            batch = [_reference(rng, offset + i) for i in range(min(5000, size - offset))]
            Reference.objects.bulk_insert(batch)
            Record.objects.bulk_create(
                [
                    Record(review=review, search=search, reference=r, position=offset + i + 1)
                    for i, r in enumerate(batch)
                ],
                batch_size=1000,
            )
            counters_add(review=review, records={search.pk: len(batch)})
            items_create_new(
                review=review, reference_ids=[r.pk for r in batch], source_kind="database"
            )
            ids += [r.pk for r in batch]
    return ids


def _reference(rng, n: int):
    from references.models import Reference

    title = " ".join(rng.sample(WORDS, 12)).capitalize()
    abstract = " ".join(rng.choice(WORDS) for _ in range(220)).capitalize() + "."
    return Reference(
        title=f"{title} ({n})",
        abstract=abstract,
        authors=[f"Author{n}, A", "Second, B", "Third, C"],
        journal="Journal of Benchmarks",
        year=2000 + n % 26,
        pmid=str(70_000_000 + n),
        title_key=f"bench {n}",
        first_author_key=f"author{n}",
    )


def _shown(response) -> int | None:
    match = REFERENCE.search(response.content.decode())
    return int(match.group(1)) if match else None


def _percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(percent / 100 * len(ordered)) - 1))
    return ordered[index]


# --- The runs ----------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--decisions", type=int, default=300)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        result = run_case(json.loads(options.child))
        print(RESULT + json.dumps(result), flush=True)
        return 0

    results = run_cases(
        __file__,
        marker=RESULT,
        databases=options.databases,
        sizes=options.sizes,
        postgres=options.postgres,
        args=lambda size: {"size": size, "decisions": options.decisions},
        describe=lambda r: (
            f"decision + next: median {r['decide_median_ms']} ms, p95 {r['decide_p95_ms']} ms"
        ),
    )
    if options.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        "| references | database | decisions timed | decision + next: median | p95 | max | "
        "page view: median | p95 | target p95 < 50 ms |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        met = "yes" if r["decide_p95_ms"] < 50 else "**no**"
        print(
            f"| {r['size']:,} | {r['database']} | {r['decisions']} | {r['decide_median_ms']} ms | "
            f"{r['decide_p95_ms']} ms | {r['decide_max_ms']} ms | {r['view_median_ms']} ms | "
            f"{r['view_p95_ms']} ms | {met} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
