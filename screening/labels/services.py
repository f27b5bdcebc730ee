"""Writes of labels: making, renaming and deleting a review's labels, and putting them on
references or taking them off (one reference, or every reference of a filtered list). Each
write is audited in its transaction; an event of a label on a reference carries the reference
and the stage it is open at, and an event of a private label says so, so that the audit log
hides them as the pages do (VoteView.events)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from screening.audit.chain import audit_record, review_lock
from screening.constants import AuditAction, LabelColour, Role
from screening.labels.common import LabelRefused, in_review, open_stages, writer_membership
from screening.models import Label, ReferenceLabel, Review
from screening.models.labels import LABEL_NAME_LENGTH
from screening.permissions.blinding import VoteView
from screening.permissions.labels import labels_for, uses_visible


def _clean(name: str, colour: str) -> tuple[str, str]:
    name = " ".join((name or "").split())
    if not name:
        raise LabelRefused("Give the label a name.")
    if len(name) > LABEL_NAME_LENGTH:
        raise LabelRefused(f"A label's name has at most {LABEL_NAME_LENGTH} characters.")
    if colour not in LabelColour.values:
        raise LabelRefused("Choose one of the colours.")
    return name, colour


def _name_taken(review: Review, user, name: str, private: bool, label: Label | None) -> bool:
    """Shared names are unique in the review, private ones among their maker's own labels; a
    teammate's private label never blocks a name (it would tell them it exists)."""
    same = Label.objects.in_review(review).filter(name__iexact=name, private=private)
    if private:
        same = same.filter(created_by_id=user.pk)
    if label is not None:
        same = same.exclude(pk=label.pk)
    return same.exists()


def _may_manage(label: Label, user: AbstractBaseUser) -> None:
    """A private label is its maker's alone; a shared one its maker's and the owners'."""
    membership = writer_membership(label.review, user)
    if label.created_by_id == user.pk:
        return
    if label.private:
        raise LabelRefused("No such label.")  # as if it did not exist: it is someone else's
    if membership.role != Role.OWNER:
        raise LabelRefused("Only the label's maker or an owner can rename or delete it.")


def _facts(label: Label) -> dict:
    return {"name": label.name, "colour": label.colour, "private": label.private}


@transaction.atomic
def label_create(
    *, review: Review, user: AbstractBaseUser, name: str, colour: str, private: bool = False
) -> Label:
    """A new label of the review, shared with the team or private to `user`."""
    writer_membership(review, user)
    name, colour = _clean(name, colour)
    review_lock(review)
    if _name_taken(review, user, name, private, None):
        raise LabelRefused(f"There is already a label called ‘{name}’.")
    label = Label.objects.create(
        review=review, name=name, colour=colour, private=private, created_by=user
    )
    audit_record(
        review=review,
        review_locked=True,
        actor=user,
        action=AuditAction.LABEL_CREATE,
        obj=label,
        after=_facts(label),
    )
    return label


@transaction.atomic
def label_update(*, label: Label, user: AbstractBaseUser, name: str, colour: str) -> Label:
    """Rename or recolour a label (whether it is private stays as it was made)."""
    _may_manage(label, user)
    name, colour = _clean(name, colour)
    review_lock(label.review)
    if _name_taken(label.review, user, name, label.private, label):
        raise LabelRefused(f"There is already a label called ‘{name}’.")
    before = _facts(label)
    label.name, label.colour = name, colour
    label.save(update_fields=["name", "colour"])
    audit_record(
        review=label.review,
        review_locked=True,
        actor=user,
        action=AuditAction.LABEL_EDIT,
        obj=label,
        before={"name": before["name"], "colour": before["colour"]},
        after=_facts(label),
    )
    return label


@transaction.atomic
def label_delete(*, label: Label, user: AbstractBaseUser) -> None:
    """Delete a label and take it off every reference. The event names the label, not how
    many references it was on: that number would count uses a member may not see."""
    _may_manage(label, user)
    review = label.review
    review_lock(review)
    facts = _facts(label)
    audit_record(
        review=review,
        review_locked=True,
        actor=user,
        action=AuditAction.LABEL_DELETE,
        obj=label,
        before={"name": facts["name"], "colour": facts["colour"]},
        after={"private": facts["private"]},
    )
    label.delete()


def _usable(review: Review, user: AbstractBaseUser, label_id: int) -> Label:
    label = labels_for(review, user.pk).filter(pk=label_id).select_related("review").first()
    if label is None:
        raise LabelRefused("No such label.")
    return label


def _use_event(use: ReferenceLabel, label: Label, stage: str, **more) -> dict:
    return {
        "label": label.pk,
        "name": label.name,
        "reference": use.reference_id,
        "stage": stage,
        "private": label.private,
        **more,
    }


@transaction.atomic
def label_apply(
    *, review: Review, label_id: int, reference_ids: list[int], user: AbstractBaseUser,
    view: VoteView,
) -> int:  # fmt: skip
    """Put a label on references (those of the review); how many it was put on. A reference
    on which `view` already shows the label is left as it is."""
    writer_membership(review, user)
    label = _usable(review, user, label_id)
    review_lock(review)
    ids = in_review(review, reference_ids)
    shown = set(
        uses_visible(review, view)
        .filter(label=label, reference_id__in=ids)
        .values_list("reference_id", flat=True)
    )
    ids = [pk for pk in ids if pk not in shown]
    stages = open_stages(review, ids)
    # Rows of this member's that `view` would hide do not exist: a member sees their own.
    uses = ReferenceLabel.objects.bulk_create(
        [
            ReferenceLabel(
                review=review,
                label=label,
                reference_id=pk,
                applied_by=user,
                stage=stages.get(pk, ""),
            )
            for pk in ids
        ]
    )
    for use in uses:
        audit_record(
            review=review,
            review_locked=True,
            actor=user,
            action=AuditAction.LABEL_APPLY,
            obj=use,
            after=_use_event(use, label, use.stage),
        )
    return len(uses)


@transaction.atomic
def label_remove(
    *, review: Review, label_id: int, reference_ids: list[int], user: AbstractBaseUser,
    view: VoteView,
) -> int:  # fmt: skip
    """Take a label off references: every use of it there that `view` shows (the member's own,
    and teammates' they may see); how many references it came off."""
    writer_membership(review, user)
    label = _usable(review, user, label_id)
    review_lock(review)
    uses = list(
        uses_visible(review, view)
        .filter(label=label, reference_id__in=reference_ids)
        .select_related("applied_by")
    )
    stages = open_stages(review, [use.reference_id for use in uses])
    for use in uses:
        by = {} if use.applied_by_id == user.pk else {"applied_by": use.applied_by.get_username()}
        audit_record(
            review=review,
            review_locked=True,
            actor=user,
            action=AuditAction.LABEL_REMOVE,
            obj=use,
            after=_use_event(use, label, stages.get(use.reference_id, ""), **by),
        )
    ReferenceLabel.objects.filter(pk__in=[use.pk for use in uses]).delete()
    return len({use.reference_id for use in uses})
