"""The review's downloads, as files, made by the same functions as the pages' downloads: the
reference list (with its filters, decisions through the blinding rule), PRISMA, the extracted
data and the risk-of-bias assessments (never a draft, nor an entry or an assessment before all
of its kind are in: the export functions' own rule)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import Member
from extraction import export as extraction_export
from references import export as reference_export
from risk_of_bias import export as rob_export
from screening.prisma.counts import as_json, csv_text, prisma_report
from screening.reference_list.export import EXPORT_COLUMNS, export_rows

from .common import ReviewView
from .references import FILTER_PARAMETERS, filtered_references

CSV = "text/csv; charset=utf-8"
JSON = "application/json; charset=utf-8"
RIS = "application/x-research-info-systems; charset=utf-8"


def _file(body, content_type: str, name: str) -> HttpResponse:
    kind = StreamingHttpResponse if not isinstance(body, str | bytes) else HttpResponse
    response = kind(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def _references(request: Request, member: Member, kind: str) -> HttpResponse:
    """The reference list's RIS or CSV download, of the references its filters select."""
    review, view = member.review, member.view
    references = filtered_references(request, review, view).qs
    rows = export_rows(review, references, view)
    stem = f"{review.slug} references {timezone.now():%Y-%m-%d}"
    if kind == "ris":
        return _file(reference_export.iter_ris(rows), RIS, reference_export.ris_filename(stem))
    body = reference_export.iter_csv(rows, EXPORT_COLUMNS)
    return _file(body, CSV, reference_export.csv_filename(stem))


def _prisma(request: Request, member: Member, kind: str) -> HttpResponse | Response:
    review = member.review
    report = prisma_report(review)
    if report.errors:
        # As the PRISMA page: no download of counts that do not reconcile.
        found = as_json(report)["errors"]
        detail = "The PRISMA counts do not reconcile; nothing to download until they do."
        return Response({"detail": detail, "errors": found}, status=409)
    if kind == "json":
        return _file(_json(as_json(report)), JSON, f"{review.slug}-prisma.json")
    return _file(csv_text(report), CSV, f"{review.slug}-PRISMA.csv")


def _extraction(request: Request, member: Member, kind: str) -> HttpResponse:
    review = member.review
    entries = request.query_params.get("entries") == "1"
    stem = f"{review.slug}-extraction-{timezone.now():%Y-%m-%d}"
    if kind == "json":
        return _file(_json(extraction_export.export_json(review, entries)), JSON, f"{stem}.json")
    return _file(extraction_export.csv_text(review, entries), CSV, f"{stem}.csv")


def _risk_of_bias(request: Request, member: Member, kind: str) -> HttpResponse:
    review = member.review
    name = f"{review.slug}-risk-of-bias.{kind}"
    if kind == "json":
        return _file(_json(rob_export.export_json(review)), JSON, name)
    return _file(rob_export.csv_text(review), CSV, name)


Maker = Callable[[Request, Member, str], HttpResponse | Response]
EXPORTS: dict[str, tuple[Maker, str]] = {
    "references.csv": (_references, "csv"),
    "references.ris": (_references, "ris"),
    "prisma.csv": (_prisma, "csv"),
    "prisma.json": (_prisma, "json"),
    "extraction.csv": (_extraction, "csv"),
    "extraction.json": (_extraction, "json"),
    "risk-of-bias.csv": (_risk_of_bias, "csv"),
    "risk-of-bias.json": (_risk_of_bias, "json"),
}


class Export(ReviewView):
    """Any member, as the pages' downloads; references.* take the reference list's filters."""

    pagination_class = None

    @extend_schema(
        summary="A download: references (.csv, .ris), PRISMA, extraction, risk of bias",
        parameters=[
            OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(EXPORTS)),
            OpenApiParameter(
                "entries",
                str,
                enum=["1"],
                description="extraction.*: also the extractors' entries of studies whose "
                "entries are all in.",
            ),
            *FILTER_PARAMETERS,
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "application/x-research-info-systems"): OpenApiTypes.STR,
            409: OpenApiResponse(description="PRISMA: the counts do not reconcile."),
        },
    )
    def get(self, request: Request, slug: str, name: str) -> HttpResponse | Response:
        member = self.member(slug)
        if name not in EXPORTS:
            raise NotFound(f"No such export. There are: {', '.join(EXPORTS)}.")
        make, kind = EXPORTS[name]
        return make(request, member, kind)
