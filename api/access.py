"""The review an API request names, through the pages' own rule (screening.permissions):
404 for anyone not a member, the same answer as for a review that does not exist; 403 in words
for a member whose role does not allow the action; and what the member may see of others'
votes (VoteView, the one blinding rule)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from rest_framework.request import Request

from screening.models import Membership, Review
from screening.permissions.access import review_for_user
from screening.permissions.blinding import VoteView


@dataclass(frozen=True)
class Member:
    review: Review
    membership: Membership
    view: VoteView


def member_of(request: Request, slug: str, *, roles: Collection[str] | None = None) -> Member:
    """The review `slug` as the request's person sees it. Django's Http404 and PermissionDenied
    become DRF's 404 and 403 with the same sentence (rest_framework.views.exception_handler)."""
    review, membership = review_for_user(request, slug, roles=roles)
    return Member(review=review, membership=membership, view=VoteView.of(review, membership))
