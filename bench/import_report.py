"""The tables bench/import.py prints: every case, the full import against the parsers of the same
run (our parser alone, the bare parsers), peak memory at each size, near duplicates, and where
the import's time goes."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from bench.generate import DUPLICATE_RATE, NEAR_RATE

FORMAT_LABELS = {"pubmed-xml": "PubMed XML", "medline": "MEDLINE"}
# The figures on this machine, used where this run did not measure the baseline itself.
REFERENCE_RATES = {"entrez_read": 1_000, "lxml_extract": 6_700, "medline_parse": 35_000}
# The full import against our parser alone, on the same file in the same run (issue 23).
PARSER_SHARE = 0.5
MEMORY_LIMIT_MB = 500
NEAR_LIMIT_SECONDS = 30
BARE = {"pubmed-xml": "lxml_extract", "medline": "medline_parse"}
# The import's own thread, whose parts add up to its time ("rest": keys, matching, the commit).
MAIN_PHASES = (
    "waiting for the parser",
    "insert references",
    "insert records",
    "insert items",
    "analyze",
    "propose near duplicates",
    "sha256",
)


@dataclass
class Case:
    kind: str  # entrez_read, lxml_extract, medline_parse, parse, import, near_pairs
    label: str
    format: str = ""
    size: int = 0
    database: str = ""
    args: dict = field(default_factory=dict)
    result: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        seconds = self.result.get("seconds") or 0
        return self.result.get("records", 0) / seconds if seconds else 0.0

    @property
    def ok(self) -> bool:
        return bool(self.result.get("ok"))


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _find(cases: list[Case], kind: str, fmt: str, size: int | None = None) -> Case | None:
    matches = [c for c in cases if c.kind == kind and c.format == fmt and c.ok]
    exact = [c for c in matches if c.size == size]
    return (exact or matches or [None])[0]


def ratios(case: Case, cases: list[Case]) -> dict[str, float | None]:
    """The import's speed over each parser's, on the file of the same format and size."""
    out: dict[str, float | None] = {}
    for kind in ("parse", BARE[case.format], "entrez_read"):
        other = _find(cases, kind, case.format, case.size)
        exact = other is not None and other.size == case.size
        out[kind] = case.rate / other.rate if exact and other.rate else None
    return out


def targets(case: Case, cases: list[Case]) -> tuple[str, str]:
    """The target to print beside a case, and whether it was met ("yes", "no" or "")."""
    if not case.ok:
        return "", "FAILED"
    if case.kind in REFERENCE_RATES:
        return f"reference (issue: ~{_n(REFERENCE_RATES[case.kind])}/s)", ""
    if case.kind == "near_pairs":
        met = case.result["seconds"] < NEAR_LIMIT_SECONDS
        return f"< {NEAR_LIMIT_SECONDS} s", "yes" if met else "no"
    if case.kind != "import":
        return "", ""
    notes, met = [], True
    ours = _find(cases, "parse", case.format, case.size)
    if ours is not None:
        notes.append(f">= {PARSER_SHARE} x our parser = {_n(ours.rate * PARSER_SHARE)}/s")
        met &= case.rate >= ours.rate * PARSER_SHARE
    if case.format == "pubmed-xml":
        entrez = _find(cases, "entrez_read", "pubmed-xml", case.size)
        floor = entrez.rate if entrez else REFERENCE_RATES["entrez_read"]
        notes.append(f">= Entrez.read {_n(floor)}/s")
        met &= case.rate >= floor
    if case.size >= 100_000:
        notes.append(f"< {MEMORY_LIMIT_MB} MB")
        met &= case.result["peak_mb"] < MEMORY_LIMIT_MB
    return "; ".join(notes), "yes" if met else "no"


def _numeric(cell: str) -> bool:
    return cell.replace(",", "").replace(".", "").lstrip("x").isdigit()


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table; columns of numbers are right-aligned."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in headers]
    align = [
        "---:" if column and all(_numeric(c) for c in column if c not in ("", "-")) else "---"
        for column in columns
    ]
    return [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def case_table(cases: list[Case]) -> list[str]:
    rows = []
    for case in cases:
        if case.kind == "near_pairs" and case.ok:
            continue  # in the near-duplicate table
        target, met = targets(case, cases)
        r = case.result
        if case.ok:
            seconds, rate, peak = f"{r['seconds']:.1f}", _n(case.rate), _n(r["peak_mb"])
        else:
            seconds = rate = peak = ""
            target = r.get("error", "failed")
        rows.append(
            [
                case.label,
                FORMAT_LABELS.get(case.format, ""),
                _n(case.size),
                case.database or "-",
                seconds,
                rate,
                peak,
                target,
                met,
            ]
        )
    headers = ["case", "format", "records", "database", "seconds", "records/s", "peak MB"]
    return _table([*headers, "target", "met"], rows)


def _cpu_share(seconds: float | None, parser: Case | None) -> float | None:
    """CPU seconds over our parser's alone on the same file: unlike wall time, little moved
    by other work on the machine. With two cores, the import can keep pace with half the
    parser's speed only if both shares stay under 2."""
    if seconds is None or parser is None or not parser.result.get("cpu_seconds"):
        return None
    return seconds / parser.result["cpu_seconds"]


def ratio_table(cases: list[Case]) -> list[str]:
    """The full import over each parser of the same run: what the issue's targets are about."""
    rows = []
    for case in (c for c in cases if c.kind == "import" and c.ok):
        r = ratios(case, cases)
        ours = _find(cases, "parse", case.format, case.size)
        bare = _find(cases, BARE[case.format], case.format, case.size)

        def cell(value: float | None) -> str:
            return f"{value:.2f}" if value is not None else "-"

        rows.append(
            [
                FORMAT_LABELS[case.format],
                _n(case.size),
                case.database,
                _n(case.rate),
                _n(ours.rate) if ours else "-",
                _n(bare.rate) if bare else "-",
                cell(r["parse"]),
                cell(r[BARE[case.format]]),
                cell(r["entrez_read"]),
                cell(_cpu_share(case.result.get("cpu_seconds"), ours)),
                cell(_cpu_share(case.result.get("server_cpu_seconds"), ours)),
                _n(case.result["peak_mb"]),
                targets(case, cases)[1],
            ]
        )
    headers = [
        "format",
        "records",
        "database",
        "full import /s",
        "our parser alone /s",
        "bare parser /s",
        "x our parser",
        "x bare parser",
        "x Entrez.read",
        "client CPU / parser's",
        "server CPU / parser's",
        "peak MB",
        "target met",
    ]
    return _table(headers, rows)


def memory_table(imports: list[Case]) -> list[str]:
    """Peak memory of each import at each size: flat means the same at 10k as at 100k."""
    sizes = sorted({c.size for c in imports})
    rows = []
    for fmt in FORMAT_LABELS:
        for database in ("sqlite", "postgres"):
            runs = {c.size: c for c in imports if c.format == fmt and c.database == database}
            if not runs:
                continue
            peaks = [_n(runs[s].result["peak_mb"]) if s in runs else "-" for s in sizes]
            small, large = runs[min(runs)], runs[max(runs)]
            growth = large.result["peak_mb"] / small.result["peak_mb"]
            rows.append([FORMAT_LABELS[fmt], database, *peaks, f"x{growth:.2f}"])
    headers = ["format", "database", *(f"peak MB at {_n(s)}" for s in sizes), "growth"]
    return _table(headers, rows)


def near_table(cases: list[Case]) -> list[str]:
    rows = []
    for case in cases:
        r = case.result
        if not case.ok or (case.kind != "near_pairs" and "propose_seconds" not in r):
            continue
        if case.kind == "near_pairs":
            what = (
                "`near_pairs` (half with PMID, 30% with DOI; "
                f"{r['planted_found']:,} of {r['planted']:,} planted pairs found)"
            )
            seconds, pairs, database = r["seconds"], r["pairs"], "-"
        else:
            what = (
                "`duplicate_candidates_propose` (the imported review, half of it stripped of "
                "PMID/DOI)"
            )
            seconds, pairs, database = r["propose_seconds"], r["propose_pairs"], case.database
        met = "yes" if seconds < NEAR_LIMIT_SECONDS else "no"
        rows.append(
            [
                what,
                _n(case.size),
                database,
                f"{seconds:.1f}",
                _n(pairs),
                f"< {NEAR_LIMIT_SECONDS} s",
                met,
            ]
        )
    headers = ["what", "items", "database", "seconds", "pairs proposed", "target", "met"]
    return _table(headers, rows) if rows else []


# The phase a parser's process reports instead of its thread's (bench/worker.py).
PROCESS_PARSE = "parse (its process, CPU)"


def phase_table(imports: list[Case]) -> list[str]:
    rows = []
    for case in imports:
        r, phases = case.result, case.result["phases"]
        rest = r["seconds"] - sum(phases.get(name, 0.0) for name in MAIN_PHASES)
        rows.append(
            [
                FORMAT_LABELS[case.format],
                _n(case.size),
                case.database,
                f"{phases.get(PROCESS_PARSE, phases.get('parse (its thread)', 0.0)):.1f}",
                *(f"{phases.get(name, 0.0):.1f}" for name in MAIN_PHASES),
                f"{rest:.1f}",
                f"{r['seconds']:.1f}",
                f"{r['cpu_seconds']:.1f}",
                f"{r['server_cpu_seconds']:.1f}" if r.get("server_cpu_seconds") else "-",
                _n(r["references_created"]),
                _n(r["duplicates"]),
                _n(r["baseline_mb"]),
                _n(r.get("before_propose_mb", 0)),
                _n(r.get("parser_process_peak_mb", 0)),
                _n(r["peak_mb"]),
            ]
        )
    headers = [
        "format",
        "records",
        "database",
        "parse (its thread, or its process's CPU)",
        *MAIN_PHASES,
        "rest",
        "total",
        "client CPU",
        "server CPU",
        "created",
        "duplicates",
        "MB at start",
        "MB before propose",
        "parser's process peak MB",
        "peak MB",
    ]
    return _table(headers, rows)


def markdown(
    cases: list[Case], files: dict, plans: dict, total_seconds: float, load_start: float
) -> str:
    imports = [c for c in cases if c.kind == "import" and c.ok]
    out = case_table(cases)
    if imports:
        out += ["", "The full import against the parsers of the same run, on the same file:", ""]
        out += ratio_table(cases)
        out += ["", "Peak memory (VmHWM) of each import:", ""]
        out += memory_table(imports)
    near = near_table(cases)
    if near:
        out += ["", "Near-duplicate detection alone:", "", *near]
    if imports:
        out += [
            "",
            "Where the full import's time goes (wall seconds). The parser runs beside the rest, on",
            "a thread of its own, or for a large file in a process of its own (then",
            "its CPU seconds are shown); the other columns are the import's own thread and add up",
            "to the total ('rest': keys, exact matching, the commit). 'Client CPU' is the import's",
            "CPU time, both threads and the parser's process; 'server CPU' its PostgreSQL",
            "backend's (read from /proc). 'Peak MB' adds the parser's process's peak.",
            "",
            *phase_table(imports),
        ]
    out += [
        "",
        "Generated files (real records repeated with new PMIDs, DOIs, titles, first authors",
        f"and years; {DUPLICATE_RATE:.0%} repeat an earlier PMID, {NEAR_RATE:.0%} carry an "
        "earlier title with a typo):",
        "",
    ]
    rows = []
    for (fmt, size), path in sorted(files.items()):
        plan = plans[(fmt, size)]
        nbytes = path.stat().st_size if path.exists() else plans[(fmt, size, "bytes")]
        rows.append(
            [
                FORMAT_LABELS[fmt],
                _n(size),
                f"{nbytes / 1e6:,.0f}",
                _n(nbytes / size),
                _n(plan.duplicates),
                _n(plan.near),
            ]
        )
    headers = ["format", "records", "MB", "bytes/record", "PMID repeats", "near-duplicate titles"]
    out += _table(headers, rows)
    out += [
        "",
        f"Total run time: {total_seconds / 60:.1f} min. Load average (1 min) at the start "
        f"{load_start:.2f}, at the end {os.getloadavg()[0]:.2f} (2 cores: other work on the "
        "machine slows every figure).",
    ]
    return "\n".join(out)
