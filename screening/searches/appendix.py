"""The search appendix of a review, as PRISMA 2020 items 6-7 and PRISMA-S ask: every search with
its database and platform, the date searched and by whom, the full strategy exactly as run, its
limits and notes, and its counts (records, duplicates, and each run of a PubMed search); then
the PRISMA-S checklist filled in from them. Built once (`appendix_build`), written as Markdown
here and as DOCX in word.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from screening.models import Review
from screening.searches.prisma_s import (
    ChecklistItem,
    checklist_build,
    checklist_data,
    still_missing,
)
from screening.searches.selectors import Deduplication, Entry, deduplication, search_entries

NOT_GIVEN = "not given"


@dataclass
class Appendix:
    review: Review
    entries: list[Entry]
    dedup: Deduplication
    checklist: list[ChecklistItem]
    generated_at: datetime

    @property
    def missing(self) -> list[str]:
        return still_missing(self.checklist)

    @property
    def total_records(self) -> int:
        return sum(entry.search.records_count for entry in self.entries)

    @property
    def total_duplicates(self) -> int:
        return sum(entry.search.duplicates for entry in self.entries)


def appendix_build(review: Review) -> Appendix:
    entries = search_entries(review)
    dedup = deduplication(review)
    return Appendix(
        review=review,
        entries=entries,
        dedup=dedup,
        checklist=checklist_build(entries, dedup),
        generated_at=timezone.localtime(),
    )


# --- What each search says, as the Markdown, the DOCX and the page show it -------------------


def date_searched(entry: Entry) -> str:
    return f"{entry.search.searched_on:%d %b %Y}" if entry.search.searched_on else NOT_GIVEN


def how(entry: Entry) -> str:
    """How the records came: a file (its name, format, checksum) or a PubMed search."""
    search = entry.search
    if search.file_name:
        return (
            f"{search.get_method_display()}: {search.file_name} "
            f"({search.get_file_format_display()}, sha256 {search.file_sha256[:16]}…)"
        )
    return search.get_method_display()


def fields(entry: Entry) -> list[tuple[str, str]]:
    """(label, value) of a search's documentation and counts, in the appendix's order."""
    search = entry.search
    rows = [
        ("Database or source", f"{search.source.name} ({search.source.get_kind_display()})"),
        ("Platform or interface", search.platform or NOT_GIVEN),
        ("Date searched", date_searched(entry)),
        ("Searched by", search.searched_by or NOT_GIVEN),
        ("How the records came", how(entry)),
        ("Limits and filters", search.limits or NOT_GIVEN),
        (
            "Records",
            f"{search.records_count:,} ({search.references_created:,} new references, "
            f"{search.duplicates:,} duplicates; {search.unreadable:,} entries unreadable)",
        ),
    ]
    if search.result_count is not None:
        rows.append(("Found by PubMed at the latest run", f"{search.result_count:,}"))
    if search.notes:
        rows.append(("Notes", search.notes))
    return rows


RUN_COLUMNS = ["Run", "Date", "By", "Found", "New records", "Duplicates", "Dropped"]


def run_rows(entry: Entry) -> list[list[str]]:
    """A PubMed search's runs: what PubMed found each time, and what each run added."""
    return [
        [
            str(run.number) + (" (scheduled)" if run.scheduled else ""),
            f"{timezone.localtime(run.run_at):%d %b %Y %H:%M}",
            run.run_by.get_username() if run.run_by else "",
            f"{run.result_count:,}",
            f"{run.records_count:,}",
            f"{run.duplicates:,}",
            f"{len(run.dropped):,}",
        ]
        for run in entry.runs
    ]


SUMMARY_COLUMNS = ["Search", "Source", "Kind", "Platform", "Date searched", "Records", "Duplicates"]


def summary_rows(appendix: Appendix) -> list[list[str]]:
    rows = [
        [
            entry.label,
            entry.search.source.name,
            entry.search.source.get_kind_display(),
            entry.search.platform or NOT_GIVEN,
            date_searched(entry),
            f"{entry.search.records_count:,}",
            f"{entry.search.duplicates:,}",
        ]
        for entry in appendix.entries
    ]
    rows.append(
        ["All", "", "", "", "", f"{appendix.total_records:,}", f"{appendix.total_duplicates:,}"]
    )
    return rows


def deduplication_text(appendix: Appendix) -> list[str]:
    """Item 16's sentences, for the appendix's own section."""
    return next(item.reported for item in appendix.checklist if item.number == 16)


def citation_text() -> str:
    data = checklist_data()
    licence = f"Licence: {data['licence']}. {data['attribution']}"
    return f"{data['citation']} doi:{data['doi']}. {licence}"


# --- Markdown ------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return lines


def _fence(text: str) -> list[str]:
    """A code block that holds the text exactly, whatever backticks it has."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", text.rstrip("\n"), fence]


def _search_markdown(entry: Entry) -> list[str]:
    lines = [f"### {entry.label}. {entry.search.source.name}: {_cell(str(entry.search))}", ""]
    for label, value in fields(entry):
        value = value.strip().replace("\n", "\n  ")
        lines.append(f"- **{label}:** {value}")
    lines += ["", "Strategy, exactly as run:", ""]
    lines += _fence(entry.search.strategy) if entry.search.strategy else [f"_{NOT_GIVEN}_"]
    if entry.search.query_translation:
        lines += ["", "PubMed's translation of the query at its latest run:", ""]
        lines += _fence(entry.search.query_translation)
    if entry.runs:
        lines += ["", *_table(RUN_COLUMNS, run_rows(entry))]
    return [*lines, ""]


def checklist_markdown(appendix: Appendix) -> list[str]:
    lines = ["## PRISMA-S checklist", ""]
    rows = [
        [
            str(item.number),
            item.topic,
            item.text,
            item.status_label,
            "; ".join(item.reported),
            item.where,
            "; ".join(item.missing),
        ]
        for item in appendix.checklist
    ]
    columns = ["#", "Item", "Checklist item", "Status", "What the searches report", "Where"]
    lines += _table([*columns, "Missing"], rows)
    lines += ["", "### Still missing", ""]
    lines += [f"- {gap}" for gap in appendix.missing] or ["- Nothing: every item is reported."]
    return [*lines, "", f"_{citation_text()}_", ""]


def appendix_markdown(appendix: Appendix) -> str:
    review = appendix.review
    lines = [
        f"# Search appendix: {review.title}",
        "",
        f"Review `{review.slug}`; {len(appendix.entries)} searches, "
        f"{appendix.total_records:,} records. Written {appendix.generated_at:%d %b %Y %H:%M} "
        "from the review's searches, as PRISMA 2020 (items 6, 7 and 16) and PRISMA-S ask.",
        "",
        "## Searches",
        "",
        *_table(SUMMARY_COLUMNS, summary_rows(appendix)),
        "",
    ]
    for entry in appendix.entries:
        lines += _search_markdown(entry)
    lines += ["## Deduplication", ""]
    lines += [f"- {sentence}." for sentence in deduplication_text(appendix)]
    lines += ["", *checklist_markdown(appendix)]
    return "\n".join(lines)
