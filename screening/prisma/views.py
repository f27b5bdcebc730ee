"""The PRISMA page: the diagram, each box a link to its references, and the same boxes as a list
for a phone; its downloads; the methods paragraph and the table of reports excluded at full
text."""

from __future__ import annotations

import csv
import io
import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from references.spreadsheet import spreadsheet_cell
from screening.models import Review
from screening.permissions.access import review_for_user
from screening.prisma.counts import BOXES, as_json, csv_text, prisma_report
from screening.prisma.outline import diagram_outline
from screening.prisma.svg import (
    FOOTNOTES,
    diagram_layout,
    diagram_svg,
    render_pdf,
    render_png,
    render_svg,
)
from screening.prisma.text import excluded_reports, methods_paragraph

DOWNLOADS = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "methods": "text/plain; charset=utf-8",
    "excluded": "text/csv; charset=utf-8",
}


def box_links(review: Review):
    """link(box, reason_id) for the diagram: each box opens the references it counts."""
    references = reverse("screening:reference-list", args=[review.slug])

    def link(box: str, reason_id: int | None) -> str | None:
        if box == "searches":
            return reverse("screening:search-list", args=[review.slug])
        if box == "duplicates":
            return f"{references}?duplicates=with"
        if box in BOXES:
            suffix = f":{reason_id}" if reason_id else ""
            return f"{references}?box={box}{suffix}"
        return None

    return link


def prisma_page(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    report = prisma_report(review)
    wanted = request.GET.get("format")
    if wanted in DOWNLOADS and not report.errors:
        return _download(review, report, wanted)
    diagram, link = None if report.errors else diagram_layout(report), box_links(review)
    context = {
        "review": review,
        "membership": membership,
        "report": report,
        "svg": mark_safe(diagram_svg(diagram, link=link)) if diagram else None,  # noqa: S308 - built from escaped parts
        "outline": diagram_outline(diagram, link=link) if diagram else [],
        "footnotes": FOOTNOTES,
        "methods": methods_paragraph(review, report),
        "excluded": list(excluded_reports(review)),
        "downloads": [f for f in DOWNLOADS if f not in ("methods", "excluded")],
    }
    status = 409 if report.errors else 200
    return render(request, "screening/prisma/prisma.html", context, status=status)


def _download(review: Review, report, wanted: str) -> HttpResponse:
    stem = f"{review.slug}-prisma-{timezone.now():%Y-%m-%d}"
    if wanted == "json":
        body = json.dumps(as_json(report), indent=2, ensure_ascii=False)
    elif wanted == "csv":
        body, stem = csv_text(report), f"{review.slug}-PRISMA"
    elif wanted == "methods":
        body, stem = methods_paragraph(review, report) + "\n", f"{review.slug}-methods"
    elif wanted == "excluded":
        body, stem = _excluded_csv(review), f"{review.slug}-excluded-full-text"
    else:
        svg = render_svg(report)
        if wanted == "svg":
            body = svg
        else:
            try:
                body = render_png(svg) if wanted == "png" else render_pdf(svg)
            except OSError:
                return HttpResponse(
                    "PNG and PDF are drawn with cairo, which this server lacks (Debian: "
                    "apt-get install libcairo2). The SVG download has the same diagram.",
                    status=503,
                    content_type="text/plain; charset=utf-8",
                )
    extension = {"methods": "txt", "excluded": "csv"}.get(wanted, wanted)
    response = HttpResponse(body, content_type=DOWNLOADS[wanted])
    response["Content-Disposition"] = f'attachment; filename="{stem}.{extension}"'
    return response


def _excluded_csv(review: Review) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["reference_id", "citation", "doi", "pmid", "reason", "resolved", "column"])
    for row in excluded_reports(review):
        writer.writerow(
            [
                row["reference_id"],
                spreadsheet_cell(row["citation"]),
                row["doi"],
                row["pmid"],
                spreadsheet_cell(row["reason"]),
                "yes" if row["resolved"] else "no",
                row["column"],
            ]
        )
    return "\ufeff" + out.getvalue()
