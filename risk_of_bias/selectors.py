"""Reads of risk-of-bias assessments, through the blinding rule: an assessor's answers and
judgements are their own until every assessor of the result has submitted (the review's
`assessors` setting); then every member sees the submitted ones. Before that, anyone (an owner
included) sees only who has started and who has submitted. A consensus is seen once submitted,
and by its maker while a draft. Every page, plot and export reads assessments from here."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from extraction.models import Outcome
from risk_of_bias.content import content_of, digest
from risk_of_bias.models import Answer, Assessment, DomainJudgement, RobSettings
from risk_of_bias.plots import COLOUR_SCHEMES, SYMBOLS
from screening.constants import AuditAction
from screening.models import AuditEvent, Review


@dataclass
class ResultRow:
    """One result (a study's outcome) and its assessments, as one member may see them."""

    outcome: Outcome
    assessors: list[Assessment] = field(default_factory=list)  # every assessor's, any state
    consensus: Assessment | None = None
    wanted: int = 2

    @property
    def submitted(self) -> list[Assessment]:
        return [a for a in self.assessors if a.submitted]

    @property
    def revealed(self) -> bool:
        """Every assessor has submitted: their assessments are seen by all."""
        return len(self.submitted) >= self.wanted

    @property
    def who(self) -> str:
        """Who assesses it and how far they are: "ana (submitted), ben (draft)"."""
        return ", ".join(
            f"{a.assessor.username} ({'submitted' if a.submitted else 'draft'})"
            for a in self.assessors
        )

    def mine(self, user_id: int) -> Assessment | None:
        return next((a for a in self.assessors if a.assessor_id == user_id), None)

    def visible(self, user_id: int) -> list[Assessment]:
        """The assessments whose answers the member may read."""
        seen = [a for a in self.assessors if a.assessor_id == user_id or self.revealed]
        seen = [a for a in seen if a.submitted or a.assessor_id == user_id]
        consensus = self.consensus
        if consensus is not None and (consensus.submitted or consensus.assessor_id == user_id):
            seen.append(consensus)
        return seen

    @property
    def reported(self) -> Assessment | None:
        """The assessment the review reports: the submitted consensus."""
        return self.consensus if self.consensus and self.consensus.submitted else None


def _assessments():
    return Assessment.objects.select_related("assessor").prefetch_related(
        Prefetch("answers", queryset=Answer.objects.order_by("id")),
        Prefetch("domains", queryset=DomainJudgement.objects.order_by("domain")),
    )


def result_rows(review: Review, outcome_ids: list[int] | None = None) -> list[ResultRow]:
    """Every outcome of the review's studies, by study and position, with its assessments."""
    outcomes = Outcome.objects.in_review(review).select_related("study")
    if outcome_ids is not None:
        outcomes = outcomes.filter(pk__in=outcome_ids)
    wanted = RobSettings.for_review(review).assessors
    rows = {
        outcome.pk: ResultRow(outcome=outcome, wanted=wanted)
        for outcome in outcomes.order_by("study__name", "study_id", "position", "id")
    }
    for assessment in _assessments().filter(review=review, outcome_id__in=rows):
        row = rows[assessment.outcome_id]
        if assessment.kind == Assessment.CONSENSUS:
            row.consensus = assessment
        else:
            row.assessors.append(assessment)
    return list(rows.values())


def result_row(review: Review, outcome: Outcome) -> ResultRow:
    return result_rows(review, [outcome.pk])[0]


def digest_mismatches(review: Review) -> list[Assessment]:
    """Submitted assessments whose content no longer matches the digest the audit log holds
    for their submission (the log's chain is signed, so the digest there cannot be rewritten
    unseen): a change behind the application's back, to an answer, a judgement or the
    assessment's own copy of the digest. A submitted assessment with no such event counts too."""
    logged = {
        event.object_id: (event.after or {}).get("digest")
        for event in AuditEvent.objects.in_review(review)
        .filter(action__in=[AuditAction.ROB_SUBMIT, AuditAction.ROB_CONSENSUS])
        .filter(object_type=Assessment._meta.label_lower)
        .order_by("seq")
    }
    return [
        assessment
        for assessment in _assessments().filter(review=review, submitted_at__isnull=False)
        if logged.get(str(assessment.pk)) != digest(content_of(assessment))
        or assessment.digest != logged.get(str(assessment.pk))
    ]


def forest_judgements(review: Review, outcome_ids: list[int]) -> dict:
    """For the forest plot (extraction asks through FOREST_RISK_OF_BIAS): the columns, and for
    each of the outcomes with a submitted consensus its (judgement, colour, symbol) per column,
    in robvis's colours; the note under the plot says what they are."""
    rows = {}
    for row in result_rows(review, list(outcome_ids)):
        if row.reported:
            value = content_of(row.reported)
            judged = [d["judgement"] for d in value["domains"]] + [value["overall"]["judgement"]]
            rows[row.outcome.pk] = [(j, COLOUR_SCHEMES["cochrane"][j], SYMBOLS[j]) for j in judged]
    demo = " (demo data)" if RobSettings.for_review(review).demo_data else ""
    note = (
        "Risk of bias (RoB 2, consensus)" + demo + ": D1 randomisation, D2 deviations, D3 missing "
        "data, D4 measurement, D5 reported result; + low, - some concerns, X high."
    )
    return {"columns": ["D1", "D2", "D3", "D4", "D5", "Overall"], "rows": rows, "note": note}
