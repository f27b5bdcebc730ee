"""One benchmark case, run in a process of its own: `python -m bench.worker '{"case": ...}'`.

bench/import.py starts one of these per case, so that each case's peak memory (VmHWM, read at
the end) is its own. The last line printed is `BENCH-RESULT {json}`.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import traceback
from collections import defaultdict
from pathlib import Path

RESULT_PREFIX = "BENCH-RESULT "


def memory_mb(field: str = "VmHWM") -> float:
    """This process's peak (VmHWM) or current (VmRSS) resident memory, in MB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    # Not Linux: ru_maxrss is the peak (kB on Linux, bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def process_peak_mb(pid: int) -> float | None:
    """Another process's peak resident memory (VmHWM), in MB; None once it has gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    """CPU time of this process (user + system), or with RUSAGE_CHILDREN of its children that
    have ended (an import's parser process); the database server's is not counted."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


# --- Bare parsers -----------------------------------------------------------------------------


def case_entrez_read(args: dict) -> dict:
    from Bio import Entrez

    with open(args["path"], "rb") as handle:
        result = Entrez.read(handle)
    return {"records": len(result["PubmedArticle"]) + len(result["PubmedBookArticle"])}


def case_medline_parse(args: dict) -> dict:
    from Bio import Medline

    count = 0
    with open(args["path"], encoding="utf-8") as handle:
        for _record in Medline.parse(handle):
            count += 1
    return {"records": count}


def case_lxml_extract(args: dict) -> dict:
    """A minimal lxml extractor: the fields duplicate detection needs, nothing cleaned."""
    from lxml import etree

    count = 0
    for _, element in etree.iterparse(
        args["path"], events=("end",), tag="PubmedArticle", resolve_entities=False
    ):
        citation = element.find("MedlineCitation")
        article = citation.find("Article")
        _ = (
            citation.findtext("PMID"),
            "".join(article.find("ArticleTitle").itertext()),
            " ".join("".join(a.itertext()) for a in article.iterfind("Abstract/AbstractText")),
            [a.findtext("LastName") for a in article.iterfind("AuthorList/Author")],
            article.findtext("Journal/JournalIssue/PubDate/Year"),
            element.findtext("PubmedData/ArticleIdList/ArticleId[@IdType='doi']"),
        )
        count += 1
        element.clear(keep_tail=False)
        while element.getprevious() is not None:
            del element.getparent()[0]
    return {"records": count}


def case_parse(args: dict) -> dict:
    from references.parsers import UnreadableEntry, read_file

    count = unreadable = 0
    for entry in read_file(args["path"], format=args["format"]).entries():
        count += 1
        if isinstance(entry, UnreadableEntry):
            unreadable += 1
    return {"records": count, "unreadable": unreadable}


# --- Near-duplicate detection alone -----------------------------------------------------------


def case_near_pairs(args: dict) -> dict:
    from bench.generate import load_corpus, near_items
    from references.duplicates import near_pairs

    items, planted = near_items(load_corpus(args["corpus"]), args["size"])
    started = time.perf_counter()
    pairs = list(near_pairs(items))
    seconds = time.perf_counter() - started
    found = {(p.a, p.b) for p in pairs}
    return {
        "records": len(items),
        "seconds": seconds,
        "pairs": len(pairs),
        "planted": len(planted),
        "planted_found": len(found & planted),
    }


# --- The full import, through Django ----------------------------------------------------------


class Phases:
    """Wall time spent in the import's parts, by wrapping them (nothing in the app is edited)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, name: str, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started

        return timed

    def wrap_iterator(self, name: str, function):
        def timed(*args, **kwargs):
            iterator = iter(function(*args, **kwargs))
            while True:
                started = time.perf_counter()
                try:
                    item = next(iterator)
                except StopIteration:
                    self.seconds[name] += time.perf_counter() - started
                    return
                self.seconds[name] += time.perf_counter() - started
                yield item

        return timed


class _ServerCpu:
    """CPU time of the PostgreSQL backend serving this connection, when it runs on this
    machine (its /proc entry is readable); None elsewhere."""

    def __init__(self, connection) -> None:
        self.pid = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
        self.start = self._read()

    def _read(self) -> float | None:
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, TypeError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def seconds(self) -> float | None:
        end = self._read()
        return end - self.start if end is not None and self.start is not None else None


def _django(debug_sql: bool):
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    django.setup()
    from django.conf import settings

    # config.settings.dev has DEBUG = True, which makes Django keep the text of every query
    # (the last 9,000), bulk inserts of whole records included: not what a server or a Celery
    # worker does, and hundreds of MB at 100k records. --debug-sql keeps it, to show that.
    settings.DEBUG = debug_sql


def case_import(args: dict) -> dict:
    _django(args.get("debug_sql", False))
    from django.contrib.auth import get_user_model
    from django.db import connection

    from references.models import Reference
    from references.parsers import ParsedFile
    from screening.identification import duplicates as duplicate_services
    from screening.identification import import_writers, imports, parse_process, read_ahead
    from screening.models import DuplicateCandidate
    from screening.reviews.services import review_create

    phases = Phases()
    # The parser runs on a thread (read_ahead.py) or in a process (parse_process.py) of its own:
    # its time overlaps the rest, and is reported apart (a process's as its CPU time, below).
    # Everything else is the import's own thread, whose parts add up.
    ParsedFile.entries = phases.wrap_iterator("parse (its thread)", ParsedFile.entries)
    # A parser's process hands its entries to a ReadAhead thread too, so this counts both.
    read_ahead.ReadAhead.__iter__ = phases.wrap_iterator(
        "waiting for the parser", read_ahead.ReadAhead.__iter__
    )
    for writer in (import_writers.CopyWriter, import_writers.OrmWriter):
        writer.insert_references = phases.wrap("insert references", writer.insert_references)
        writer.insert_records = phases.wrap("insert records", writer.insert_records)
        writer.insert_items = phases.wrap("insert items", writer.insert_items)
        # The COPY writer counts its items here.
        writer.finish = phases.wrap("insert items", writer.finish)
    imports._analyze = phases.wrap("analyze", imports._analyze)
    propose = phases.wrap("propose near duplicates", imports.duplicate_candidates_propose)
    memory: dict[str, float] = {}
    # The parser's process's own peak, read from /proc as each frame arrives (its high-water
    # mark only grows). Not getrusage(RUSAGE_CHILDREN): a child started by fork() keeps the
    # resident size it had before exec, which is this process's, as its peak.
    read_frame = parse_process.ParseProcess._read

    def read_frame_noting_peak(self):
        frame = read_frame(self)
        peak = process_peak_mb(self.pid)
        if peak is not None:
            memory["parser_process_peak_mb"] = peak
        return frame

    parse_process.ParseProcess._read = read_frame_noting_peak

    def propose_measured(**kwargs):
        memory["before_propose_mb"] = memory_mb()
        return propose(**kwargs)

    imports.duplicate_candidates_propose = propose_measured
    imports.file_sha256 = phases.wrap("sha256", imports.file_sha256)

    # The import runs as in a Celery worker, which loads every task module as it starts
    # (autodiscovery). Left to the first task queued, at the import's commit, the loading
    # (scikit-learn's, 1.5 s) fell inside the measured import: a cost of the process, not of
    # the file, which no worker pays per import.
    from config.celery import app

    app.loader.import_default_modules()

    owner = get_user_model().objects.create_user("bench", email="bench@example.org")
    review = review_create(slug="bench", title="Import benchmark", owner=owner)
    source = imports.source_get_or_create(review=review, name="PubMed", kind="database", user=owner)
    baseline = memory_mb("VmRSS")

    server = _ServerCpu(connection)
    started, cpu = time.perf_counter(), cpu_seconds()
    children_cpu = cpu_seconds(resource.RUSAGE_CHILDREN)
    search = imports.references_import(
        review=review,
        source=source,
        path=Path(args["path"]),
        file_name=Path(args["path"]).name,
        user=owner,
        file_format=args["format"],
    )
    seconds = time.perf_counter() - started
    # A large file is parsed in a process of its own: its CPU and memory are the import's too.
    # Both processes' peaks are added, as if they fell at the same moment (an upper bound).
    parser_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - children_cpu
    parser_peak = memory.pop("parser_process_peak_mb", 0.0)
    cpu = cpu_seconds() - cpu + parser_cpu
    server_cpu = server.seconds()
    peak = memory_mb() + parser_peak
    if parser_cpu:
        phases.seconds["parse (its process, CPU)"] = parser_cpu
    result = {
        "records": search.records_count,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "parser_process_cpu_seconds": parser_cpu,
        "parser_process_peak_mb": parser_peak,
        "server_cpu_seconds": server_cpu,
        **memory,
        "baseline_mb": baseline,
        "peak_mb": peak,
        "references_created": search.references_created,
        "duplicates": search.duplicates,
        "unreadable": search.unreadable,
        "proposed": DuplicateCandidate.objects.filter(review=review).count(),
        "phases": dict(phases.seconds),
        "vendor": connection.vendor,
    }
    expected = args.get("expected")
    if expected:
        wrong = {
            key: (result[key], value) for key, value in expected.items() if result[key] != value
        }
        if wrong:
            raise AssertionError(f"the import counted wrongly, (got, expected): {wrong}")

    if args.get("propose"):
        # A review that mixes sources: half of its references lose their PMID and DOI (as if
        # found in Embase only), so that titles are compared, then every reference is checked.
        table = connection.ops.quote_name(Reference._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET pmid = '', doi = '' WHERE id % 2 = 0")
        DuplicateCandidate.objects.filter(review=review).delete()
        started = time.perf_counter()
        proposed = duplicate_services.duplicate_candidates_propose(review=review)
        result["propose_seconds"] = time.perf_counter() - started
        result["propose_pairs"] = proposed
        result["propose_peak_mb"] = memory_mb()
    return result


CASES = {
    "entrez_read": case_entrez_read,
    "medline_parse": case_medline_parse,
    "lxml_extract": case_lxml_extract,
    "parse": case_parse,
    "near_pairs": case_near_pairs,
    "import": case_import,
}


def main() -> int:
    args = json.loads(sys.argv[1])
    try:
        started, cpu = time.perf_counter(), cpu_seconds()
        result = CASES[args["case"]](args)
        result.setdefault("seconds", time.perf_counter() - started)
        result.setdefault("cpu_seconds", cpu_seconds() - cpu)
        result.setdefault("peak_mb", memory_mb())
        result["ok"] = True
    except Exception as error:  # noqa: BLE001 - reported to the parent, which fails the run
        traceback.print_exc()
        result = {"ok": False, "error": f"{error.__class__.__name__}: {error}"}
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
