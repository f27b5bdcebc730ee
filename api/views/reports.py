"""What a review reports: its PRISMA counts and its extracted data, as the PRISMA page's JSON
download and the extraction export give them (the consensus)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.pagination import paged_objects
from extraction.export import export_json
from screening.prisma.counts import as_json, prisma_report

from .common import ReviewView


class Prisma(ReviewView):
    """Any member, as the PRISMA page's JSON download; `errors` lists any count that does not
    reconcile."""

    pagination_class = None

    @extend_schema(
        summary="The PRISMA 2020 counts, as `prisma --format json` prints them",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, slug: str) -> Response:
        review = self.member(slug).review
        return Response(as_json(prisma_report(review)))


class ExtractionRows(ReviewView):
    """The extraction export's rows: one per study x arm x outcome, and one per comparison, of
    the consensus (the extractors' entries are in the JSON export, ?entries=1)."""

    @extend_schema(
        summary="The extracted data as rows (the CSV export's, numbers as numbers)",
        responses={200: paged_objects("A row: the columns of the extraction CSV export.")},
    )
    def get(self, request: Request, slug: str) -> Response:
        review = self.member(slug).review
        return self.get_paginated_response(self.paginate_queryset(export_json(review)["rows"]))


class ExtractionStudies(ReviewView):
    """Any member, as the extraction JSON export's studies."""

    @extend_schema(
        summary="The review's studies: registry ids, status, reports, arms, outcomes",
        responses={200: paged_objects("A study, as the extraction JSON export has it.")},
    )
    def get(self, request: Request, slug: str) -> Response:
        review = self.member(slug).review
        return self.get_paginated_response(self.paginate_queryset(export_json(review)["studies"]))
