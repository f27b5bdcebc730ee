"""The checks every extracted number passes, in words a reviewer understands. One place for
each rule: the models' clean() methods call these, and so every form and service does."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError


def check_interval(
    errors: dict[str, list[str]],
    *,
    estimate: Decimal | None,
    low: Decimal | None,
    high: Decimal | None,
    what: str,
    positive: bool = False,
    percent: bool = False,
    fields: tuple[str, str, str] = ("value", "ci_low", "ci_high"),
) -> None:
    """lower <= estimate <= upper; both bounds or neither; ratios positive; percentages 0-100."""
    value_field, low_field, high_field = fields
    if (low is None) != (high is None):
        errors.setdefault(low_field if low is None else high_field, []).append(
            "Give both bounds of the confidence interval, or neither."
        )
    for field, number in ((value_field, estimate), (low_field, low), (high_field, high)):
        if number is None:
            continue
        if positive and number <= 0:
            errors.setdefault(field, []).append(f"A {what} and its bounds are above 0.")
        if percent and not 0 <= number <= 100:
            errors.setdefault(field, []).append("A percentage is between 0 and 100.")
    if low is not None and high is not None and low > high:
        errors.setdefault(low_field, []).append(
            f"The lower bound ({low}) is above the upper bound ({high})."
        )
    if estimate is not None and low is not None and estimate < low:
        errors.setdefault(value_field, []).append(
            f"The {what} ({estimate}) is below the lower bound of its interval ({low})."
        )
    if estimate is not None and high is not None and estimate > high:
        errors.setdefault(value_field, []).append(
            f"The {what} ({estimate}) is above the upper bound of its interval ({high})."
        )
    if estimate is None and (low is not None or high is not None):
        errors.setdefault(value_field, []).append("An interval needs its estimate.")


def check_events(errors: dict[str, list[str]], *, events: int | None, n: int | None) -> None:
    if events is not None and n is not None and events > n:
        errors.setdefault("events", []).append(
            f"There cannot be more events ({events}) than patients ({n})."
        )


def raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)
