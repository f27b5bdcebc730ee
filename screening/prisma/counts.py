"""The PRISMA 2020 flow diagram's numbers, read from the review's counters.

Every number comes from two small reads, whatever the size of the review: the records of each
search, and the screening items by stage, state, column (PRISMA's two columns: databases and
registers on the left, other methods on the right) and reason. Both are counters kept in the
transaction that changes what they count (screening/decisions/counters.py), which
`screening_state --check` counts again from the log. The boxes that count references are defined
once, in BOXES: the same definition gives the box's number and the filtered reference list it
links to (the list reads the items themselves).

The counting rules and invariants of docs/design.md are checked every time, pending terms included.
A count that does not reconcile is an error naming the references involved, and the diagram
is not drawn.

Field names are the `data` names of the PRISMA2020 R package's template (PRISMA.csv, shipped in
screening/prisma/data with its licence); the JSON uses them too.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.module_loading import import_string

from screening.constants import ItemState, SourceKind, Stage
from screening.models import Record, RecordCount, Review, ScreeningItem, StageCount

TEMPLATE = Path(__file__).resolve().parent / "data" / "PRISMA.csv"
DBR = (SourceKind.DATABASE, SourceKind.REGISTER)
TA, RETRIEVAL, FT = Stage.TITLE_ABSTRACT, Stage.RETRIEVAL, Stage.FULL_TEXT
PENDING = (ItemState.AWAITING, ItemState.AWAITING_SECOND, ItemState.CONFLICT)


@dataclass(frozen=True)
class Box:
    """The references a box counts: screening items at a stage, in some states, of a column."""

    stage: str
    states: tuple[str, ...]
    entry: str | None  # the column: title_abstract (databases and registers), retrieval
    # (other methods), or None for both
    label: str
    definition: str  # the tooltip

    def items(self, review: Review) -> QuerySet[ScreeningItem]:
        items = ScreeningItem.objects.in_review(review).filter(
            stage=self.stage, state__in=self.states
        )
        return items if self.entry is None else items.filter(entry=self.entry)


def _box(stage, states, entry, label, definition):
    return Box(stage, tuple(states), entry, label, definition)


BOXES: dict[str, Box] = {
    "excluded_automatic": _box(
        TA, [ItemState.AUTOMATED], TA, "Records marked as ineligible by automation tools",
        "References left unscreened when the team stopped title and abstract screening under "
        "the statistical stopping rule (review home, Stopping).",
    ),
    "excluded_other": _box(
        TA, [ItemState.REMOVED], TA, "Records removed for other reasons",
        "References removed before screening by a person, with a reason (outside the date "
        "range, language, retracted...).",
    ),
    "records_screened": _box(
        TA, [*PENDING, ItemState.INCLUDED, ItemState.EXCLUDED], TA, "Records screened",
        "References of database and register records that entered title and abstract "
        "screening: identified, less duplicates and records removed before screening.",
    ),
    "records_excluded": _box(
        TA, [ItemState.EXCLUDED], TA, "Records excluded",
        "References excluded at title and abstract, by agreement or by a resolver.",
    ),
    "screening_pending": _box(
        TA, PENDING, TA, "Records in screening",
        "References still waiting for a vote at title and abstract, or in conflict.",
    ),
    "dbr_sought_reports": _box(
        RETRIEVAL, [ItemState.AWAITING_RETRIEVAL, ItemState.RETRIEVED, ItemState.NOT_RETRIEVED],
        TA, "Reports sought for retrieval",
        "Full texts sought for the references included at title and abstract.",
    ),
    "dbr_notretrieved_reports": _box(
        RETRIEVAL, [ItemState.NOT_RETRIEVED], TA, "Reports not retrieved",
        "Full texts that could not be retrieved, each with its reason.",
    ),
    "dbr_retrieval_pending": _box(
        RETRIEVAL, [ItemState.AWAITING_RETRIEVAL], TA, "Reports being sought",
        "Full texts not yet retrieved nor given up.",
    ),
    "dbr_assessed": _box(
        FT, [*PENDING, ItemState.INCLUDED, ItemState.EXCLUDED], TA,
        "Reports assessed for eligibility", "Retrieved full texts screened for eligibility.",
    ),
    "dbr_excluded": _box(
        FT, [ItemState.EXCLUDED], TA, "Reports excluded",
        "Full texts excluded, each once, under its one final reason.",
    ),
    "dbr_assessment_pending": _box(
        FT, PENDING, TA, "Reports being assessed",
        "Full texts still waiting for a vote, or in conflict.",
    ),
    "dbr_included": _box(
        FT, [ItemState.INCLUDED], TA, "Reports included (databases and registers)",
        "Full texts found through databases and registers and included.",
    ),
    "other_sought_reports": _box(
        RETRIEVAL, [ItemState.AWAITING_RETRIEVAL, ItemState.RETRIEVED, ItemState.NOT_RETRIEVED],
        RETRIEVAL, "Reports sought for retrieval",
        "Full texts sought for references found only by other methods (a reference that a "
        "database record found too is counted on the left, not sought twice).",
    ),
    "other_notretrieved_reports": _box(
        RETRIEVAL, [ItemState.NOT_RETRIEVED], RETRIEVAL, "Reports not retrieved",
        "Full texts found by other methods that could not be retrieved.",
    ),
    "other_retrieval_pending": _box(
        RETRIEVAL, [ItemState.AWAITING_RETRIEVAL], RETRIEVAL, "Reports being sought",
        "Full texts found by other methods not yet retrieved nor given up.",
    ),
    "other_assessed": _box(
        FT, [*PENDING, ItemState.INCLUDED, ItemState.EXCLUDED], RETRIEVAL,
        "Reports assessed for eligibility",
        "Retrieved full texts found by other methods, screened for eligibility.",
    ),
    "other_excluded": _box(
        FT, [ItemState.EXCLUDED], RETRIEVAL, "Reports excluded",
        "Full texts found by other methods and excluded, each under its final reason.",
    ),
    "other_assessment_pending": _box(
        FT, PENDING, RETRIEVAL, "Reports being assessed",
        "Full texts found by other methods still waiting for a vote, or in conflict.",
    ),
    "other_included": _box(
        FT, [ItemState.INCLUDED], RETRIEVAL, "Reports included (other methods)",
        "Full texts found by other methods and included.",
    ),
    "new_reports": _box(
        FT, [ItemState.INCLUDED], None, "Reports of included studies",
        "Every report included at full text, found by either column. Until reports are "
        "grouped into studies, each report counts as a study of its own.",
    ),
}  # fmt: skip
# Boxes whose number is the sum over their reasons, or another box's: not set by name.
DERIVED = {"dbr_excluded", "other_excluded", "new_reports"}


def studies_count(review: Review, included_reports: int) -> int:
    """The studies the included reports describe. The app that groups reports into studies
    (extraction, a layer above this one) is named by the PRISMA_STUDIES_COUNTER setting and
    told how many reports are included; it counts a report that is not yet in a study as a
    study of its own. Without it, each report is a study."""
    counter = getattr(settings, "PRISMA_STUDIES_COUNTER", "")
    if not counter or not included_reports:
        return included_reports
    return import_string(counter)(review, included_reports=included_reports)


def box_references(review: Review, name: str, reason_id: int | None = None):
    """The references a box counts (for its link): a filter on a reference queryset."""
    items = BOXES[name].items(review).filter(reference=OuterRef("pk"))
    if reason_id is not None:
        items = items.filter(reason_id=reason_id)
    return Exists(items)


@dataclass
class Reason:
    reason: str
    n: int
    reason_id: int | None = None


@dataclass
class PrismaReport:
    """The numbers of the diagram (PRISMA.csv's names), the pending ones, and any error."""

    database_results: int = 0
    database_specific_results: list[tuple[str, int]] = field(default_factory=list)
    register_results: int = 0
    register_specific_results: list[tuple[str, int]] = field(default_factory=list)
    website_results: int = 0
    organisation_results: int = 0
    citations_results: int = 0
    duplicates: int = 0
    excluded_automatic: int = 0
    excluded_other: int = 0
    records_screened: int = 0
    records_excluded: int = 0
    dbr_sought_reports: int = 0
    dbr_notretrieved_reports: int = 0
    dbr_assessed: int = 0
    dbr_excluded: list[Reason] = field(default_factory=list)
    other_sought_reports: int = 0
    other_notretrieved_reports: int = 0
    other_assessed: int = 0
    other_excluded: list[Reason] = field(default_factory=list)
    new_studies: int = 0
    new_reports: int = 0
    total_studies: int = 0
    total_reports: int = 0
    previous_studies: int | None = None  # typed in by a person, for an updated review
    previous_reports: int | None = None
    # Pending terms: a review in progress draws them as "in progress".
    screening_pending: int = 0
    dbr_retrieval_pending: int = 0
    dbr_assessment_pending: int = 0
    other_retrieval_pending: int = 0
    other_assessment_pending: int = 0
    dbr_included: int = 0
    other_included: int = 0
    errors: list[Discrepancy] = field(default_factory=list)

    @property
    def in_progress(self) -> bool:
        return any(
            getattr(self, name)
            for name in (
                "screening_pending",
                "dbr_retrieval_pending",
                "dbr_assessment_pending",
                "other_retrieval_pending",
                "other_assessment_pending",
            )
        )

    @property
    def uses_other_methods(self) -> bool:
        return bool(
            self.website_results
            or self.organisation_results
            or self.citations_results
            or self.other_sought_reports
        )

    @property
    def identified_dbr(self) -> int:
        return self.database_results + self.register_results

    def excluded_total(self, column: str) -> int:
        reasons = self.dbr_excluded if column == "dbr" else self.other_excluded
        return sum(r.n for r in reasons)


@dataclass
class Discrepancy:
    """A PRISMA equation that does not hold: the sentence, both sides, the references."""

    rule: str
    left: int
    right: int
    references: list[int] = field(default_factory=list)


def prisma_report(review: Review) -> PrismaReport:
    """The review's PRISMA numbers, from the counters in two queries (three with studies) at
    any size, checked against PRISMA's arithmetic."""
    report = PrismaReport(
        previous_studies=review.previous_studies, previous_reports=review.previous_reports
    )
    per_source = defaultdict(Counter)
    for kind, name, n in (
        RecordCount.objects.in_review(review)
        .filter(n__gt=0)
        .values_list("search__source__kind", "search__source__name", "n")
    ):
        per_source[kind][name] += n
    report.database_specific_results = sorted(per_source[SourceKind.DATABASE].items())
    report.register_specific_results = sorted(per_source[SourceKind.REGISTER].items())
    report.database_results = sum(per_source[SourceKind.DATABASE].values())
    report.register_results = sum(per_source[SourceKind.REGISTER].values())
    report.website_results = sum(per_source[SourceKind.WEBSITE].values())
    report.organisation_results = sum(per_source[SourceKind.ORGANISATION].values())
    report.citations_results = sum(per_source[SourceKind.CITATION].values())

    states: Counter = Counter()
    excluded_reports = []  # (column, position, label, reason id, n)
    for stage, state, entry, reason_id, label, position, n in (
        StageCount.objects.in_review(review)
        .filter(n__gt=0)
        .values_list(
            "stage", "state", "entry", "reason_id", "reason__label", "reason__position", "n"
        )
    ):
        states[(stage, state, entry)] += n
        if stage == FT and state == ItemState.EXCLUDED:
            excluded_reports.append((entry, position, label, reason_id, n))
    # A reference with a database or register record is at title and abstract, once.
    dbr_references = sum(n for (stage, _, entry), n in states.items() if stage == entry == TA)
    report.duplicates = report.identified_dbr - dbr_references
    for name, box in BOXES.items():
        if name in DERIVED:
            continue
        setattr(report, name, sum(states[(box.stage, s, box.entry)] for s in box.states))
    # The review's order of reasons; an exclusion without one last.
    excluded_reports.sort(key=lambda r: (r[1] is None, r[1] or 0, r[2] or ""))
    for entry, _, label, reason_id, n in excluded_reports:
        target = report.dbr_excluded if entry == TA else report.other_excluded
        target.append(Reason(label or "No reason recorded", n, reason_id))

    report.new_reports = report.dbr_included + report.other_included
    report.new_studies = studies_count(review, report.new_reports)
    report.total_studies = report.new_studies + (report.previous_studies or 0)
    report.total_reports = report.new_reports + (report.previous_reports or 0)
    report.errors = _check(review, report, dbr_references)
    return report


def _check(review: Review, r: PrismaReport, dbr_references: int) -> list[Discrepancy]:
    """The invariants of docs/design.md, per column, pending terms included."""
    title_abstract_items = r.records_screened + r.excluded_other + r.excluded_automatic
    rules = [
        (
            "references of database and register records = references at title and abstract "
            "(identified - duplicates - removed before screening = screened)",
            dbr_references,
            title_abstract_items,
            "dbr_references",
        ),
        (
            "records screened = records excluded + reports sought + in screening",
            r.records_screened,
            r.records_excluded + r.dbr_sought_reports + r.screening_pending,
            "screened",
        ),
        (
            "reports sought = not retrieved + assessed + being sought (databases and registers)",
            r.dbr_sought_reports,
            r.dbr_notretrieved_reports + r.dbr_assessed + r.dbr_retrieval_pending,
            "dbr_sought",
        ),
        (
            "reports assessed = excluded + included + being assessed (databases and registers)",
            r.dbr_assessed,
            r.excluded_total("dbr") + r.dbr_included + r.dbr_assessment_pending,
            "dbr_assessed",
        ),
        (
            "reports sought = not retrieved + assessed + being sought (other methods)",
            r.other_sought_reports,
            r.other_notretrieved_reports + r.other_assessed + r.other_retrieval_pending,
            "other_sought",
        ),
        (
            "reports assessed = excluded + included + being assessed (other methods)",
            r.other_assessed,
            r.excluded_total("other") + r.other_included + r.other_assessment_pending,
            "other_assessed",
        ),
    ]
    errors = []
    for rule, left, right, key in rules:
        if left != right:
            errors.append(Discrepancy(rule, left, right, _involved(review, key)))
    return errors


def _involved(review: Review, key: str) -> list[int]:
    """The references on one side of a broken equation and not on the other (at most 200)."""
    items = ScreeningItem.objects.in_review(review)

    def refs(queryset) -> set[int]:
        return set(queryset.values_list("reference_id", flat=True))

    if key == "dbr_references":
        left = refs(Record.objects.in_review(review).filter(search__source__kind__in=DBR))
        right = refs(items.filter(stage=TA))
    elif key == "screened":  # those included at screening are the ones sought
        left = refs(items.filter(stage=TA, state=ItemState.INCLUDED))
        right = refs(items.filter(stage=RETRIEVAL, entry=TA))
    elif key in ("dbr_sought", "other_sought"):  # those retrieved are the ones assessed
        entry = TA if key == "dbr_sought" else RETRIEVAL
        left = refs(items.filter(stage=RETRIEVAL, entry=entry, state=ItemState.RETRIEVED))
        right = refs(items.filter(stage=FT, entry=entry))
    else:  # assessed: a full-text item in a state the equation does not count
        entry = TA if key == "dbr_assessed" else RETRIEVAL
        left = refs(items.filter(stage=FT, entry=entry))
        right = refs(BOXES[f"{key.split('_')[0]}_assessed"].items(review))
    return sorted(left ^ right)[:200]


# --- Output ------------------------------------------------------------------------------------


def _reasons(reasons: list[Reason]) -> list[dict]:
    return [{"reason": r.reason, "n": r.n} for r in reasons]


def as_json(report: PrismaReport) -> dict:
    """One flat object: PRISMA.csv's data names; the reasons as lists; pending terms under
    keys of their own; errors, if any."""
    return {
        "database_results": report.database_results,
        "database_specific_results": [
            {"source": name, "n": n} for name, n in report.database_specific_results
        ],
        "register_results": report.register_results,
        "register_specific_results": [
            {"source": name, "n": n} for name, n in report.register_specific_results
        ],
        "website_results": report.website_results,
        "organisation_results": report.organisation_results,
        "citations_results": report.citations_results,
        "duplicates": report.duplicates,
        "excluded_automatic": report.excluded_automatic,
        "excluded_other": report.excluded_other,
        "records_screened": report.records_screened,
        "records_excluded": report.records_excluded,
        "dbr_sought_reports": report.dbr_sought_reports,
        "dbr_notretrieved_reports": report.dbr_notretrieved_reports,
        "dbr_assessed": report.dbr_assessed,
        "dbr_excluded": _reasons(report.dbr_excluded),
        "other_sought_reports": report.other_sought_reports,
        "other_notretrieved_reports": report.other_notretrieved_reports,
        "other_assessed": report.other_assessed,
        "other_excluded": _reasons(report.other_excluded),
        "new_studies": report.new_studies,
        "new_reports": report.new_reports,
        "total_studies": report.total_studies,
        "total_reports": report.total_reports,
        "previous_studies": report.previous_studies,
        "previous_reports": report.previous_reports,
        "pending": {
            "screening": report.screening_pending,
            "dbr_retrieval": report.dbr_retrieval_pending,
            "dbr_assessment": report.dbr_assessment_pending,
            "other_retrieval": report.other_retrieval_pending,
            "other_assessment": report.other_assessment_pending,
        },
        "in_progress": report.in_progress,
        "errors": [
            {"rule": e.rule, "left": e.left, "right": e.right, "references": e.references}
            for e in report.errors
        ],
    }


def _listed(pairs) -> str:
    """PRISMA.csv's form for lists: "Name, n; Name, n"."""
    return "; ".join(f"{name}, {n}" for name, n in pairs)


def csv_text(report: PrismaReport) -> str:
    """PRISMA.csv, the PRISMA2020 package's template, with its `n` column filled in: the same
    rows and columns, loadable in the PRISMA2020 Shiny app."""
    values = {
        **{
            key: value
            for key, value in as_json(report).items()
            if isinstance(value, int) and not isinstance(value, bool)
        },
        "database_specific_results": _listed(report.database_specific_results),
        "register_specific_results": _listed(report.register_specific_results),
        "dbr_excluded": _listed((r.reason, r.n) for r in report.dbr_excluded),
        "other_excluded": _listed((r.reason, r.n) for r in report.other_excluded),
        "previous_studies": report.previous_studies or 0,
        "previous_reports": report.previous_reports or 0,
    }
    with TEMPLATE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    data, n = header.index("data"), header.index("n")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in body:
        if row[data] in values:
            row = [*row]
            row[n] = str(values[row[data]])
        writer.writerow(row)
    return out.getvalue()
