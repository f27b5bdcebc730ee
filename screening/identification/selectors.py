"""Reads of identification: the review's references and records, its counts, its searches, the
live duplicate candidates, and the imports the review home lists."""

from datetime import timedelta

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from references.models import Reference
from screening.constants import CandidateStatus, JobStatus
from screening.models import (
    DuplicateCandidate,
    ImportJob,
    Record,
    Review,
    Search,
)


def references_in_review(review: Review) -> QuerySet[Reference]:
    """Every reference at least one record of the review points at, with its record count."""
    records = Record.objects.in_review(review).filter(reference=OuterRef("pk"))
    record_count = records.order_by().values("reference").annotate(n=Count("id")).values("n")[:1]
    return (
        Reference.objects.filter(Exists(records))
        .annotate(record_count=Subquery(record_count, output_field=IntegerField()))
        .defer("raw", "abstract_sections")
    )


def reference_visible_in_review(review: Review, reference_id: int) -> bool:
    """A reference belongs to a review if a record points at it, or it was merged away there."""
    if Record.objects.in_review(review).filter(reference_id=reference_id).exists():
        return True
    return (
        DuplicateCandidate.objects.in_review(review)
        .filter(Q(reference_a_id=reference_id) | Q(reference_b_id=reference_id))
        .exists()
    )


def review_counts(review: Review) -> dict:
    """Identification figures for the review home page."""
    records = Record.objects.in_review(review)
    totals = records.aggregate(
        records=Count("id"),
        duplicates=Count("id", filter=~Q(duplicate_rule="")),
        references=Count("reference", distinct=True),
    )
    totals["proposed_pairs"] = (
        live_candidates(review).filter(status=CandidateStatus.PROPOSED).count()
    )
    return totals


def searches_with_sources(review: Review) -> QuerySet[Search]:
    return review.searches.select_related("source", "run_by").order_by("source__name", "run_at")


def live_candidates(review: Review) -> QuerySet[DuplicateCandidate]:
    """Candidate pairs whose references are both still in the review (or that were merged)."""
    has_records_a = Record.objects.in_review(review).filter(reference=OuterRef("reference_a"))
    has_records_b = Record.objects.in_review(review).filter(reference=OuterRef("reference_b"))
    return DuplicateCandidate.objects.in_review(review).filter(
        Q(status__in=[CandidateStatus.MERGED])
        | (Q(Exists(has_records_a)) & Q(Exists(has_records_b)))
    )


def records_of_reference(review: Review, reference: Reference) -> QuerySet[Record]:
    return (
        Record.objects.in_review(review)
        .filter(reference=reference)
        .select_related("search__source", "search__run_by")
        .select_related("run", "dropped_in")
        .defer("run__pmids", "dropped_in__pmids")
        .order_by("created_at", "id")
    )


# A preview not confirmed within this many hours was abandoned: the review home stops listing
# it as waiting (import_jobs_live). A day: time enough to come back to it after a break.
PREVIEW_LIVE_HOURS = 24


def import_jobs_live(review: Review) -> QuerySet[ImportJob]:
    """The imports the review home lists: those queued or running, and those of the last
    PREVIEW_LIVE_HOURS hours that wait for a person (previews to confirm or discard, and
    failures to try again). A preview left longer was abandoned: it drops off the home, its
    page stays, and nothing of it was ever imported."""
    recent = timezone.now() - timedelta(hours=PREVIEW_LIVE_HOURS)
    return (
        ImportJob.objects.in_review(review)
        .filter(
            Q(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
            | Q(status=JobStatus.PREVIEWED, created_at__gte=recent)
            | Q(status=JobStatus.FAILED, finished_at__gte=recent)
        )
        .select_related("created_by")
        .order_by("-created_at")
    )
