"""The exclusion audit page, drawing a verification sample, and re-screening it blind."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from references.models import Reference
from screening.constants import EDITOR_ROLES, OWNER_ROLES, Stage
from screening.decisions.highlight import highlighter_for
from screening.models import VerificationSample
from screening.permissions.access import review_for_user
from screening.permissions.actions import attempt
from screening.permissions.blinding import VoteView
from screening.verification.selectors import exclusions, reason_distribution
from screening.verification.services import (
    next_to_verify,
    single_reviewer_exclusions,
    verification_check,
    verification_draw,
    verification_result,
)

EXCLUSIONS_PER_PAGE = 50


def exclusion_audit(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    view = VoteView.of(review, membership)
    page = Paginator(exclusions(review), EXCLUSIONS_PER_PAGE).get_page(request.GET.get("page"))
    samples = [
        (sample, verification_result(sample))
        for sample in review.samples.select_related("reviewer", "drawn_by").prefetch_related(
            "checks"
        )
    ]
    context = {
        "review": review,
        "membership": membership,
        "page": page,
        "distributions": [
            (Stage(stage).label, reason_distribution(review, stage, view))
            for stage in Stage.screened()
        ],
        "single": {
            Stage(stage).label: single_reviewer_exclusions(review, stage).count()
            for stage in Stage.screened()
        },
        "samples": samples,
        "can_manage": membership.can_manage,
        "screeners": get_user_model()
        .objects.filter(memberships__review=review, memberships__role__in=EDITOR_ROLES)
        .order_by("username"),
        "stages": [(s, Stage(s).label) for s in Stage.screened()],
    }
    return render(request, "screening/verification/exclusion_audit.html", context)


@require_POST
def verification_draw_view(request: HttpRequest, slug: str) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=OWNER_ROLES)
    reviewer = get_user_model().objects.filter(pk=request.POST.get("reviewer") or 0).first()
    try:
        percent = int(request.POST.get("percent") or 0)
        seed = int(request.POST.get("seed") or 0)
    except ValueError as error:
        messages.error(request, str(error))
        return redirect("screening:exclusion-audit", review.slug)

    def draw() -> str:
        sample = verification_draw(
            review=review,
            stage=request.POST.get("stage", ""),
            percent=percent,
            seed=seed,
            reviewer=reviewer,
            user=request.user,
        )
        return (
            f"Drew {len(sample.references)} of {sample.population} single-reviewer exclusions "
            f"for {reviewer.get_username()} to re-screen."
        )

    attempt(request, draw)
    return redirect("screening:exclusion-audit", review.slug)


def verification_screen(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The assigned reviewer re-screens the sample one reference at a time, blind: the earlier
    decision is not shown."""
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    sample = get_object_or_404(VerificationSample, review=review, pk=pk)
    if request.method == "POST":
        reference = get_object_or_404(Reference, pk=request.POST.get("reference") or 0)

        def check() -> None:
            verification_check(
                sample=sample,
                reference=reference,
                verdict=request.POST.get("verdict", ""),
                reviewer=request.user,
            )

        attempt(request, check)
        return redirect("screening:verification-screen", review.slug, sample.pk)
    context = {
        "review": review,
        "membership": membership,
        "sample": sample,
        "reference": next_to_verify(sample),
        "result": verification_result(sample),
        "mine": request.user.pk == sample.reviewer_id,
        "highlighter": highlighter_for(review),
    }
    return render(request, "screening/verification/verification_screen.html", context)
