"""References: the reference list with its filters, and a reference's page, through the reference
list's own filterset and selectors, so each shows a member exactly what those pages do."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api.serializers import ReferenceDetail, ReferenceRow
from references.models import Reference
from screening.constants import Stage
from screening.decisions.selectors import decision_history
from screening.identification.selectors import (
    records_of_reference,
    reference_visible_in_review,
    references_in_review,
)
from screening.permissions.blinding import VoteView
from screening.reference_list.filters import ReferenceFilter
from screening.reference_list.selectors import screening_rows
from screening.reference_list.sorting import sort_references

from .common import ReviewView

# The reference list's filters, named and described as its form has them: one list of them.
FILTER_PARAMETERS = [
    OpenApiParameter(name, str, description=str(filter_.label))
    for name, filter_ in ReferenceFilter.base_filters.items()
]
SORT_PARAMETER = OpenApiParameter(
    "sort", str, description="As the reference list sorts: title, author, year, added, state "
    "(a leading '-' reverses)."
)  # fmt: skip


def filtered_references(request: Request, review, view: VoteView) -> ReferenceFilter:
    """The reference list's filterset over the review's references, bound to the query string;
    400 with the filters' own words for a value it refuses."""
    query = request.query_params.copy()
    for name in ("page", "page_size", "sort"):
        query.pop(name, None)
    filterset = ReferenceFilter(
        query or None, queryset=references_in_review(review), review=review, view=view
    )
    if filterset.is_bound and not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset


def with_screening(review, references: list[Reference], view: VoteView) -> list[Reference]:
    """Each reference with `screening`: its rows at the stages it has reached, in stage order,
    with the votes `view` lets the member see (the reference list's selector)."""
    rows = screening_rows(review, [reference.pk for reference in references], view)
    for reference in references:
        at = rows.get(reference.pk, {})
        reference.screening = [at[stage] for stage in Stage.values if stage in at]
    return references


class ReferenceList(ReviewView):
    """Any member, as the reference list: each reference's state at each stage it reached,
    and the votes you may see (blind screening hides others' votes where you have not voted)."""

    serializer_class = ReferenceRow

    @extend_schema(
        summary="The review's references, filtered as on the reference list",
        parameters=[*FILTER_PARAMETERS, SORT_PARAMETER],
        responses=ReferenceRow(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        member = self.member(slug)
        filterset = filtered_references(request, member.review, member.view)
        ordered = sort_references(filterset.qs, member.review, request.query_params.get("sort"))
        page = self.paginate_queryset(ordered)
        with_screening(member.review, page, member.view)
        return self.get_paginated_response(ReferenceRow(page, many=True).data)


class ReferenceDetailView(ReviewView):
    """Any member, as the reference's page: 404 for a reference not in the review."""

    serializer_class = ReferenceDetail
    pagination_class = None

    @extend_schema(summary="A reference: its records, its screening and the decisions you may see")
    def get(self, request: Request, slug: str, pk: int) -> Response:
        member = self.member(slug)
        review, view = member.review, member.view
        if not reference_visible_in_review(review, pk):
            raise Http404("No such reference in this review.")
        reference = references_in_review(review).defer(None).filter(pk=pk).first()
        if reference is None:  # merged away: its page still opens, with no records
            reference = Reference.objects.get(pk=pk)
            reference.record_count = 0
        with_screening(review, [reference], view)
        reference.records_in_review = records_of_reference(review, reference)
        reference.decisions = decision_history(review, reference.pk, view)
        reference.votes_hidden = view.hides_votes_on(reference.pk)
        return Response(ReferenceDetail(reference).data)
