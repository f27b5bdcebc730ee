"""Import benchmark: records per second and peak memory, bare parsers against the full import.

    python bench/import.py                      # 10k and 100k, both formats, SQLite + PostgreSQL
    python bench/import.py --sizes 10000 --databases sqlite --formats medline
    python bench/import.py --corpus DIR --json  # JSON instead of the markdown tables

Builds PubMed XML and MEDLINE files of each size from the real records of the corpus directory
(default: the repository's tests/data/biopython; see bench/generate.py), then runs every case in
a fresh process (bench/worker.py) so that each one's peak memory is its own:

- bare Bio.Entrez.read (PubMed XML, sizes up to --entrez-max only: it holds the whole file as
  Python objects), a bare lxml extractor, bare Bio.Medline.parse;
- bare parse through references.parsers.read_file(...).entries();
- the full import (screening.identification.imports.references_import: parse, normalise,
  deduplicate, insert, propose near duplicates) into a fresh review, on SQLite and on
  PostgreSQL (a throwaway database `bench_import_<pid>_<n>`, dropped at the end), with its
  speed over our parser's and the bare parsers' on the same file (bench/import_report.py);
- near-duplicate detection alone: references.duplicates.near_pairs over generated items, and
  duplicate_candidates_propose over the largest imported review.

Exits 1 when a case fails (an error, or an import that counts records or duplicates wrongly);
with --strict, also when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.generate import (  # noqa: E402 - after the path is set
    CorpusError,
    load_corpus,
    write_medline,
    write_pubmed_xml,
)
from bench.import_report import (  # noqa: E402
    FORMAT_LABELS,
    Case,
    markdown,
    ratios,
    targets,
)
from bench.worker import RESULT_PREFIX  # noqa: E402

DEFAULT_CORPUS = REPO / "tests" / "data" / "biopython"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
SETTINGS = "config.settings.dev"
SUFFIXES = {"pubmed-xml": ".xml", "medline": ".nbib"}

LOAD = {"start": 0.0}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- Databases --------------------------------------------------------------------------------


class Databases:
    """A migrated template per database kind; each import case gets a fresh copy of it."""

    def __init__(self, kinds: list[str], workdir: Path, postgres_url: str) -> None:
        self.kinds = kinds
        self.workdir = workdir
        self.postgres_url = postgres_url
        self.prefix = f"bench_import_{os.getpid()}"
        self.created: list[str] = []
        self.count = 0

    def _pg_url(self, name: str) -> str:
        parts = urlsplit(self.postgres_url)
        return urlunsplit(parts._replace(path="/" + name))

    def _pg(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.postgres_url, autocommit=True) as connection:
            connection.execute(sql)

    def prepare(self) -> None:
        for kind in self.kinds:
            log(f"... migrating a template {kind} database")
            if kind == "sqlite":
                url = f"sqlite:///{self.workdir / 'template.sqlite3'}"
            else:
                self._pg(f'CREATE DATABASE "{self.prefix}"')
                self.created.append(self.prefix)
                url = self._pg_url(self.prefix)
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
                cwd=REPO,
                env=child_env(url),
                check=True,
            )

    def fresh(self, kind: str) -> str:
        """The URL of a new database holding only the migrated schema."""
        self.count += 1
        if kind == "sqlite":
            path = self.workdir / f"case{self.count}.sqlite3"
            shutil.copyfile(self.workdir / "template.sqlite3", path)
            return f"sqlite:///{path}"
        name = f"{self.prefix}_{self.count}"
        self._pg(f'CREATE DATABASE "{name}" TEMPLATE "{self.prefix}"')
        self.created.append(name)
        # Write out what the cases before left behind (a 100k PubMed XML import leaves 1.7 GB
        # of WAL and dirty pages), so that this case does not pay for their checkpoint.
        self._pg("CHECKPOINT")
        return self._pg_url(name)

    def drop(self, url: str) -> None:
        if url.startswith("sqlite:"):
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            return
        name = urlsplit(url).path.lstrip("/")
        self._pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.remove(name)

    def cleanup(self) -> None:
        for name in reversed(list(self.created)):
            try:
                self._pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as error:  # noqa: BLE001 - report, go on dropping the rest
                log(f"warning: could not drop database {name}: {error}")
        self.created.clear()


def child_env(database_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    for name in ("CELERY_BROKER_URL", "REDIS_URL"):
        env.pop(name, None)  # the import runs in this process, not in a worker
    # The import alone, not the retrain it asks for on commit (a thread without a broker, which
    # would add its memory to the import's peak; a Celery worker's in production).
    env["RANKING_RETRAIN"] = "off"
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
    return env


def run_case(case: Case, database_url: str | None, timeout: float) -> None:
    command = [sys.executable, "-m", "bench.worker", json.dumps({"case": case.kind, **case.args})]
    started = time.perf_counter()
    try:
        process = subprocess.run(
            command,
            cwd=REPO,
            env=child_env(database_url),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        case.result = {"ok": False, "error": f"timed out after {timeout:.0f} s"}
        return
    lines = [line for line in process.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if lines:
        case.result = json.loads(lines[-1][len(RESULT_PREFIX) :])
    else:
        case.result = {"ok": False, "error": f"the worker exited {process.returncode}"}
    case.result["wall_seconds"] = time.perf_counter() - started
    if not case.ok:
        log(process.stderr[-3000:])


# --- Planning ---------------------------------------------------------------------------------


def median_run(runs: list[Case]) -> Case:
    """The run of a case with the median time (the lower middle one of an even number), with
    every run's seconds noted; a failed run makes the case fail."""
    failed = [run for run in runs if not run.ok]
    if failed:
        return failed[0]
    ordered = sorted(runs, key=lambda run: run.result["seconds"])
    chosen = ordered[(len(ordered) - 1) // 2]
    if len(runs) > 1:
        chosen.result["runs_seconds"] = [run.result["seconds"] for run in runs]
    return chosen


def plan_cases(options, files: dict, plans: dict) -> list[Case]:
    cases: list[Case] = []
    sizes = sorted(set(options.sizes))
    formats = [f for f in ("pubmed-xml", "medline") if f in options.formats]
    for size in sizes:
        if "baseline" in options.only:
            if "pubmed-xml" in formats:
                if size <= options.entrez_max:
                    cases.append(Case("entrez_read", "Bio.Entrez.read (bare)", "pubmed-xml", size))
                cases.append(Case("lxml_extract", "lxml extractor (bare)", "pubmed-xml", size))
            if "medline" in formats:
                cases.append(Case("medline_parse", "Bio.Medline.parse (bare)", "medline", size))
        if "parse" in options.only:
            for fmt in formats:
                cases.append(Case("parse", "read_file().entries()", fmt, size))
    if "import" in options.only:
        largest = sizes[-1]
        propose_format = "medline" if "medline" in formats else formats[0]
        for size in sizes:
            for fmt in formats:
                for database in options.databases:
                    plan = plans[(fmt, size)]
                    expected = {
                        "records": plan.records,
                        "references_created": plan.unique,
                        "duplicates": plan.duplicates,
                        "unreadable": 0,
                    }
                    args = {"expected": expected, "debug_sql": options.debug_sql}
                    if size == largest and fmt == propose_format and "near" in options.only:
                        args["propose"] = True
                    cases.append(
                        Case("import", "references_import (full)", fmt, size, database, args)
                    )
    if "near" in options.only:
        cases.append(
            Case("near_pairs", "near_pairs (alone)", "", max(sizes), args={"size": max(sizes)})
        )
    for case in cases:
        if case.format:
            case.args.setdefault("path", str(files[(case.format, case.size)]))
            case.args.setdefault("format", case.format)
        case.args.setdefault("corpus", str(options.corpus))
    return cases


# --- Main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--formats", nargs="+", choices=["pubmed-xml", "medline"], default=["pubmed-xml", "medline"]
    )
    parser.add_argument(
        "--databases", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["baseline", "parse", "import", "near"],
        default=["baseline", "parse", "import", "near"],
        help="which groups of cases to run (default: all)",
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help="directory of real PubMed XML and MEDLINE files (default: tests/data/biopython)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL URL whose server may create and drop throwaway databases "
        f"(default: {DEFAULT_POSTGRES})",
    )
    parser.add_argument(
        "--entrez-max",
        type=int,
        default=10_000,
        help="largest file for bare Entrez.read, which holds it all in memory (default 10000)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "bench" / "out",
        help="where generated files and SQLite databases go (default: bench/out, git-ignored)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument(
        "--debug-sql",
        action="store_true",
        help="keep DEBUG=True from the dev settings during imports (Django then keeps every "
        "query's text: shows its memory cost)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run every case this many times and report each case's median run (default 1)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per case")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    started = time.perf_counter()
    LOAD["start"] = os.getloadavg()[0]
    try:
        corpus = load_corpus(options.corpus)
    except CorpusError as error:
        log(f"error: {error}; give a directory of real files with --corpus DIR")
        return 2
    for fmt, templates in (
        ("pubmed-xml", corpus.xml_templates),
        ("medline", corpus.medline_templates),
    ):
        if fmt in options.formats and not templates:
            log(f"error: no {FORMAT_LABELS[fmt]} records under {corpus.directory}; use --corpus")
            return 2
    log(
        f"corpus {corpus.directory}: {len(corpus.xml_templates)} PubMed XML articles "
        f"({len(corpus.xml_files)} files), {len(corpus.medline_templates)} MEDLINE records "
        f"({len(corpus.medline_files)} files)"
    )
    workdir = options.out / f"run-{os.getpid()}"
    workdir.mkdir(parents=True, exist_ok=True)
    databases = Databases(options.databases, workdir, options.postgres)
    files: dict = {}
    plans: dict = {}
    cases: list[Case] = []
    try:
        needs_files = {"baseline", "parse", "import"} & set(options.only)
        for fmt in options.formats if needs_files else []:
            for size in sorted(set(options.sizes)):
                path = workdir / f"{fmt}-{size}{SUFFIXES[fmt]}"
                t0 = time.perf_counter()
                writer = write_pubmed_xml if fmt == "pubmed-xml" else write_medline
                plans[(fmt, size)] = writer(path, corpus, size, seed=options.seed)
                files[(fmt, size)] = path
                log(
                    f"... wrote {path.name}: {path.stat().st_size / 1e6:,.0f} MB in "
                    f"{time.perf_counter() - t0:.1f} s"
                )
        if "import" in options.only:
            try:
                databases.prepare()
            except Exception as error:  # noqa: BLE001 - a sentence, then exit 1
                log(
                    f"error: could not prepare the databases ({error.__class__.__name__}: "
                    f"{error}); is PostgreSQL at --postgres reachable? Or use --databases sqlite"
                )
                return 1
        cases = plan_cases(options, files, plans)
        # Each round runs every case once, in order, so that a parser and the import of the
        # same file run close together; each case then keeps its median round (median_run).
        rounds = [[replace(case, result={}) for case in cases] for _ in range(options.repeat)]
        for round_number, planned in enumerate(rounds, 1):
            for number, case in enumerate(planned, 1):
                log(
                    f"[{number}/{len(planned)}"
                    + (f", round {round_number}/{options.repeat}" if options.repeat > 1 else "")
                    + f"] {case.label} {case.format} {case.size:,} {case.database}".rstrip()
                )
                url = databases.fresh(case.database) if case.kind == "import" else None
                try:
                    run_case(case, url, options.timeout)
                finally:
                    if url:
                        databases.drop(url)
                r = case.result
                if case.ok:
                    log(
                        f"    {r['seconds']:.1f} s, {case.rate:,.0f}/s, peak {r['peak_mb']:,.0f} MB"
                        + (
                            f", propose {r['propose_seconds']:.1f} s"
                            if "propose_seconds" in r
                            else ""
                        )
                    )
                else:
                    log(f"    FAILED: {r.get('error')}")
        cases = [median_run([r[i] for r in rounds]) for i in range(len(cases))]
    finally:
        databases.cleanup()
        for key, path in files.items():
            plans[(*key, "bytes")] = path.stat().st_size if path.exists() else 0
        if not options.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    total = time.perf_counter() - started
    if options.json:
        print(
            json.dumps(
                {
                    "total_seconds": total,
                    "corpus": str(corpus.directory),
                    "files": [
                        {
                            "format": fmt,
                            "records": size,
                            "bytes": plans[(fmt, size, "bytes")],
                            **asdict(plans[(fmt, size)])
                            | {"near_pairs": len(plans[(fmt, size)].near_pairs)},
                        }
                        for (fmt, size) in files
                    ],
                    "cases": [
                        {
                            "kind": c.kind,
                            "label": c.label,
                            "format": c.format,
                            "records": c.size,
                            "database": c.database,
                            "records_per_second": c.rate,
                            "target": targets(c, cases)[0],
                            "met": targets(c, cases)[1],
                            **({"ratios": ratios(c, cases)} if c.kind == "import" and c.ok else {}),
                            **c.result,
                        }
                        for c in cases
                    ],
                },
                indent=2,
            )
        )
    else:
        if options.repeat > 1:
            print(
                f"Each case ran {options.repeat} times, its runs in turn with the others'; "
                "each row is its median run (every run's seconds: --json, runs_seconds).\n"
            )
        print(markdown(cases, files, plans, total, LOAD["start"]))
        if options.repeat > 1:
            print("\nEvery run's seconds, in the order they ran:\n")
            for case in cases:
                runs = ", ".join(f"{s:.1f}" for s in case.result.get("runs_seconds", []))
                print(f"- {case.label} {case.format} {case.size:,} {case.database}: {runs}")
    failed = [c for c in cases if not c.ok]
    missed = [c for c in cases if targets(c, cases)[1] == "no"]
    if failed:
        log(f"{len(failed)} case(s) failed")
        return 1
    if options.strict and missed:
        log(f"{len(missed)} target(s) missed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
