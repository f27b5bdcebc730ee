"""Reviews, their sources and searches: what the review list and the review home show."""

from __future__ import annotations

from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from api.serializers import ReviewDetail, ReviewSummary, SearchOut, SourceOut
from screening.decisions.selectors import stage_counts
from screening.identification.selectors import review_counts, searches_with_sources
from screening.models import Source
from screening.permissions.access import memberships_of

from .common import ReviewView


class ReviewList(GenericAPIView):
    """The reviews the token's owner belongs to, by slug and title, newest first."""

    serializer_class = ReviewSummary

    @extend_schema(summary="The reviews you belong to", responses=ReviewSummary(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(memberships_of(request.user))
        return self.get_paginated_response(ReviewSummary(page, many=True).data)


class ReviewDetailView(ReviewView):
    """Any member: the review home's figures, and the exclusion reasons a decision names."""

    serializer_class = ReviewDetail
    pagination_class = None

    @extend_schema(summary="A review: its settings, counts and exclusion reasons")
    def get(self, request: Request, slug: str) -> Response:
        member = self.member(slug)
        review = member.review
        data = {
            "slug": review.slug,
            "title": review.title,
            "question": review.question,
            "criteria": review.criteria,
            "created_at": review.created_at,
            "role": member.membership.role,
            "resolves": member.membership.resolves,
            "settings": review,
            "counts": review_counts(review),
            "stages": stage_counts(review),
            "exclusion_reasons": review.reasons.order_by("position", "id"),
        }
        return Response(ReviewDetail(data).data)


class SourceList(ReviewView):
    """Any member; each source's kind decides its PRISMA column."""

    serializer_class = SourceOut

    @extend_schema(
        summary="The review's sources (PubMed, Embase, a registry, a website...)",
        responses=SourceOut(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        review = self.member(slug).review
        sources = (
            Source.objects.in_review(review)
            .annotate(search_count=Count("searches"))
            .order_by("name", "id")
        )
        return self.paged(sources)


class SearchList(ReviewView):
    """Any member, as the searches page."""

    serializer_class = SearchOut

    @extend_schema(
        summary="The review's searches: each run or file import, with its counts",
        responses=SearchOut(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        review = self.member(slug).review
        return self.paged(searches_with_sources(review).order_by("source__name", "run_at", "id"))
