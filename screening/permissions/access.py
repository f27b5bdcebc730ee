"""The one place that decides who may see and change a review. The role sets are
screening.constants' EDITOR_ROLES and OWNER_ROLES."""

from collections.abc import Collection

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from screening.constants import Role
from screening.models import Membership, Review


def review_for_user(
    request: HttpRequest, slug: str, *, roles: Collection[str] | None = None
) -> tuple[Review, Membership]:
    """The review and the user's membership of it.

    404 for anyone who is not a member (an outsider learns nothing, not even that the review
    exists); 403 for a member whose role does not allow the action.
    """
    # One query for both (every page of a review asks): a review that does not exist and one
    # the user is not a member of are the same 404.
    membership = (
        Membership.objects.select_related("review")
        .filter(review__slug=slug, user=request.user)
        .first()
    )
    if membership is None:
        raise Http404("No such review.")
    review = membership.review
    if roles is not None and membership.role not in roles:
        raise PermissionDenied(role_refusal(roles, membership.role))
    return review, membership


def memberships_of(user) -> QuerySet[Membership]:
    """The reviews a person belongs to (their memberships, with the review), newest review
    first: all that the review list, and the API's, show them."""
    return (
        Membership.objects.filter(user=user)
        .select_related("review")
        .order_by("-review__created_at", "-review_id")
    )


def role_refusal(roles: Collection[str], role: str) -> str:
    """Why a member may not: "This is for the review's owners; you are a reviewer here." The
    sentence the 403 page shows (screening/permissions/denied.py)."""
    allowed = [f"{label.lower()}s" for value, label in Role.choices if value in roles]
    who = " and ".join(allowed) or "no one"
    label = Role(role).label.lower() if role in Role.values else role
    article = "an" if label.startswith(tuple("aeiou")) else "a"
    return f"This is for the review's {who}; you are {article} {label} here."


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
