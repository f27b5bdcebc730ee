"""The owner's screening settings (reviewers per stage, blind screening, when a reason is
required) and the review's exclusion reasons with their hotkeys."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from screening.audit.chain import audit_record
from screening.constants import (
    AuditAction,
)
from screening.models import (
    ExclusionReason,
    Review,
)
from screening.prioritisation.bookkeeping import (
    ranking_request,
)

# --- Settings and reasons ------------------------------------------------------------------------

SETTING_FIELDS = (
    "reviewers_title_abstract",
    "reviewers_full_text",
    "blind",
    "prioritise",
    "reason_required_title_abstract",
    "full_text_reasons_conflict",
    "criteria",
    "highlight_include",
    "highlight_exclude",
    "previous_studies",
    "previous_reports",
)

DEFAULT_REASONS = (
    "Wrong study design",
    "Wrong patient population",
    "Wrong intervention",
    "Wrong comparator",
    "Wrong outcomes",
    "Not a primary report",
    "Duplicate report",
)


@transaction.atomic
def review_settings_update(*, review: Review, user: AbstractBaseUser, **values) -> Review:
    """Change the review's screening settings (owners). Decisions already made keep the rules
    they were made under."""
    unknown = set(values) - set(SETTING_FIELDS)
    if unknown:
        raise ValueError(f"not screening settings: {sorted(unknown)}")
    before = {name: getattr(review, name) for name in values}
    changed = {name: value for name, value in values.items() if before[name] != value}
    if not changed:
        return review
    for name, value in changed.items():
        setattr(review, name, value)
    review.full_clean(exclude=["slug"])
    review.save(update_fields=list(changed))
    audit_record(
        review=review,
        actor=user,
        action=AuditAction.SETTINGS,
        obj=review,
        before={name: before[name] for name in changed},
        after=changed,
    )
    if changed.get("prioritise"):  # switched on: rank what is waiting now
        ranking_request(review)
    return review


def _check_hotkey(review: Review, hotkey: int | None, stages: str, exclude_pk=None) -> None:
    if hotkey is None:
        return
    if not 1 <= hotkey <= 9:
        raise ValidationError("A hotkey is a digit from 1 to 9.")
    taken = review.reasons.filter(hotkey=hotkey, retired=False).exclude(pk=exclude_pk)
    for other in taken:
        if "both" in (stages, other.stages) or stages == other.stages:
            raise ValidationError(f"The key {hotkey} is taken by '{other.label}'.")


@transaction.atomic
def reason_create(
    *,
    review: Review,
    user: AbstractBaseUser | None,
    label: str,
    stages: str = "both",
    hotkey: int | None = None,
) -> ExclusionReason:
    label = label.strip()
    if not label:
        raise ValidationError("A reason needs a label.")
    if review.reasons.filter(label__iexact=label, retired=False).exists():
        raise ValidationError(f"The review has the reason '{label}' already.")
    _check_hotkey(review, hotkey, stages)
    position = (review.reasons.order_by("-position").values_list("position", flat=True).first()
                or 0) + 1  # fmt: skip
    reason = ExclusionReason.objects.create(
        review=review, label=label, stages=stages, hotkey=hotkey, position=position
    )
    audit_record(
        review=review,
        actor=user,
        action=AuditAction.REASON_CREATE,
        obj=reason,
        after={"label": label, "stages": stages, "hotkey": hotkey},
    )
    return reason


@transaction.atomic
def reason_update(*, reason: ExclusionReason, user: AbstractBaseUser, **values) -> ExclusionReason:
    """Edit a reason's label, stages, hotkey, place or retirement. Past decisions keep the label
    they were made with."""
    allowed = {"label", "stages", "hotkey", "position", "retired"}
    if set(values) - allowed:
        raise ValueError(f"not reason fields: {sorted(set(values) - allowed)}")
    if "label" in values:
        values["label"] = values["label"].strip()
        if not values["label"]:
            raise ValidationError("A reason needs a label.")
    merged = {name: values.get(name, getattr(reason, name)) for name in allowed}
    if not merged["retired"]:
        _check_hotkey(reason.review, merged["hotkey"], merged["stages"], exclude_pk=reason.pk)
    before = {name: getattr(reason, name) for name in values}
    for name, value in values.items():
        setattr(reason, name, value)
    reason.save(update_fields=list(values))
    audit_record(
        review=reason.review,
        actor=user,
        action=AuditAction.REASON_EDIT,
        obj=reason,
        before=before,
        after=values,
    )
    return reason


def reasons_create_defaults(*, review: Review, user: AbstractBaseUser | None) -> None:
    """A new review starts with the reasons most reviews use, hotkeys 1 to 7."""
    for number, label in enumerate(DEFAULT_REASONS, start=1):
        reason_create(review=review, user=user, label=label, hotkey=number)
