"""Verifying single-reviewer exclusions: an owner draws a seeded random sample of them, another
reviewer re-screens each one blind, and the rate of wrong exclusions is estimated with its
confidence interval. The draw and every check are audit events."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet

from references.models import Reference
from screening.audit.chain import audit_record, review_lock
from screening.constants import (
    EDITOR_ROLES,
    OWNER_ROLES,
    AuditAction,
    ItemState,
    Stage,
    Verdict,
)
from screening.decisions.agreement import wilson_interval
from screening.decisions.services import ScreeningRefused
from screening.models import (
    Membership,
    Review,
    ScreeningItem,
    VerificationCheck,
    VerificationSample,
    Vote,
)


def single_reviewer_exclusions(review: Review, stage: str) -> QuerySet[ScreeningItem]:
    """References excluded at a stage on one reviewer's vote alone (not resolved)."""
    return ScreeningItem.objects.in_review(review).filter(
        stage=stage, state=ItemState.EXCLUDED, votes=1, resolved=False
    )


@transaction.atomic
def verification_draw(
    *,
    review: Review,
    stage: str,
    percent: int,
    seed: int,
    reviewer: AbstractBaseUser,
    user: AbstractBaseUser,
) -> VerificationSample:
    """Draw `percent`% (at least one) of the single-reviewer exclusions at `stage` that
    `reviewer` did not make, in an order the seed repeats."""
    if not Membership.objects.in_review(review).filter(user=user, role__in=OWNER_ROLES).exists():
        raise ScreeningRefused("Only the review's owners draw verification samples.")
    if (
        not Membership.objects.in_review(review)
        .filter(user=reviewer, role__in=EDITOR_ROLES)
        .exists()
    ):
        raise ScreeningRefused("The re-screening reviewer must be an owner or reviewer here.")
    if stage not in Stage.screened():
        raise ScreeningRefused("Samples are drawn at title and abstract or at full text.")
    if not 1 <= percent <= 100:
        raise ScreeningRefused("Draw between 1% and 100%.")
    review_lock(review)
    by_others = Vote.objects.filter(item__in=single_reviewer_exclusions(review, stage)).exclude(
        reviewer=reviewer
    )
    population = sorted(by_others.values_list("item__reference_id", flat=True))
    if not population:
        raise ScreeningRefused(
            "There is no exclusion by a single reviewer other than the one chosen to re-screen."
        )
    size = max(1, math.ceil(len(population) * percent / 100))
    sampled = random.Random(seed).sample(population, size)
    sample = VerificationSample.objects.create(
        review=review,
        stage=stage,
        percent=percent,
        seed=seed,
        reviewer=reviewer,
        drawn_by=user,
        population=len(population),
        references=sampled,
    )
    audit_record(
        review=review,
        actor=user,
        action=AuditAction.VERIFY_DRAW,
        obj=sample,
        after={
            "stage": stage,
            "percent": percent,
            "seed": seed,
            "population": len(population),
            "references": sampled,
            "reviewer": reviewer.get_username(),
        },
    )
    return sample


@transaction.atomic
def verification_check(
    *,
    sample: VerificationSample,
    reference: Reference,
    verdict: str,
    reviewer: AbstractBaseUser,
) -> VerificationCheck:
    """The assigned reviewer's blind verdict on one sampled reference, recorded once."""
    if reviewer.pk != sample.reviewer_id:
        raise ScreeningRefused("This sample is for another reviewer to re-screen.")
    if reference.pk not in sample.references:
        raise ScreeningRefused("That reference is not in the sample.")
    if verdict not in Verdict.values:
        raise ScreeningRefused(f"'{verdict}' is not a decision: include, exclude or maybe.")
    review_lock(sample.review)
    existing = VerificationCheck.objects.filter(sample=sample, reference=reference).first()
    if existing is not None:
        return existing
    check = VerificationCheck.objects.create(
        sample=sample, reference=reference, verdict=verdict, reviewer=reviewer
    )
    audit_record(
        review=sample.review,
        actor=reviewer,
        action=AuditAction.VERIFY_CHECK,
        obj=check,
        after={"sample": sample.pk, "reference": reference.pk, "verdict": verdict},
    )
    return check


@dataclass
class VerificationResult:
    sampled: int
    checked: int
    wrongly_excluded: int
    low: float | None  # 95% Wilson interval of the rate of wrong exclusions
    high: float | None

    @property
    def rate(self) -> float | None:
        return self.wrongly_excluded / self.checked if self.checked else None

    @property
    def remaining(self) -> int:
        return self.sampled - self.checked


def verification_result(sample: VerificationSample) -> VerificationResult:
    checks = list(sample.checks.all())
    wrong = sum(1 for check in checks if check.wrongly_excluded)
    interval = wilson_interval(wrong, len(checks))
    return VerificationResult(
        sampled=len(sample.references),
        checked=len(checks),
        wrongly_excluded=wrong,
        low=interval[0] if interval else None,
        high=interval[1] if interval else None,
    )


def next_to_verify(sample: VerificationSample) -> Reference | None:
    done = set(sample.checks.values_list("reference_id", flat=True))
    for reference_id in sample.references:
        if reference_id not in done:
            return Reference.objects.get(pk=reference_id)
    return None
