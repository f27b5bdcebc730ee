"""What the label and discussion services share: their refusal, the check that a member may
write, and the stage a reference is open at (which its labels and posts are stamped with)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from screening.constants import EDITOR_ROLES, ItemState, Stage
from screening.models import Membership, Record, Review, ScreeningItem
from screening.permissions.refusals import Refused

# Later stages first: a reference open at full text is stamped with it.
STAGE_ORDER = {stage: n for n, stage in enumerate(Stage.values)}


class LabelRefused(Refused):
    """A label or discussion action is not allowed; `str(error)` says why."""


def writer_membership(review: Review, user: AbstractBaseUser) -> Membership:
    """The member's row, if they may label and post (owners and reviewers); viewers read."""
    membership = Membership.objects.in_review(review).filter(user_id=user.pk).first()
    if membership is None or membership.role not in EDITOR_ROLES:
        raise LabelRefused("Only the review's owners and reviewers label and discuss references.")
    return membership


def open_stages(review: Review, reference_ids: list[int]) -> dict[int, str]:
    """reference id -> the stage it is open at (awaiting a vote or in conflict), the later one
    if two; references open nowhere are left out. Labels and posts are stamped with it, so
    that blind screening hides them while the votes there are hidden (VoteView.notes)."""
    found: dict[int, str] = {}
    for reference_id, stage in (
        ScreeningItem.objects.in_review(review)
        .filter(
            reference_id__in=reference_ids,
            stage__in=Stage.screened(),
            state__in=ItemState.open(),
        )
        .values_list("reference_id", "stage")
    ):
        if STAGE_ORDER[stage] >= STAGE_ORDER.get(found.get(reference_id, ""), -1):
            found[reference_id] = stage
    return found


def in_review(review: Review, reference_ids: list[int]) -> list[int]:
    """The given references that a record of the review points at, in the order given."""
    found = set(
        Record.objects.in_review(review)
        .filter(reference_id__in=reference_ids)
        .values_list("reference_id", flat=True)
    )
    return [pk for pk in dict.fromkeys(reference_ids) if pk in found]
