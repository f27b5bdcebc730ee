"""What the studies pages' views share: posted ids, the review's study, and the answer to a
small POST."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from screening.models import Review

from ..models import Study


def posted_int(value: str | None) -> int:
    """A posted id; 0 (which matches no row) when it is missing or not a number."""
    return int(value) if value and value.isdigit() else 0


def study_of_review(review: Review, pk: int) -> Study:
    study = get_object_or_404(Study.objects.in_review(review), pk=pk)
    study.review = review  # the services read study.review: no second query
    return study


def back(request: HttpRequest, url: str) -> HttpResponse:
    """After a small POST: htmx follows HX-Redirect (a 302 would be swapped into the page)."""
    if request.htmx:
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)
