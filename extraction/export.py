"""The review's extracted data as one long table, for a spreadsheet, R or a meta-analysis tool.

One row per arm result (a study x arm x outcome) and one per between-arm comparison, the
`row_kind` column saying which; each row names the report its numbers came from (citation,
PMID, DOI, page, quote). Studies come in name order, then each outcome's arm results (in arm
order) followed by its comparisons.

    csv_text(review)     UTF-8 with a byte-order mark (Excel reads it right), text cells that
                         begin like a formula kept as text, numbers as typed (50.6, not 50.6000)
    export_json(review)  {"studies": [...every study, its registry ids, status, reports...],
                         "rows": [...the same rows as dicts: numbers as numbers, blanks null...]}

Choice fields read by people (phase, status) are their labels ("Phase I/II": Excel would take
"1/2" for a date); those a program groups by (outcome_kind, measure) are their codes. The whole
table costs the same few queries at any size.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch

from references.spreadsheet import spreadsheet_cell
from screening.models import Review

from .access import entry_states
from .models import Arm, ArmResult, Comparison, Entry, Outcome, Study, StudyReport

ARM_RESULT, COMPARISON = "arm_result", "comparison"
COLUMNS = [
    "row_kind", "study_id", "study", "acronym", "registry_ids", "phase", "status",
    "arm", "control_arm", "comparator", "intervention", "arm_n",
    "outcome", "outcome_kind", "timepoint", "unit",
    "value", "ci_low", "ci_high", "events", "n", "sd", "se", "q1", "q3", "measure", "estimate",
    "p",
    "report_id", "report", "report_pmid", "report_doi", "page", "quote", "note",
]  # fmt: skip
# A reference's heavy columns (its source entry, its abstract) are never needed here.
HEAVY = ("raw", "abstract", "abstract_sections")


def studies_with_data(review: Review):
    """The review's studies with their reports, arms, outcomes, results and comparisons, in six
    queries whatever their number."""
    return Study.objects.in_review(review).prefetch_related(
        Prefetch(
            "links",
            queryset=StudyReport.objects.select_related("reference").defer(*_heavy("reference")),
        ),
        Prefetch("arms", queryset=Arm.objects.reported().order_by("position", "id")),
        Prefetch("outcomes", queryset=Outcome.objects.reported().order_by("position", "id")),
        Prefetch(
            "outcomes__results",
            queryset=ArmResult.objects.select_related("report").defer(*_heavy("report")),
        ),
        Prefetch(
            "outcomes__comparisons",
            queryset=Comparison.objects.select_related("report").defer(*_heavy("report")),
        ),
    )


def _heavy(field: str) -> list[str]:
    return [f"{field}__{name}" for name in HEAVY]


ENTRY_COLUMNS = ["entry", "extractor"]  # first, when the entries are asked for
CONSENSUS = "consensus"


def rows(review: Review, entries: bool = False) -> Iterator[dict[str, Any]]:
    """The table's rows as dicts keyed by COLUMNS, with Python values (Decimal, int, str, None):
    the consensus; with `entries`, each row says whose it is, and after the consensus's come
    the rows of every submitted entry of the studies whose entries are all in."""
    studies = list(studies_with_data(review))
    if not entries:
        yield from study_rows(studies)
        return
    for row in study_rows(studies):
        yield {"entry": CONSENSUS, "extractor": "", **row}
    for entry in revealed_entries(review, studies):
        for row in entry_rows(entry):
            yield {"entry": f"entry {entry.pk}", "extractor": entry.extractor.username, **row}


def study_rows(studies) -> Iterator[dict[str, Any]]:
    """The rows of studies fetched by studies_with_data(): their consensus, the reported data."""
    for study in studies:
        yield from _data_rows(study, study.arms.all(), study.outcomes.all())


def entry_rows(entry: Entry) -> Iterator[dict[str, Any]]:
    """The rows of one extractor's entry, laid out as the consensus's."""
    arms = Arm.objects.filter(entry=entry).order_by("position", "id")
    outcomes = (
        Outcome.objects.filter(entry=entry)
        .order_by("position", "id")
        .prefetch_related(
            Prefetch(
                "results",
                queryset=ArmResult.objects.select_related("report").defer(*_heavy("report")),
            ),
            Prefetch(
                "comparisons",
                queryset=Comparison.objects.select_related("report").defer(*_heavy("report")),
            ),
        )
    )
    yield from _data_rows(entry.study, arms, outcomes)


def revealed_entries(review: Review, studies: list[Study]) -> list[Entry]:
    """The submitted entries of the studies whose entries are all in: the ones every member
    may read (access.EntryState.visible), and so the ones an export gives."""
    states = entry_states(review, studies)
    return [
        entry
        for study in studies
        if states[study.pk].revealed
        for entry in states[study.pk].submitted
    ]


def _data_rows(study: Study, arms, outcomes) -> Iterator[dict[str, Any]]:
    arms = {arm.pk: arm for arm in arms}
    base = {
        "study_id": study.pk,
        "study": study.name,
        "acronym": study.acronym,
        "registry_ids": "; ".join(study.registry_ids or []),
        "phase": study.get_phase_display(),
        "status": study.get_status_display(),
        **{f"custom_{key}": value for key, value in (study.custom or {}).items()},
    }
    for outcome in outcomes:
        about = {
            "outcome": outcome.name,
            "outcome_kind": outcome.kind,
            "timepoint": outcome.timepoint,
            "unit": outcome.unit,
        }
        for result in outcome.results.all():
            arm = arms[result.arm_id]
            yield _row(
                base,
                about,
                result,
                row_kind=ARM_RESULT,
                arm=arm.label,
                control_arm="yes" if arm.comparator else "no",
                intervention=arm.intervention,
                arm_n=arm.number_randomised,
                value=result.value,
                events=result.events,
                n=result.n,
                sd=result.sd,
                se=result.se,
                q1=result.q1,
                q3=result.q3,
            )
        for comparison in outcome.comparisons.all():
            arm, comparator = arms[comparison.arm_id], arms[comparison.comparator_id]
            yield _row(
                base,
                about,
                comparison,
                row_kind=COMPARISON,
                arm=arm.label,
                comparator=comparator.label,
                intervention=arm.intervention,
                arm_n=arm.number_randomised,
                measure=comparison.measure,
                estimate=comparison.estimate,
                p=comparison.p_value,
            )


def _row(base: dict, about: dict, source: ArmResult | Comparison, **values: Any) -> dict:
    report = source.report
    row = dict.fromkeys(COLUMNS)
    row.update(base, **about, **values)
    row.update(
        ci_low=source.ci_low,
        ci_high=source.ci_high,
        report_id=report.pk,
        report=report.citation,
        report_pmid=report.pmid,
        report_doi=report.doi,
        page=source.page,
        quote=source.quote,
        note=source.note,
    )
    return row


def decimal_text(value: Decimal) -> str:
    """As typed: 50.6 stored as 50.6000 is written 50.6, and 100 stays 100 (not 1E+2)."""
    return format(value.normalize(), "f")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return decimal_text(value)  # a number of ours: left bare to stay a number
    return spreadsheet_cell(value)


def custom_columns(review: Review) -> list[str]:
    """The review's custom fields as columns after COLUMNS: custom_<key>, in the fields' order."""
    return [f"custom_{key}" for key in review.custom_fields.values_list("key", flat=True)]


def csv_text(review: Review, entries: bool = False) -> str:
    """The table as CSV text, starting with a byte-order mark; each row carries its study's
    values of the review's custom fields. With `entries`, the extractors' entries too, each row
    saying whose it is (the consensus's first)."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = (ENTRY_COLUMNS if entries else []) + COLUMNS + custom_columns(review)
    writer.writerow(columns)
    for row in rows(review, entries):
        writer.writerow([_csv_cell(row.get(column)) for column in columns])
    return "\ufeff" + out.getvalue()


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        # At most 14 digits: a float prints back exactly as typed (repr is the shortest form).
        return int(value) if value == value.to_integral_value() else float(value)
    if value == "":
        return None
    return value


def _study_json(study: Study) -> dict[str, Any]:
    return {
        "id": study.pk,
        "name": study.name,
        "acronym": study.acronym,
        "kind": study.kind,
        "registry_ids": list(study.registry_ids or []),
        "phase": study.phase,
        "design": {"randomised": study.randomised, "blinding": study.blinding},
        "setting": study.setting,
        "countries": study.countries,
        "population": study.population,
        "number_randomised": study.number_randomised,
        "status": study.status,
        "notes": study.notes,
        "custom": dict(study.custom or {}),
        "reports": [
            {
                "reference_id": link.reference_id,
                "citation": link.reference.citation,
                "pmid": link.reference.pmid,
                "doi": link.reference.doi,
                "primary": link.primary,
            }
            for link in study.links.all()
        ],
        "arms": [
            {
                "label": arm.label,
                "intervention": arm.intervention,
                "control": arm.comparator,
                "number_randomised": arm.number_randomised,
                "report_id": arm.report_id,
            }
            for arm in study.arms.all()
        ],
        "outcomes": [
            {
                "name": outcome.name,
                "kind": outcome.kind,
                "timepoint": outcome.timepoint,
                "unit": outcome.unit,
            }
            for outcome in study.outcomes.all()
        ],
    }


def _json_row(row: dict) -> dict:
    return {column: _json_value(value) for column, value in row.items()}


def export_json(review: Review, entries: bool = False) -> dict[str, Any]:
    """{"studies": [...], "rows": [...]} (the consensus), ready for json.dumps; with `entries`,
    also "entries": every submitted entry of the studies whose entries are all in, with its
    extractor, submission time, digest and rows."""
    studies = list(studies_with_data(review))
    found = {
        "studies": [_study_json(study) for study in studies],
        "rows": [_json_row(row) for row in study_rows(studies)],
    }
    if entries:
        found["entries"] = [
            {
                "id": entry.pk,
                "study_id": entry.study_id,
                "extractor": entry.extractor.username,
                "submitted_at": entry.submitted_at.isoformat(),
                "digest": entry.digest,
                "rows": [_json_row(row) for row in entry_rows(entry)],
            }
            for entry in revealed_entries(review, studies)
        ]
    return found
