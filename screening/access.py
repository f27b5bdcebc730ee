"""The one place that decides who may see and change a review."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from .constants import Role
from .models import Membership, Review

# Who may do what, by role. Viewers read; reviewers also import and judge duplicates;
# owners also manage members.
CAN_EDIT = {Role.OWNER, Role.REVIEWER}
CAN_MANAGE = {Role.OWNER}


def review_for_user(
    request: HttpRequest, slug: str, *, roles: set[str] | None = None
) -> tuple[Review, Membership]:
    """The review and the user's membership of it.

    404 for anyone who is not a member (an outsider learns nothing, not even that the review
    exists); 403 for a member whose role does not allow the action.
    """
    review = get_object_or_404(Review, slug=slug)
    membership = Membership.objects.filter(review=review, user=request.user).first()
    if membership is None:
        raise Http404("No such review.")
    if roles is not None and membership.role not in roles:
        raise PermissionDenied("Your role in this review does not allow this.")
    return review, membership
