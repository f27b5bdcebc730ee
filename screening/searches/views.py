"""The search appendix and the PRISMA-S checklist: pages for the review's members, and their
downloads (?format=md, and ?format=docx for the appendix)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from screening.models import Review
from screening.permissions.access import review_for_user
from screening.searches.appendix import (
    RUN_COLUMNS,
    SUMMARY_COLUMNS,
    Appendix,
    appendix_build,
    appendix_markdown,
    checklist_markdown,
    citation_text,
    deduplication_text,
    fields,
    run_rows,
    summary_rows,
)
from screening.searches.prisma_s import STATUS_LABELS, checklist_data
from screening.searches.word import DOCX_AVAILABLE, DOCX_TYPE, appendix_docx

MARKDOWN_TYPE = "text/markdown; charset=utf-8"


def _attachment(body: str | bytes, content_type: str, review: Review, stem: str) -> HttpResponse:
    extension = "docx" if content_type == DOCX_TYPE else "md"
    response = HttpResponse(body, content_type=content_type)
    name = f"{review.slug}-{stem}-{timezone.localdate():%Y-%m-%d}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _context(review: Review, membership, appendix: Appendix) -> dict:
    return {
        "review": review,
        "membership": membership,
        "appendix": appendix,
        "checklist": appendix.checklist,
        "missing": appendix.missing,
        "statuses": STATUS_LABELS,
        "citation": citation_text(),
        "source": checklist_data(),
        "docx": DOCX_AVAILABLE,
    }


def search_appendix(request: HttpRequest, slug: str) -> HttpResponse:
    """Every search with its strategy and counts; ?format=md or ?format=docx downloads it."""
    review, membership = review_for_user(request, slug)
    appendix = appendix_build(review)
    wanted = request.GET.get("format")
    if wanted == "md":
        return _attachment(appendix_markdown(appendix), MARKDOWN_TYPE, review, "search-appendix")
    if wanted == "docx" and DOCX_AVAILABLE:
        return _attachment(appendix_docx(appendix), DOCX_TYPE, review, "search-appendix")
    context = _context(review, membership, appendix)
    context.update(
        summary_columns=SUMMARY_COLUMNS,
        summary=summary_rows(appendix),
        run_columns=RUN_COLUMNS,
        sections=[(entry, fields(entry), run_rows(entry)) for entry in appendix.entries],
        deduplication=deduplication_text(appendix),
    )
    return render(request, "screening/searches/appendix.html", context)


def prisma_s_checklist(request: HttpRequest, slug: str) -> HttpResponse:
    """The PRISMA-S checklist filled in from the searches; ?format=md downloads it."""
    review, membership = review_for_user(request, slug)
    appendix = appendix_build(review)
    if request.GET.get("format") == "md":
        body = "\n".join([f"# {review.title}", "", *checklist_markdown(appendix)])
        return _attachment(body, MARKDOWN_TYPE, review, "prisma-s")
    return render(
        request, "screening/searches/prisma_s.html", _context(review, membership, appendix)
    )
