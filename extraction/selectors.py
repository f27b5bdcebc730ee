"""Reads of studies, their reports and their data that pages, exports and PRISMA share."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from references.models import Reference
from screening.constants import ItemState, Stage
from screening.decisions.selectors import latest_full_texts, stage_counts
from screening.models import FullText, Review, ScreeningItem
from screening.permissions.blinding import VoteView
from screening.permissions.labels import NO_LABEL, labels_on, with_label

from .models import Arm, ArmResult, Comparison, Entry, Outcome, Study, StudyReport

# Columns of a reference that no studies page shows (a PubMed entry's raw XML is 17 kB).
HEAVY = ("raw", "abstract", "abstract_sections", "mesh_terms", "keywords", "publication_types")


def included_report_ids(review: Review) -> QuerySet:
    """The references included at full text: PRISMA's "reports of included studies"."""
    return (
        ScreeningItem.objects.in_review(review)
        .filter(stage=Stage.FULL_TEXT, state=ItemState.INCLUDED)
        .values("reference_id")
    )


def report_in_study(review_id: int, reference_id: int) -> bool:
    """Whether the report is linked to a study (the REPORT_IN_STUDY setting names this)."""
    return StudyReport.objects.filter(review_id=review_id, reference_id=reference_id).exists()


def included_studies_count(review: Review, included_reports: int | None = None) -> int:
    """PRISMA's "studies included": the studies with an included report, plus each included
    report not yet linked to a study (a study of its own until someone says otherwise). Reads
    the links people made and the number of included reports (PRISMA passes its own; else
    the counters'), never every included report: the same cost at any size."""
    if included_reports is None:
        included_reports = stage_counts(review)[Stage.FULL_TEXT].get(ItemState.INCLUDED, 0)
    included = ScreeningItem.objects.in_review(review).filter(
        reference_id=OuterRef("reference_id"), stage=Stage.FULL_TEXT, state=ItemState.INCLUDED
    )
    links = list(
        StudyReport.objects.in_review(review)
        .filter(Exists(included))
        .values_list("study_id", "reference_id")
        .order_by()
    )
    linked_reports = {reference for _, reference in links}
    return len({study for study, _ in links}) + included_reports - len(linked_reports)


def unlinked_reports(review: Review) -> QuerySet[Reference]:
    """Included reports that no study claims yet, oldest first, without their heavy columns."""
    return (
        Reference.objects.filter(pk__in=included_report_ids(review))
        .exclude(pk__in=StudyReport.objects.in_review(review).values("reference_id"))
        .defer(*HEAVY)
        .order_by("year", "pk")
    )


def report_links() -> QuerySet[StudyReport]:
    """Studies' links with their reports, without the reports' heavy columns."""
    return StudyReport.objects.select_related("reference").defer(
        *(f"reference__{name}" for name in HEAVY)
    )


def studies_listed(review: Review) -> list[Study]:
    """The studies page's table: each study with its reports and its numbers of arms and
    outcomes, in two queries."""
    return list(
        Study.objects.in_review(review)
        .annotate(
            arm_count=Count("arms", filter=Q(arms__entry=None), distinct=True),
            outcome_count=Count("outcomes", filter=Q(outcomes__entry=None), distinct=True),
        )
        .prefetch_related(Prefetch("links", queryset=report_links()))
    )


@dataclass
class StudyData:
    """A study's reports and extracted data. Each row holds the study, arm and outcome it
    belongs to already, so that the services (which reach the study through them) ask nothing
    more."""

    links: list[StudyReport]
    reports: list[Reference]
    primary_id: int | None
    arms: list[Arm]
    outcomes: list[Outcome]
    results: dict[tuple[int, int], ArmResult] = field(default_factory=dict)  # by (outcome, arm)
    comparisons: defaultdict[int, list[Comparison]] = field(
        default_factory=lambda: defaultdict(list)
    )  # by outcome


def study_data(study: Study, entry: Entry | None = None) -> StudyData:
    """Everything a study's page shows of it, in the same five queries whatever its size: its
    consensus (the reported data), or with `entry`, that entry's rows."""
    links = list(report_links().filter(study=study))
    for link in links:
        link.study = study
    data = StudyData(
        links=links,
        reports=[link.reference for link in links],
        primary_id=next((link.reference_id for link in links if link.primary), None),
        arms=list(Arm.objects.filter(study=study, entry=entry)),
        outcomes=list(Outcome.objects.filter(study=study, entry=entry)),
    )
    arms = {arm.pk: arm for arm in data.arms}
    outcomes = {outcome.pk: outcome for outcome in data.outcomes}
    for result in ArmResult.objects.filter(outcome__in=list(outcomes)):
        result.outcome, result.arm = outcomes[result.outcome_id], arms[result.arm_id]
        data.results[result.outcome_id, result.arm_id] = result
    for comparison in Comparison.objects.filter(outcome__in=list(outcomes)).order_by(
        "outcome", "id"
    ):
        comparison.outcome = outcomes[comparison.outcome_id]
        comparison.arm = arms[comparison.arm_id]
        comparison.comparator = arms[comparison.comparator_id]
        data.comparisons[comparison.outcome_id].append(comparison)
    return data


def report_pdfs(review: Review, links: list[StudyReport]) -> list[tuple[StudyReport, FullText]]:
    """The study's reports whose latest retrieval record holds a PDF, each with that record,
    the primary report first: what the study's page opens in its PDF reader. One query."""
    latest = latest_full_texts(review, [link.reference_id for link in links])
    found = []
    for link in links:
        full_text = latest.get(link.reference_id)
        if full_text is not None and full_text.file:
            full_text.review = review  # its address names the review: no query for it
            found.append((link, full_text))
    found.sort(key=lambda pair: not pair[0].primary)
    return found


def reports_to_add(
    review: Review, study: Study, linked: set[int]
) -> list[tuple[Reference, str | None]]:
    """The included reports a study's page offers to add (those not in `linked`), each with the
    name of the study it is in now, if any; the reports in no study first."""
    elsewhere = dict(
        StudyReport.objects.in_review(review)
        .exclude(study=study)
        .values_list("reference_id", "study__name")
    )
    others = [
        (reference, elsewhere.get(reference.pk))
        for reference in Reference.objects.filter(pk__in=included_report_ids(review))
        .exclude(pk__in=linked)
        .defer(*HEAVY)
        .order_by("year", "pk")
    ]
    others.sort(key=lambda pair: pair[1] is not None)
    return others


def label_reports(
    review: Review, view: VoteView, studies: list[Study], unlinked: list[Reference], label: str
) -> tuple[list[Study], list[Reference]]:
    """Put on each report of the studies page the labels the member sees (`shown_labels`), and
    keep, if a label is chosen, the studies with a report carrying it and the unlinked reports
    carrying it ("No label": the studies none of whose reports carries one). The label rule is
    screening's (`with_label`), so a hidden or private label matches nothing here either."""
    report_ids = [link.reference_id for study in studies for link in study.links.all()]
    report_ids += [reference.pk for reference in unlinked]
    labels = labels_on(review, view, report_ids)
    for study in studies:
        for link in study.links.all():
            link.shown_labels = labels.get(link.reference_id, [])
    for reference in unlinked:
        reference.shown_labels = labels.get(reference.pk, [])
    if not label:
        return studies, unlinked
    matching = set(
        with_label(Reference.objects.filter(pk__in=report_ids), review, view, label).values_list(
            "pk", flat=True
        )
    )
    every = all if label == NO_LABEL else any
    kept = [
        study
        for study in studies
        if study.links.all() and every(link.reference_id in matching for link in study.links.all())
    ]
    return kept, [reference for reference in unlinked if reference.pk in matching]
