"""The one place that decides who may see and change a review. The role sets are
screening.constants' EDITOR_ROLES and OWNER_ROLES."""

from collections.abc import Collection

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.http import url_has_allowed_host_and_scheme

from screening.models import Membership, Review


def review_for_user(
    request: HttpRequest, slug: str, *, roles: Collection[str] | None = None
) -> tuple[Review, Membership]:
    """The review and the user's membership of it.

    404 for anyone who is not a member (an outsider learns nothing, not even that the review
    exists); 403 for a member whose role does not allow the action.
    """
    review = get_object_or_404(Review, slug=slug)
    membership = Membership.objects.in_review(review).filter(user=request.user).first()
    if membership is None:
        raise Http404("No such review.")
    if roles is not None and membership.role not in roles:
        raise PermissionDenied("Your role in this review does not allow this.")
    return review, membership


def next_url(request: HttpRequest, fallback: str) -> str:
    """Where to go after a form: the `next` it carries if that is a page of this site, else
    `fallback`. The one check of every `next` (Django's own: "//evil.example" and
    "https://evil.example" are refused, as is plain http when the request came over https)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback
