"""PRISMA benchmark: the counts and the SVG diagram of a large review, time and queries.

    python bench/prisma.py                      # 1k, 10k and 100k references, SQLite and PostgreSQL
    python bench/prisma.py --sizes 1000 100000 1000000 --databases postgres --json

Each case runs in a process of its own on a fresh database migrated from a template: a review
with N references (a fifth of them also found by a second database, one in fifty only by a
website), two reviewers' votes on every reference at title and abstract (2 x N decisions: the
1M case has 2.3 million), full texts for those included, and two votes on each at full text.
The log is written in bulk (COPY on PostgreSQL), 10,000 references at a time, each batch's
records counted with `counters_add` as an import counts them and its cache computed with
`items_refresh` as decisions would leave it; then the counters are checked against a count of
the rows. A review of 1,000 references is built beside it in the same database. Then
`prisma_report` and `render_svg` run 20 times (`--runs`) on each review in turn: the median,
minimum and maximum time of the large one, its number of queries, and its median over the
small one's (the target: the same time and the same number of queries at every size; timed
turn about, the two meet this shared machine's load alike).
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
RUNS = 20  # timed runs of the counts, after one that warms up
BATCH = 10_000
BASELINE = 1000  # references of the review each case times beside its own


def run_case(args: dict) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from screening.models import Decision

    size = args["size"]
    users = get_user_model().objects
    owner = users.create_user("bench-owner")
    reviewers = (users.create_user("bench-a"), users.create_user("bench-b"))
    review = _review("bench", owner, reviewers)
    built = Builder(review, owner, reviewers).build(size)
    # A review of BASELINE references in the same database, timed turn about with the large one:
    # this shared machine's load then weighs on both alike, and their ratio is the flatness.
    baseline = _review("bench-baseline", owner, reviewers)
    Builder(baseline, owner, reviewers).build(BASELINE)
    t0 = time.perf_counter()
    if connection.vendor == "postgresql":
        # As autovacuum leaves the tables a minute after a large change.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    built["vacuum_seconds"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    _check_counters(review)
    built["check_seconds"] = round(time.perf_counter() - t0, 1)

    timed = _time_counts([review, baseline], args.get("runs", RUNS))
    report, times, svg_times, queries = timed[0]
    baseline_times = timed[1][1]
    # Each query's median time, to see which one a size makes slow.
    query_ms = [
        round(statistics.median(float(run[i]["time"]) for run in queries) * 1000, 1)
        for i in range(len(queries[-1]))
    ]
    median = statistics.median(times)
    return {
        "size": size,
        "decisions": Decision.objects.filter(review=review).count(),
        "database": connection.vendor,
        **built,
        "median_ms": round(median, 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
        "queries": len(queries[-1]),
        "query_ms": query_ms,
        "svg_ms": round(statistics.median(svg_times), 1),
        "baseline_median_ms": round(statistics.median(baseline_times), 1),
        "ratio_to_baseline": round(median / statistics.median(baseline_times), 2),
        "screened": report.records_screened,
        "included": report.new_reports,
    }


def _review(slug: str, owner, reviewers):
    from screening.constants import Role
    from screening.models import Membership
    from screening.reviews.services import review_create

    review = review_create(slug=slug, title="PRISMA benchmark", owner=owner)
    for user in reviewers:
        Membership.objects.create(review=review, user=user, role=Role.REVIEWER)
    return review


def _time_counts(reviews: list, runs: int) -> list[tuple]:
    """Each review's counts and diagram `runs` times, the reviews in turn, after a round that
    warms up: (its last report, times in ms, SVG times in ms, each run's queries) per review."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from screening.prisma.counts import prisma_report
    from screening.prisma.svg import render_svg

    results = [(None, [], [], []) for _ in reviews]
    for round_ in range(runs + 1):
        # Each review goes first as often as last (A B, B A, ...), so neither pays for the order.
        turns = list(zip(reviews, results, strict=True))
        for review, (_, times, svg_times, queries) in turns[:: 1 if round_ % 2 else -1]:
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                report = prisma_report(review)
                t1 = time.perf_counter()
                render_svg(report)
                times.append((time.perf_counter() - t0) * 1000)
                svg_times.append((time.perf_counter() - t1) * 1000)
            queries.append(captured.captured_queries)
            if report.errors:
                raise RuntimeError(f"the counts do not reconcile: {report.errors}")
    # The first round warms up.
    return [
        (prisma_report(review), times[1:], svg_times[1:], queries[1:])
        for review, (_, times, svg_times, queries) in zip(reviews, results, strict=True)
    ]


class Builder:
    """Writes the review's log in batches, and after each batch counts its records and
    computes its cache through the app's own functions."""

    def __init__(self, review, owner, reviewers):
        from django.utils import timezone

        from screening.models import ExclusionReason, Search, Source

        self.review, self.owner, self.reviewers = review, owner, reviewers
        self.rng = random.Random(1)
        self.now = timezone.now()
        self.searches = {}
        for name, kind in (("Embase", "database"), ("PubMed", "database"), ("Akeso", "website")):
            source = Source.objects.create(review=review, name=name, kind=kind)
            self.searches[name] = Search.objects.create(review=review, source=source,
                                                        run_at=self.now)  # fmt: skip
        self.reasons = list(ExclusionReason.objects.filter(review=review).order_by("position")[:4])

    def build(self, size: int) -> dict:
        from django.db import transaction

        from screening.decisions.counters import counters_add
        from screening.decisions.items import items_refresh

        seconds = {"log_seconds": 0.0, "cache_seconds": 0.0}
        for offset in range(0, size, BATCH):
            with transaction.atomic():
                t0 = time.perf_counter()
                ids = self._references(offset, min(BATCH, size - offset))
                records = self._records(offset, ids)
                self._log(offset, ids)
                t1 = time.perf_counter()
                counters_add(review=self.review, records=records)
                items_refresh(review=self.review, reference_ids=ids)
                seconds["log_seconds"] += t1 - t0
                seconds["cache_seconds"] += time.perf_counter() - t1
        return {name: round(value, 1) for name, value in seconds.items()}

    def _references(self, offset: int, count: int) -> list[int]:
        """Lean references: the counts never read their text."""
        from references.models import Reference

        batch = [
            Reference(
                title=f"Benchmark reference {offset + i}",
                authors=[f"Author{offset + i}, A"],
                year=2000 + (offset + i) % 26,
                pmid=str(70_000_000 + offset + i),
                title_key=f"bench {offset + i}",
                first_author_key=f"author{offset + i}",
            )
            for i in range(count)
        ]
        return [reference.pk for reference in Reference.objects.bulk_insert(batch, BATCH)]

    def _records(self, offset: int, ids: list[int]) -> dict[int, int]:
        """Each reference's records; returns the records per search, as an import counts them."""
        from collections import Counter

        from screening.models import Record

        rows, per_search = [], Counter()
        for i, reference_id in enumerate(ids):
            n = offset + i
            first = self.searches["Akeso" if n % 50 == 0 else "Embase"].pk
            rows.append((self.review.pk, first, reference_id, n + 1, "", "", "", self.now))
            per_search[first] += 1
            if n % 5 == 0 and n % 50 != 0:
                pubmed = self.searches["PubMed"].pk
                rows.append((self.review.pk, pubmed, reference_id, n + 1, "", "pmid", "", self.now))
                per_search[pubmed] += 1
        columns = ("review_id", "search_id", "reference_id", "position", "pmid",
                   "duplicate_rule", "raw", "created_at")  # fmt: skip
        _insert(Record, columns, rows)
        return per_search

    def _log(self, offset: int, ids: list[int]) -> None:
        """Two votes at title and abstract, full texts for the included, two at full text."""
        from screening.models import Decision, FullText

        rng, a, b = self.rng, *self.reviewers
        decisions, full_texts, included = [], [], []
        for i, reference_id in enumerate(ids):
            if (offset + i) % 50 == 0:  # found only on the website: it starts at retrieval
                full_texts.append(self._full_text(reference_id, "retrieved"))
                included.append(reference_id)
                continue
            first = rng.choice(["include"] * 2 + ["exclude"] * 8)
            second = first if rng.random() < 0.9 else rng.choice(["include", "exclude"])
            decisions += [self._vote(reference_id, "title_abstract", a, first),
                          self._vote(reference_id, "title_abstract", b, second)]  # fmt: skip
            if first == second == "include":
                status = "retrieved" if rng.random() < 0.9 else "not_retrieved"
                full_texts.append(self._full_text(reference_id, status))
                if status == "retrieved":
                    included.append(reference_id)
        for reference_id in included:
            verdict = rng.choice(["include", "exclude", "exclude"])
            decisions += [self._vote(reference_id, "full_text", a, verdict),
                          self._vote(reference_id, "full_text", b, verdict)]  # fmt: skip
        _insert(Decision, DECISION_COLUMNS, decisions)
        _insert(FullText, FULL_TEXT_COLUMNS, full_texts)

    def _vote(self, reference_id: int, stage: str, reviewer, verdict: str) -> tuple:
        reason = self.rng.choice(self.reasons) if verdict == "exclude" else None
        return (self.review.pk, reference_id, stage, "vote", verdict,
                reason.pk if reason else None, reason.label if reason else "", "", reviewer.pk,
                2, True, self.now)  # fmt: skip

    def _full_text(self, reference_id: int, status: str) -> tuple:
        reason = "" if status == "retrieved" else "No full text"
        return (self.review.pk, reference_id, status, "", "", "", "", reason, self.owner.pk,
                self.now)  # fmt: skip


DECISION_COLUMNS = ("review_id", "reference_id", "stage", "kind", "verdict", "reason_id",
                    "reason_label", "note", "reviewer_id", "reviewers_required",
                    "reasons_conflict", "created_at")  # fmt: skip
FULL_TEXT_COLUMNS = ("review_id", "reference_id", "status", "file", "file_name", "sha256", "url",
                     "reason", "created_by_id", "created_at")  # fmt: skip


def _insert(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Rows of values in `columns` order (attribute names): COPY on PostgreSQL, bulk_create
    elsewhere."""
    from django.db import connection

    if not rows:
        return
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model.objects.bulk_create(objects, batch_size=2000)
        return
    meta, quote = model._meta, connection.ops.quote_name
    names = ", ".join(quote(meta.get_field(name).column) for name in columns)
    statement = f"COPY {quote(meta.db_table)} ({names}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _check_counters(review) -> None:
    """The counters the build left must be what a count of the rows gives (the old way of
    counting, once, outside the timed runs)."""
    from django.db.models import Count

    from screening.models import Record, RecordCount, ScreeningItem, StageCount

    key = ("stage", "state", "entry", "reason_id")
    counted = {
        row[:-1]: row[-1]
        for row in ScreeningItem.objects.filter(review=review)
        .values_list(*key)
        .annotate(n=Count("id"))
        .order_by()
    }
    cached = {
        row[:-1]: row[-1]
        for row in StageCount.objects.filter(review=review, n__gt=0).values_list(*key, "n")
    }
    records = dict(
        Record.objects.filter(review=review).values_list("search_id").annotate(n=Count("id"))
        .order_by()
    )  # fmt: skip
    cached_records = dict(
        RecordCount.objects.filter(review=review, n__gt=0).values_list("search_id", "n")
    )
    if counted != cached or records != cached_records:
        raise RuntimeError(f"the counters differ from the rows: {cached} != {counted}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--runs", type=int, default=RUNS, help="timed runs per case")
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
        args=lambda size: {"size": size, "runs": options.runs},
        describe=lambda r: (
            f"{r['median_ms']} ms ({r['ratio_to_baseline']} x the {BASELINE:,}-reference "
            f"review's {r['baseline_median_ms']} ms beside it), {r['queries']} queries "
            f"({', '.join(map(str, r['query_ms']))} ms; SVG {r['svg_ms']} ms); built in "
            f"{r['log_seconds']} s (log) + {r['cache_seconds']} s (items_refresh) + "
            f"{r['vacuum_seconds']} s (VACUUM ANALYZE)"
        ),
    )
    if options.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        "| references | decisions | database | counts + SVG: median | max | queries "
        f"| {BASELINE:,} beside it: median | ratio | built in |"
    )
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        built = r["log_seconds"] + r["cache_seconds"] + r["vacuum_seconds"]
        print(
            f"| {r['size']:,} | {r['decisions']:,} | {r['database']} | {r['median_ms']} ms | "
            f"{r['max_ms']} ms | {r['queries']} | {r['baseline_median_ms']} ms | "
            f"{r['ratio_to_baseline']} | {built:.0f} s |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
