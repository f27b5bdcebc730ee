"""Reads for the search appendix and the PRISMA-S checklist: a review's searches in the order a
report lists them (databases, registers, websites, organisations, citation searching), each
with its label (S1, S2...) and runs, and what deduplication did."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch

from screening.constants import CandidateStatus, DuplicateRule, SearchMethod, SourceKind
from screening.models import DuplicateCandidate, Record, Review, Search, SearchRun

KIND_ORDER = [
    SourceKind.DATABASE,
    SourceKind.REGISTER,
    SourceKind.WEBSITE,
    SourceKind.ORGANISATION,
    SourceKind.CITATION,
]


@dataclass
class Entry:
    """One search as the appendix lists it."""

    label: str
    search: Search
    runs: list[SearchRun] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.search.source.kind

    @property
    def name(self) -> str:
        """ "S2 (Embase)": how a sentence of the checklist points at a search."""
        return f"{self.label} ({self.search.source.name})"

    @property
    def is_pmid_list(self) -> bool:
        """A list of known PMIDs: a way of finding records, with no strategy to report."""
        return self.search.method == SearchMethod.PUBMED_PMIDS

    @property
    def last_run(self) -> SearchRun | None:
        return self.runs[-1] if self.runs else None


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def search_entries(review: Review) -> list[Entry]:
    """Every search of the review, labelled in report order."""
    runs = (
        SearchRun.objects.select_related("run_by")
        .defer("pmids", "added", "returned_again", "unknown", "stats")
        .order_by("number")
    )
    searches = (
        Search.objects.in_review(review)
        .select_related("source", "run_by")
        .defer("unreadable_entries")
        .prefetch_related(Prefetch("runs", queryset=runs))
    )
    ordered = sorted(
        searches,
        key=lambda s: (_kind_rank(s.source.kind), s.source.name.lower(), s.run_at, s.pk),
    )
    return [
        Entry(label=f"S{n}", search=search, runs=list(search.runs.all()))
        for n, search in enumerate(ordered, start=1)
    ]


@dataclass
class Deduplication:
    """What deduplication did in the review: duplicate records by the rule that found them, and
    the near-duplicate pairs proposed, by what a person made of them."""

    records: int = 0
    duplicates: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)  # label -> records
    pairs: dict[str, int] = field(default_factory=dict)  # status label -> pairs


def deduplication(review: Review) -> Deduplication:
    records = Record.objects.in_review(review).order_by()
    rules = dict(
        records.duplicates().values_list("duplicate_rule").annotate(n=Count("id")).order_by()
    )
    statuses = dict(
        DuplicateCandidate.objects.in_review(review)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    return Deduplication(
        records=records.count(),
        duplicates=sum(rules.values()),
        by_rule={str(rule.label): rules[rule] for rule in DuplicateRule if rules.get(rule)},
        pairs={str(s.label): statuses[s] for s in CandidateStatus if statuses.get(s)},
    )
