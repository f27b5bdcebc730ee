"""The review's risk-of-bias assessments for others to read: JSON (every assessment that may be
shown: each assessor's, once all of a result's assessors have submitted, and the consensus,
once submitted) and CSV in robvis's layout (the consensus of each result: Study, D1-D5,
Overall, Weight), which robvis's rob_traffic_light and rob_summary load as they are. Drafts and
the submissions of a result still waiting for an assessor are never exported, by anyone: the
command line included."""

from __future__ import annotations

import csv
import io

from risk_of_bias.content import content_of
from risk_of_bias.models import Assessment, RobSettings
from risk_of_bias.selectors import ResultRow, result_rows
from risk_of_bias.tool import tool
from screening.models import Review

ROBVIS_VALUES = {"low": "Low", "some concerns": "Some concerns", "high": "High"}
DEMO_NOTE = (
    "Demo data: these risk-of-bias assessments were made up to show the tool; the published "
    "review reports none."
)


def result_label(outcome, *, demo: bool = False) -> str:
    """A result as every page, plot and export names it: "HARMONi-A · Progression-free survival"."""
    label = f"{outcome.study.acronym or outcome.study.name} · {outcome.name}"
    return f"{label} (demo data)" if demo else label


def weights(rows: list[ResultRow]) -> list[int]:
    """Each result's weight for the summary plot and robvis's Weight column: its study's number
    randomised when every study has one; else 1 each (equal weights), rather than weigh a
    result whose size is unknown as if it were one participant."""
    sizes = [row.outcome.study.number_randomised for row in rows]
    return sizes if all(sizes) else [1] * len(rows)


def shown(row: ResultRow) -> list[Assessment]:
    """The assessments of a result anyone may read: the submitted ones of a revealed result,
    and the submitted consensus."""
    found = list(row.submitted) if row.revealed else []
    return found + ([row.reported] if row.reported else [])


def _entry(row: ResultRow, assessment: Assessment) -> dict:
    value = content_of(assessment)
    who = "consensus" if assessment.kind == Assessment.CONSENSUS else assessment.assessor.username
    return {
        "study": row.outcome.study.acronym or row.outcome.study.name,
        "result": row.outcome.name,
        "outcome_id": row.outcome.pk,
        "assessor": who,
        "variant": value["variant"],
        "submitted_at": assessment.submitted_at.isoformat(),
        "domains": value["domains"],
        "overall": value["overall"],
    }


def export_json(review: Review) -> dict:
    rows = result_rows(review)
    assessments = [_entry(row, a) for row in rows for a in shown(row)]
    waiting = sum(1 for row in rows if (row.assessors or row.consensus) and not row.reported)
    body = {
        "tool": "RoB 2",
        "assessments": assessments,
        "results_awaiting_consensus": waiting,
    }
    if RobSettings.for_review(review).demo_data:
        body["note"] = DEMO_NOTE
    return body


def csv_text(review: Review) -> str:
    rows = [row for row in result_rows(review) if row.reported]
    # Said in each row's label: robvis reads no comment line.
    demo = RobSettings.for_review(review).demo_data
    out = io.StringIO()
    writer = csv.writer(out)
    domains = [d.id for d in tool(rows[0].reported.tool).domains] if rows else []
    domains = domains or ["D1", "D2", "D3", "D4", "D5"]
    writer.writerow(["Study", *domains, "Overall", "Weight"])
    for row, weight in zip(rows, weights(rows), strict=True):
        value = content_of(row.reported)
        judged = {d["domain"]: ROBVIS_VALUES[d["judgement"]] for d in value["domains"]}
        writer.writerow(
            [
                result_label(row.outcome, demo=demo),
                *(judged[d] for d in domains),
                ROBVIS_VALUES[value["overall"]["judgement"]],
                weight,
            ]
        )
    return out.getvalue()
