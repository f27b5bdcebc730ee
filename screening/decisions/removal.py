"""Removal before screening (PRISMA's "records removed for other reasons"): references no one
has voted on yet, taken out in bulk with a reason, and restored."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from screening.audit.chain import audit_record, review_lock
from screening.constants import (
    AuditAction,
    ItemState,
    RemovalReason,
    Stage,
)

# --- Before screening: removals -------------------------------------------------------------------
from screening.decisions.items import items_refresh
from screening.decisions.services import ScreeningRefused, screener_membership
from screening.models import (
    Removal,
    Review,
    ScreeningItem,
)


@transaction.atomic
def references_remove(
    *,
    review: Review,
    reference_ids: list[int],
    reason: str,
    detail: str = "",
    user: AbstractBaseUser,
) -> int:
    """Remove references before screening (outside the date range, language, retracted...).
    Only references no one has voted on yet; returns how many were removed."""
    screener_membership(review, user)
    if reason not in dict(RemovalReason.by_hand()):
        raise ScreeningRefused("Choose why the references are removed.")
    if reason == RemovalReason.OTHER and not detail.strip():
        raise ScreeningRefused("Say why, for a removal for another reason.")
    review_lock(review)
    waiting = list(
        ScreeningItem.objects.select_for_update(of=("self",))
        .filter(
            review=review,
            reference_id__in=reference_ids,
            stage=Stage.TITLE_ABSTRACT,  # PRISMA removes records before screening only
            state=ItemState.AWAITING,
            votes=0,
        )
        .values_list("reference_id", flat=True)
    )
    Removal.objects.bulk_create(
        [
            Removal(
                review=review,
                reference_id=ref_id,
                removed=True,
                reason=reason,
                detail=detail.strip(),
                created_by=user,
            )
            for ref_id in waiting
        ]
    )
    items_refresh(review=review, reference_ids=waiting)
    if waiting:
        audit_record(
            review=review,
            review_locked=True,
            actor=user,
            action=AuditAction.REMOVE,
            obj=review,
            after={"references": waiting, "reason": reason, "detail": detail.strip()},
        )
    return len(waiting)


@transaction.atomic
def references_restore(*, review: Review, reference_ids: list[int], user: AbstractBaseUser) -> int:
    """Put removed references back into screening; returns how many."""
    screener_membership(review, user)
    review_lock(review)
    removed = list(
        ScreeningItem.objects.in_review(review)
        .filter(reference_id__in=reference_ids, state=ItemState.REMOVED)
        .values_list("reference_id", flat=True)
    )
    Removal.objects.bulk_create(
        [
            Removal(review=review, reference_id=ref_id, removed=False, created_by=user)
            for ref_id in removed
        ]
    )
    items_refresh(review=review, reference_ids=removed)
    if removed:
        audit_record(
            review=review,
            review_locked=True,
            actor=user,
            action=AuditAction.RESTORE,
            obj=review,
            after={"references": removed},
        )
    return len(removed)
