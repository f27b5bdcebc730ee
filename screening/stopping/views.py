"""The review home's prioritisation panel: the order in use, the inclusions curve, and the
stopping rule (draw a sample, apply it, withdraw it)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from screening.constants import OWNER_ROLES, Stage
from screening.permissions.access import review_for_user
from screening.permissions.actions import attempt
from screening.stopping.services import (
    stopping_apply,
    stopping_sample_draw,
    stopping_withdraw,
)

TA = Stage.TITLE_ABSTRACT


def _percent(value: str | None, default: float) -> float:
    try:
        return float(value) / 100 if value else default
    except ValueError:
        return -1.0  # the service refuses it, in words


@require_POST
def stopping_draw_view(request: HttpRequest, slug: str) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=OWNER_ROLES)
    size = request.POST.get("size", "").strip()
    if not size.isdigit():
        messages.error(request, "Give the sample size as a whole number.")
        return redirect("screening:review-home", review.slug)

    def draw() -> str:
        sample = stopping_sample_draw(
            review=review,
            user=request.user,
            size=int(size),
            target=_percent(request.POST.get("target"), 0.95),
            confidence=_percent(request.POST.get("confidence"), 0.95),
        )
        return (
            f"Drew {sample.size:,} of the {sample.pool_size:,} unscreened records at random: "
            "reviewers are served them first."
        )

    attempt(request, draw)
    return redirect("screening:review-home", review.slug)


@require_POST
def stopping_apply_view(request: HttpRequest, slug: str) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=OWNER_ROLES)

    def apply() -> str:
        sample = stopping_apply(review=review, user=request.user)
        return (
            f"Screening stopped: {sample.marked:,} unscreened records were marked ineligible "
            "by automation tools (PRISMA shows them in that box)."
        )

    attempt(request, apply)
    return redirect("screening:review-home", review.slug)


@require_POST
def stopping_withdraw_view(request: HttpRequest, slug: str) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=OWNER_ROLES)

    def withdraw() -> str:
        stopping_withdraw(review=review, user=request.user)
        return "The stopping sample was withdrawn; screening goes on."

    attempt(request, withdraw)
    return redirect("screening:review-home", review.slug)
