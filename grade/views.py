"""The summary-of-findings page (the table, and under it each outcome's GRADE domains: the
app's proposal and why, the person's decision and footnote), its save, and the DOCX and CSV."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from meta_analysis.models import Analysis
from screening.constants import EDITOR_ROLES
from screening.permissions.access import review_for_user
from screening.permissions.actions import attempt

from .export import absolute_text, cells, certainty_text, csv_text, docx_bytes, relative_text
from .models import Certainty
from .selectors import sof_rows
from .services import certainty_save
from .table import DOWNGRADES, UPGRADES

LEVEL_CHOICES = {
    "down": [("", "Not yet judged"), ("0", "Not serious"), ("-1", "Serious (−1)"),
             ("-2", "Very serious (−2)")],
    "up": [("", "Not yet judged"), ("0", "No"), ("1", "Rate up one level (+1)"),
           ("2", "Rate up two levels (+2)")],
}  # fmt: skip


def _typed(certainty: Certainty | None) -> dict[str, str]:
    """The settings as a person types them: 0.8, not 0.8000."""

    def plain(value) -> str:
        return "" if value is None else format(value.normalize(), "f")

    if certainty is None:
        return {"control": "", "low": "", "high": ""}
    return {
        "control": plain(certainty.control_per_1000),
        "low": plain(certainty.threshold_low),
        "high": plain(certainty.threshold_high),
    }


def table_page(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    rows = sof_rows(review)
    settings = {c.analysis_id: c for c in Certainty.objects.filter(analysis__review=review)}
    context = {
        "review": review,
        "membership": membership,
        "rows": [
            (
                row,
                cells(row),
                _typed(settings.get(row.analysis_id)),
                relative_text(row),
                absolute_text(row),
                certainty_text(row),
            )
            for row in rows
        ],  # fmt: skip
        "levels": LEVEL_CHOICES,
        "upgrades": UPGRADES,
        "downgrades": DOWNGRADES,
        "designs": Certainty.DESIGNS,
    }
    return render(request, "grade/table.html", context)


@require_POST
def certainty_update(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=EDITOR_ROLES)
    analysis = get_object_or_404(Analysis.objects.filter(review=review), pk=pk)
    analysis.review = review
    decisions = {}
    for domain in (*DOWNGRADES, *UPGRADES):
        level = request.POST.get(f"level-{domain}")
        if level is None:
            continue
        decisions[domain] = (
            int(level) if level.lstrip("-").isdigit() else None,
            request.POST.get(f"footnote-{domain}", ""),
        )

    def save() -> str:
        certainty_save(
            analysis=analysis,
            user=request.user,
            design=request.POST.get("design", Certainty.RANDOMISED),
            control_per_1000=request.POST.get("control_per_1000", ""),
            threshold_low=request.POST.get("threshold_low", ""),
            threshold_high=request.POST.get("threshold_high", ""),
            decisions=decisions,
        )
        return f"GRADE judgements for “{analysis}” saved."

    attempt(request, save)
    return redirect(f"{review_url(review)}#outcome-{analysis.pk}")


def review_url(review) -> str:
    return reverse("grade:table", args=[review.slug])


def export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    review, _ = review_for_user(request, slug)
    rows = sof_rows(review)
    if fmt == "csv":
        response = HttpResponse(csv_text(rows), content_type="text/csv; charset=utf-8")
    elif fmt == "docx":
        response = HttpResponse(
            docx_bytes(review, rows),
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
    else:
        raise Http404("No such format.")
    response["Content-Disposition"] = (
        f'attachment; filename="{review.slug}-summary-of-findings.{fmt}"'
    )
    return response
