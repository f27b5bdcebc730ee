"""A review's custom fields: their definitions (owners add, change and remove them, audited),
the JSON Schema of a study's values built from them, and a study's values checked against it
and saved (audited). The values a person types arrive as text and are read by the field's kind:
a number as a number, a date as YYYY-MM-DD, a choice as one of its values; blank is no value.

    schema = values_schema(fields)      # {"type": "object", "properties": {...}, ...}
    custom_values_save(study=study, user=user, typed={"funding": "Akeso", "follow_up": "18.5"})
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from jsonschema import Draft202012Validator, FormatChecker

from screening.audit.chain import audit_record, review_lock
from screening.constants import AuditAction
from screening.models import Membership, Review

from .models import CustomField, Study
from .services import ExtractionRefused, check_editor

TEXT_LENGTH = 2000


def values_schema(fields: list[CustomField]) -> dict[str, Any]:
    """The JSON Schema every study's values of the review must meet."""
    properties: dict[str, Any] = {}
    for field in fields:
        if field.kind == CustomField.NUMBER:
            properties[field.key] = {"type": "number"}
        elif field.kind == CustomField.CHOICE:
            properties[field.key] = {"enum": list(field.choices)}
        elif field.kind == CustomField.DATE:
            properties[field.key] = {"type": "string", "format": "date"}
        else:
            properties[field.key] = {"type": "string", "minLength": 1, "maxLength": TEXT_LENGTH}
        properties[field.key]["title"] = field.label
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": [field.key for field in fields if field.required],
        "additionalProperties": False,
    }


def _read(field: CustomField, text: str) -> Any:
    """A typed value as its kind reads it; ExtractionRefused, in words, when it cannot be."""
    text = text.strip()
    if field.kind == CustomField.NUMBER:
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise ExtractionRefused(f"{field.label}: “{text}” is not a number.") from None
        if not number.is_finite():
            raise ExtractionRefused(f"{field.label}: “{text}” is not a number.")
        return int(number) if number == number.to_integral_value() else float(number)
    return text


def _problem(error, fields: Mapping[str, CustomField]) -> str:
    """A schema error in words a reviewer understands."""
    if error.validator == "required":
        missing = error.message.split("'")[1]
        field = fields.get(missing)
        return f"{field.label if field else missing}: a value is required."
    key = error.path[0] if error.path else ""
    field = fields.get(key)
    label = field.label if field else key
    if error.validator == "enum":
        return f"{label}: choose one of {', '.join(map(str, error.validator_value))}."
    if error.validator == "format":
        return f"{label}: “{error.instance}” is not a date (write it as YYYY-MM-DD)."
    if error.validator == "maxLength":
        return f"{label}: at most {TEXT_LENGTH:,} characters."
    if error.validator == "additionalProperties":
        return "A value for a field the review does not have."
    return f"{label}: {error.message}."


def check_values(fields: list[CustomField], values: dict[str, Any]) -> None:
    """Refuse values that do not meet the schema of the review's `fields`, every problem said."""
    validator = Draft202012Validator(values_schema(fields), format_checker=FormatChecker())
    by_key = {field.key: field for field in fields}
    problems = [_problem(e, by_key) for e in sorted(validator.iter_errors(values), key=str)]
    if problems:
        raise ExtractionRefused(" ".join(problems))


@transaction.atomic
def custom_values_save(*, study: Study, user: AbstractBaseUser | None, typed: Mapping[str, str]):
    """Save the study's values of the review's custom fields from what was typed (a blank
    clears one), checked against the schema; audited with what changed."""
    check_editor(study.review, user)
    review_lock(study.review)
    fields = {field.key: field for field in CustomField.objects.filter(review=study.review)}
    values = {
        key: _read(fields[key], text)
        for key, text in typed.items()
        if key in fields and text.strip()
    }
    unknown = sorted(set(typed) - set(fields))
    if unknown:
        raise ExtractionRefused(f"The review has no field “{unknown[0]}”.")
    check_values(list(fields.values()), values)
    before = dict(study.custom or {})
    if values == before:
        return study
    study.custom = values
    study.save(update_fields=["custom", "updated_at"])
    changed = sorted(set(before) | set(values))
    audit_record(
        review=study.review,
        actor=user,
        action=AuditAction.STUDY_EDIT,
        obj=study,
        before={"custom": {k: before.get(k) for k in changed if before.get(k) != values.get(k)}},
        after={"custom": {k: values.get(k) for k in changed if before.get(k) != values.get(k)}},
    )
    return study


def custom_rows(review: Review, study: Study, typed: Mapping[str, str] | None = None):
    """(field, value as text) for each of the review's fields: the study's saved values, or
    what was typed in a refused save."""
    values = study.custom or {}
    return [
        (field, typed.get(field.key, "") if typed is not None else _text(values.get(field.key)))
        for field in CustomField.objects.filter(review=review)
    ]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# --- The fields themselves (owners) ---------------------------------------------------------------


def _owner(review: Review, user: AbstractBaseUser) -> None:
    membership = Membership.objects.in_review(review).filter(user_id=user.pk).first()
    if membership is None or not membership.can_manage:
        raise ExtractionRefused("Only the review's owners define its custom fields.")


def _choices(kind: str, text: str) -> list[str]:
    if kind != CustomField.CHOICE:
        return []
    found = list(dict.fromkeys(c.strip() for c in text.replace("\n", ",").split(",") if c.strip()))
    if len(found) < 2:
        raise ExtractionRefused("A choice needs at least two values, separated by commas.")
    return found


def _check_values_still_fit(field: CustomField) -> None:
    """A change that would make a study's saved value wrong is refused, naming the study."""
    fields = list(CustomField.objects.filter(review=field.review).exclude(pk=field.pk)) + [field]
    validator = Draft202012Validator(values_schema(fields), format_checker=FormatChecker())
    for study in Study.objects.in_review(field.review).exclude(custom={}):
        if not validator.is_valid(study.custom):
            raise ExtractionRefused(
                f"{study}'s value of “{field.label}” would not fit: change it on the study first."
            )


@transaction.atomic
def custom_field_save(
    *,
    review: Review,
    user: AbstractBaseUser,
    field: CustomField | None = None,
    key: str,
    label: str,
    kind: str,
    choices: str = "",
    required: bool = False,
    help_text: str = "",
) -> CustomField:
    """Add a field (`field` None) or change one; audited. Its key is fixed once studies hold
    values of it (exports are read by their keys)."""
    _owner(review, user)
    review_lock(review)
    if kind not in dict(CustomField.KINDS):
        raise ExtractionRefused("Choose the kind of field: text, number, choice or date.")
    new = field is None
    field = field or CustomField(review=review, position=review.custom_fields.count())
    before = (
        {}
        if new
        else {
            "key": field.key,
            "label": field.label,
            "kind": field.kind,
            "choices": field.choices,
            "required": field.required,
        }
    )
    if not new and key != field.key and _in_use(field):
        raise ExtractionRefused("Studies hold values of this field: its key cannot change.")
    field.key, field.label, field.kind = key.strip(), label.strip(), kind
    field.choices, field.required = _choices(kind, choices), required
    field.help_text = help_text.strip()
    field.full_clean()
    field.save()
    if not new:
        _check_values_still_fit(field)
    after = {
        "key": field.key,
        "label": field.label,
        "kind": field.kind,
        "choices": field.choices,
        "required": field.required,
    }
    audit_record(
        review=review,
        review_locked=True,
        actor=user,
        action=AuditAction.CUSTOM_FIELD,
        obj=field,
        before=before or None,
        after=after,
    )
    return field


def _in_use(field: CustomField) -> int:
    """How many of the review's studies hold a value of the field."""
    return Study.objects.in_review(field.review).filter(custom__has_key=field.key).count()


@transaction.atomic
def custom_field_delete(*, field: CustomField, user: AbstractBaseUser) -> None:
    """Remove a field no study holds a value of (clear them first: nothing is lost unseen)."""
    _owner(field.review, user)
    review_lock(field.review)
    used = _in_use(field)
    if used:
        raise ExtractionRefused(
            f"{used} stud{'y holds' if used == 1 else 'ies hold'} a value of “{field.label}”: "
            "clear them first."
        )
    audit_record(
        review=field.review,
        review_locked=True,
        actor=user,
        action=AuditAction.CUSTOM_FIELD,
        obj=field,
        before={"key": field.key, "label": field.label},
        after={"deleted": True},
    )
    field.delete()
