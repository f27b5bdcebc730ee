"""The PRISMA-S checklist (Rethlefsen et al. 2021, Systematic Reviews 10:39; CC BY 4.0), filled in
from the review's searches: for each of the 16 items, what the searches report, where the
search appendix shows it, and what is still missing ("1 of 3 searches gives no date").

The item texts are data (data/prisma_s.json, with the citation and licence); the rules that
read the searches are here, one function per item."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from screening.constants import SourceKind
from screening.searches.selectors import Deduplication, Entry

DATA = Path(__file__).resolve().parent / "data" / "prisma_s.json"

REPORTED, PARTLY, MISSING, NONE = "reported", "partly", "missing", "none"
STATUS_LABELS = {
    REPORTED: "Reported",
    PARTLY: "Partly reported",
    MISSING: "Missing",
    NONE: "None recorded",
}
LISTED = 8  # searches named in one sentence before "and N more"
SEARCHES = ("search", "searches")
DATABASE_SEARCHES = ("database search", "database searches")


@cache
def checklist_data() -> dict:
    """The checklist as published: its citation, licence and the 16 items."""
    return json.loads(DATA.read_text(encoding="utf-8"))


@dataclass
class Finding:
    """What the review's searches say for one item."""

    status: str
    reported: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    where: str = ""


@dataclass
class ChecklistItem:
    number: int
    section: str
    topic: str
    text: str
    status: str
    reported: list[str]
    missing: list[str]
    where: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def _names(entries: list[Entry]) -> str:
    shown = ", ".join(entry.name for entry in entries[:LISTED])
    more = len(entries) - LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _lacking(lacking: list[Entry], among: list[Entry], nouns: tuple[str, str], says: str) -> str:
    """ "2 of 5 searches give no date: S2 (Embase), S4 (CINAHL)": `nouns` singular and plural,
    `says` what one that lacks it does ("gives no date")."""
    verb, rest = says.split(" ", 1)
    if len(lacking) == 1 == len(among):
        head = f"the {nouns[0]} {says}"
    elif len(lacking) == len(among):
        head = f"all {len(among)} {nouns[1]} {verb[:-1]} {rest}"
    else:
        verb = verb if len(lacking) == 1 else verb[:-1]
        head = f"{len(lacking)} of {len(among)} {nouns[1]} {verb} {rest}"
    return f"{head}: {_names(lacking)}"


def _status(lacking: list, among: list) -> str:
    if not lacking:
        return REPORTED
    return MISSING if len(lacking) == len(among) else PARTLY


def _of_kind(entries: list[Entry], kind: str) -> list[Entry]:
    return [e for e in entries if e.kind == kind]


def _first_line(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def item_database_name(entries: list[Entry], dedup: Deduplication) -> Finding:
    databases = _of_kind(entries, SourceKind.DATABASE)
    if not databases:
        return Finding(NONE, ["No database search is recorded."])
    reported = [f"{e.name}: {e.search.platform or 'no platform given'}" for e in databases]
    lacking = [e for e in databases if not e.search.platform]
    missing = [_lacking(lacking, databases, DATABASE_SEARCHES, "gives no platform")]
    return Finding(_status(lacking, databases), reported, missing if lacking else [])


def item_multi_database(entries: list[Entry], dedup: Deduplication) -> Finding:
    databases = [e for e in _of_kind(entries, SourceKind.DATABASE) if e.search.platform]
    by_platform: dict[str, set[str]] = {}
    for e in databases:
        by_platform.setdefault(e.search.platform.strip(), set()).add(e.search.source.name)
    shared = {p: names for p, names in by_platform.items() if len(names) > 1}
    if not shared:
        return Finding(NONE, ["No platform is given for more than one database."])
    reported = [f"{p}: {', '.join(sorted(names))}" for p, names in sorted(shared.items())]
    return Finding(REPORTED, reported)


def _sources_item(kind: str, nothing: str, nouns: tuple[str, str]) -> Callable:
    """Items 3 to 6: the sources of one kind, and how each was searched (strategy or notes)."""

    def item(entries: list[Entry], dedup: Deduplication) -> Finding:
        found = _of_kind(entries, kind)
        if not found:
            return Finding(NONE, [nothing])
        reported = [
            f"{e.name}: {_first_line(e.search.strategy or e.search.notes) or 'how is not said'}"
            for e in found
        ]
        if kind == SourceKind.REGISTER:
            return Finding(REPORTED, reported)
        lacking = [e for e in found if not (e.search.strategy or e.search.notes)]
        missing = [_lacking(lacking, found, nouns, "says nothing of how it was done")]
        return Finding(_status(lacking, found), reported, missing if lacking else [])

    return item


def item_other_methods(entries: list[Entry], dedup: Deduplication) -> Finding:
    lists = [e for e in entries if e.is_pmid_list]
    if not lists:
        return Finding(NONE, ["No other method is recorded."])
    reported = [
        f"{e.name}: a list of known PMIDs fetched from PubMed ({e.search.records_count} records)"
        for e in lists
    ]
    return Finding(REPORTED, reported)


def _searches(entries: list[Entry]) -> list[Entry]:
    """The searches a strategy, its limits and its date are asked of (not a PMID list)."""
    return [e for e in entries if not e.is_pmid_list]


def item_full_strategies(entries: list[Entry], dedup: Deduplication) -> Finding:
    searches = _searches(entries)
    if not searches:
        return Finding(MISSING, missing=["no search is recorded yet"])
    given = [e for e in searches if e.search.strategy]
    lacking = [e for e in searches if not e.search.strategy]
    reported = [f"Strategy given, exactly as run: {_names(given)}"] if given else []
    missing = [_lacking(lacking, searches, SEARCHES, "gives no strategy")]
    return Finding(_status(lacking, searches), reported, missing if lacking else [])


def item_limits(entries: list[Entry], dedup: Deduplication) -> Finding:
    searches = _searches(entries)
    if not searches:
        return Finding(MISSING, missing=["no search is recorded yet"])
    reported = [f"{e.name}: {e.search.limits.strip()}" for e in searches if e.search.limits]
    lacking = [e for e in searches if not e.search.limits.strip()]
    missing = [_lacking(lacking, searches, SEARCHES, "says nothing of limits (write 'None')")]
    return Finding(_status(lacking, searches), reported, missing if lacking else [])


def _mentions(pattern: re.Pattern, missing: str, places: tuple[str, ...]) -> Callable:
    """Items 10, 11 and 14, which only the people who searched know: the searches whose limits
    or notes (`places`) speak of it."""

    def item(entries: list[Entry], dedup: Deduplication) -> Finding:
        reported = []
        for e in entries:
            for name in places:
                text = getattr(e.search, name)
                for line in text.splitlines():
                    if pattern.search(line):
                        reported.append(f"{e.name}, {name}: {_first_line(line)}")
        if not reported:
            return Finding(MISSING, missing=[missing])
        return Finding(REPORTED, reported)

    return item


def item_updates(entries: list[Entry], dedup: Deduplication) -> Finding:
    reported = []
    for e in entries:
        rerun = (
            f"; re-run every {e.search.rerun_every_days} days" if e.search.rerun_every_days else ""
        )
        if len(e.runs) > 1 or rerun:
            last = e.last_run.run_at if e.last_run else e.search.run_at
            reported.append(f"{e.name}: run {len(e.runs)} times, last on {last:%d %b %Y}{rerun}")
    if not reported:
        return Finding(NONE, ["No search was re-run: each was run once."])
    return Finding(REPORTED, reported)


def item_dates(entries: list[Entry], dedup: Deduplication) -> Finding:
    searches = _searches(entries)
    if not searches:
        return Finding(MISSING, missing=["no search is recorded yet"])
    reported = [
        f"{e.name}: {e.search.searched_on:%d %b %Y}" for e in searches if e.search.searched_on
    ]
    lacking = [e for e in searches if not e.search.searched_on]
    missing = [_lacking(lacking, searches, SEARCHES, "gives no date")]
    return Finding(_status(lacking, searches), reported, missing if lacking else [])


def item_total_records(entries: list[Entry], dedup: Deduplication) -> Finding:
    if not entries:
        return Finding(MISSING, missing=["no search is recorded yet"])
    by_source: dict[str, list[Entry]] = {}
    for e in entries:
        by_source.setdefault(e.search.source.name, []).append(e)
    reported = [
        f"{name}: {sum(e.search.records_count for e in found):,} records "
        f"({', '.join(e.label for e in found)})"
        for name, found in by_source.items()
    ]
    total = sum(e.search.records_count for e in entries)
    reported.append(f"In all: {total:,} records from {len(entries)} searches")
    return Finding(REPORTED, reported)


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:]


def item_deduplication(entries: list[Entry], dedup: Deduplication) -> Finding:
    if not entries:
        return Finding(MISSING, missing=["no search is recorded yet"])
    rules = ", ".join(f"{_lower_first(label)}: {n:,}" for label, n in dedup.by_rule.items())
    pairs = ", ".join(f"{_lower_first(label)}: {n:,}" for label, n in dedup.pairs.items())
    reported = [
        "On import, this screening tool took a record for a duplicate when its PMID, DOI, or "
        "title with year and first author matched a reference already in the review, and "
        f"attached it to that reference: {dedup.duplicates:,} of {dedup.records:,} records"
        + (f" ({rules})" if rules else ""),
        "It proposed pairs of similar titles as near duplicates, each merged or rejected by a "
        "person" + (f" ({pairs})" if pairs else ": none proposed"),
    ]
    return Finding(REPORTED, reported)


def _item(finding: Callable, where: str) -> tuple[Callable, str]:
    return finding, where


APPENDIX = "Search appendix"
RULES: dict[int, tuple[Callable, str]] = {
    1: _item(item_database_name, f"{APPENDIX}: summary table and each search's platform"),
    2: _item(item_multi_database, f"{APPENDIX}: each search's platform"),
    3: _item(
        _sources_item(SourceKind.REGISTER, "No study register search is recorded.", SEARCHES),
        f"{APPENDIX}: summary table (kind Register)",
    ),
    4: _item(
        _sources_item(
            SourceKind.WEBSITE,
            "No website search is recorded.",
            ("website search", "website searches"),
        ),
        f"{APPENDIX}: the website searches' strategy and notes",
    ),
    5: _item(
        _sources_item(
            SourceKind.CITATION,
            "No citation searching is recorded.",
            ("citation search", "citation searches"),
        ),
        f"{APPENDIX}: the citation searches' strategy and notes",
    ),
    6: _item(
        _sources_item(
            SourceKind.ORGANISATION,
            "No contact with authors, experts, manufacturers or others is recorded (a source of "
            "kind Organisation).",
            ("organisation source", "organisation sources"),
        ),
        f"{APPENDIX}: the organisation sources' notes",
    ),
    7: _item(item_other_methods, f"{APPENDIX}: summary table"),
    8: _item(item_full_strategies, f"{APPENDIX}: each search's strategy, exactly as run"),
    9: _item(item_limits, f"{APPENDIX}: each search's limits and filters"),
    10: _item(
        _mentions(
            re.compile(r"filter", re.IGNORECASE),
            "no search says whether a published search filter was used (say so, citing it, in "
            "its limits or notes)",
            ("limits", "notes"),
        ),
        f"{APPENDIX}: limits and notes",
    ),
    11: _item(
        _mentions(
            re.compile(r"adapted|re-?used|prior work|previous review|earlier review", re.I),
            "no search says whether its strategy was adapted from another review (say so, "
            "citing it, in its notes)",
            ("notes",),
        ),
        f"{APPENDIX}: notes",
    ),
    12: _item(item_updates, f"{APPENDIX}: each PubMed search's runs"),
    13: _item(item_dates, f"{APPENDIX}: each search's date searched"),
    14: _item(
        _mentions(
            re.compile(r"peer[- ]review|\bPRESS\b"),
            "no search says whether its strategy was peer reviewed (PRESS, or none; say so in "
            "its notes)",
            ("notes",),
        ),
        f"{APPENDIX}: notes",
    ),
    15: _item(item_total_records, f"{APPENDIX}: summary table (records per search)"),
    16: _item(item_deduplication, f"{APPENDIX}: deduplication"),
}


def checklist_build(entries: list[Entry], dedup: Deduplication) -> list[ChecklistItem]:
    """The 16 items, each with what the review's searches report."""
    items = []
    for data in checklist_data()["items"]:
        rule, where = RULES[data["number"]]
        finding = rule(entries, dedup)
        items.append(
            ChecklistItem(
                number=data["number"],
                section=data["section"],
                topic=data["topic"],
                text=data["text"],
                status=finding.status,
                reported=finding.reported,
                missing=finding.missing,
                where=where if finding.status in (REPORTED, PARTLY) else "",
            )
        )
    return items


def still_missing(items: Iterable[ChecklistItem]) -> list[str]:
    """One sentence per gap: "Item 13: 3 of 5 searches give no date: ..."."""
    return [f"Item {item.number}: {gap}" for item in items for gap in item.missing]
