"""What the studies pages' views share: posted ids, the review's study, and the answer to a
small POST."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from screening.models import Review

from ..access import entry_state
from ..models import Entry, Study


def posted_int(value: str | None) -> int:
    """A posted id; 0 (which matches no row) when it is missing or not a number."""
    return int(value) if value and value.isdigit() else 0


def study_of_review(review: Review, pk: int) -> Study:
    study = get_object_or_404(Study.objects.in_review(review), pk=pk)
    study.review = review  # the services read study.review: no second query
    return study


def own_entry(study: Study, user, pk: int | None) -> Entry | None:
    """The member's own entry of the study, by its id (None for None: the consensus); another's
    entry, or one of another study, is not found."""
    if pk is None:
        return None
    return get_object_or_404(Entry, pk=pk, study=study, extractor=user)


def visible_entry(study: Study, user, pk: int) -> Entry:
    """An entry the member may read (theirs, or any once the study's entries are all in);
    the others are not found, as if they did not exist."""
    state = entry_state(study)
    found = next((e for e in state.visible(user.pk) if e.pk == pk), None)
    if found is None:
        raise Http404("No such entry.")
    return found


def back(request: HttpRequest, url: str) -> HttpResponse:
    """After a small POST: htmx follows HX-Redirect (a 302 would be swapped into the page)."""
    if request.htmx:
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)
