"""Reads of studies and their reports that pages, exports and PRISMA share."""

from __future__ import annotations

from django.db.models import QuerySet

from references.models import Reference
from screening.constants import ItemState, Stage
from screening.models import Review, ScreeningItem

from .models import StudyReport


def included_report_ids(review: Review) -> QuerySet:
    """The references included at full text: PRISMA's "reports of included studies"."""
    return ScreeningItem.objects.filter(
        review=review, stage=Stage.FULL_TEXT, state=ItemState.INCLUDED
    ).values("reference_id")


def included_studies_count(review: Review) -> int:
    """PRISMA's "studies included": the studies with an included report, plus each included
    report not yet linked to a study (a study of its own until someone says otherwise)."""
    included = included_report_ids(review)
    links = StudyReport.objects.filter(review=review, reference_id__in=included)
    studies = links.values("study_id").distinct().count()
    unlinked = included.exclude(
        reference_id__in=StudyReport.objects.filter(review=review).values("reference_id")
    ).count()
    return studies + unlinked


def unlinked_reports(review: Review) -> QuerySet[Reference]:
    """Included reports that no study claims yet, oldest first."""
    return (
        Reference.objects.filter(pk__in=included_report_ids(review))
        .exclude(pk__in=StudyReport.objects.filter(review=review).values("reference_id"))
        .order_by("year", "pk")
    )
