"""Reads of identification: the review's references and records, its counts, its searches and
the live duplicate candidates."""

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from references.models import Reference
from screening.constants import CandidateStatus
from screening.models import (
    DuplicateCandidate,
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
