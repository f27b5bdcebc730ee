"""The review's menu in templates/includes/nav.html: `{% review_menu as menu %}`.

The links come from screening.permissions.menu (the one place that decides them). The member's
role is read from the page's `membership` when the view put it there (no extra query), else
looked up once.
"""

from django import template

from screening.models import Membership
from screening.permissions.menu import ShownGroup, review_menu

register = template.Library()


@register.simple_tag(name="review_menu", takes_context=True)
def review_menu_tag(context) -> list[ShownGroup]:
    review = context.get("review")
    request = context.get("request")
    if review is None or request is None or not request.user.is_authenticated:
        return []
    membership = context.get("membership")
    if (
        isinstance(membership, Membership)
        and membership.review_id == review.pk
        and membership.user_id == request.user.pk
    ):
        role = membership.role
    else:
        role = (
            Membership.objects.in_review(review)
            .filter(user=request.user)
            .values_list("role", flat=True)
            .first()
        )
    match = getattr(request, "resolver_match", None)
    return review_menu(review, role, current=match.view_name if match else "")
