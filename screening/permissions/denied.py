"""The 403 page (config/urls.py's handler403): why, in words, inside the review's own menu.

The reason is the PermissionDenied's message (review_for_user says which roles the page is for
and the person's own). The review and its menu are shown only to a member of it: an outsider
is answered 404 before any role is checked, and learns nothing here either.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from screening.constants import OWNER_ROLES
from screening.models import Membership

GENERIC_REASON = "You may not open this page or do this."


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    context: dict = {"reason": str(exception or "") or GENERIC_REASON}
    match = getattr(request, "resolver_match", None)  # None if refused before a view was found
    slug = match.kwargs.get("slug") if match else None
    if slug and request.user.is_authenticated:
        membership = (
            Membership.objects.filter(review__slug=slug, user=request.user)
            .select_related("review")
            .first()
        )
        if membership is not None:
            context |= {
                "review": membership.review,
                "membership": membership,
                "owners": Membership.objects.in_review(membership.review)
                .filter(role__in=OWNER_ROLES)
                .select_related("user"),
            }
    return render(request, "403.html", context, status=403)
