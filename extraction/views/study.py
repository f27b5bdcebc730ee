"""A study's page: its details (saved by a POST), its deletion, and its reports (unlinked, or
made the primary one)."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from screening.constants import EDITOR_ROLES
from screening.permissions.access import review_for_user
from screening.permissions.actions import run_action

from ..forms import StudyForm, put_errors
from ..selectors import report_links
from ..services import (
    ExtractionRefused,
    report_set_primary,
    report_unlink,
    study_delete,
    study_update,
)
from .common import back, study_of_review
from .study_page import StudyPage


def study_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The study's page; a POST saves its details."""
    roles = EDITOR_ROLES if request.method == "POST" else None
    review, membership = review_for_user(request, slug, roles=roles)
    study = study_of_review(review, pk)
    details = None
    if request.method == "POST":
        # Copies: a refused value must not show in the page's heading.
        details = StudyForm(request.POST, instance=copy.copy(study), prefix="study")
        if details.is_valid():
            try:
                study_update(study=copy.copy(study), user=request.user, **details.cleaned_data)
            except ValidationError as error:
                put_errors(details, error)
            except ExtractionRefused as error:
                details.add_error(None, str(error))
            else:
                messages.success(request, "The study's details are saved.")
                return redirect("extraction:study-detail", review.slug, study.pk)
    return StudyPage(review, membership, study).render(request, details)


@require_POST
def study_delete_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=EDITOR_ROLES)
    study = study_of_review(review, pk)
    try:
        study_delete(study=study, user=request.user)
    except ExtractionRefused as error:
        messages.error(request, str(error))
        return back(request, reverse("extraction:study-detail", args=[review.slug, pk]))
    messages.success(request, f"Study {study} deleted; its reports are no longer in a study.")
    return back(request, reverse("extraction:study-list", args=[review.slug]))


@require_POST
def report_action(request: HttpRequest, slug: str, pk: int, link: int, action: str):
    """Unlink a report from the study, or make it the primary one."""
    review, _ = review_for_user(request, slug, roles=EDITOR_ROLES)
    study = study_of_review(review, pk)
    found = get_object_or_404(report_links(), study=study, pk=link)
    found.study = study
    citation = found.reference.citation[:80]

    def unlink() -> str:
        report_unlink(link=found, user=request.user)
        return (
            f"Unlinked: {citation}. PRISMA counts it as a study of its own until it joins a study."
        )

    def primary() -> str:
        report_set_primary(link=found, user=request.user)
        return f"Primary report: {citation}"

    run_action(request, action, {"unlink": unlink, "primary": primary})
    return back(request, reverse("extraction:study-detail", args=[review.slug, pk]) + "#reports")
