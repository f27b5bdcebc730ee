"""The stopping rule in the app: an owner draws a random sample of the records nobody has
screened yet at title and abstract, reviewers screen it (the queue serves it first), the
hypergeometric test (screening/stopping/rule.py) says whether recall has reached the target with
the stated confidence, and if the owner applies it the records still unscreened are marked
ineligible by automation tools: PRISMA's box of that name, and a sentence in the methods."""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from screening.audit.chain import audit_record, review_lock
from screening.constants import (
    OWNER_ROLES,
    AuditAction,
    ItemState,
    RemovalReason,
    Stage,
    Verdict,
)
from screening.decisions.items import items_refresh
from screening.decisions.services import ScreeningRefused
from screening.models import Membership, Removal, Review, ScreeningItem, StoppingSample
from screening.models.ranking import pack_ids
from screening.stopping.rule import StoppingTest, hypergeometric_test, sample_size_needed

TA = Stage.TITLE_ABSTRACT
# Screened and relevant, for the test: a record counts as found if it moved on or is in
# conflict (at least one reviewer would include it), which can only make stopping harder.
FOUND_STATES = [ItemState.INCLUDED, ItemState.CONFLICT]
DONE_STATES = [ItemState.INCLUDED, ItemState.EXCLUDED, ItemState.CONFLICT]


def _owner(review: Review, user: AbstractBaseUser, what: str) -> None:
    if not Membership.objects.in_review(review).filter(user=user, role__in=OWNER_ROLES).exists():
        raise ScreeningRefused(f"Only the review's owners {what}.")


def unscreened(review: Review):
    """Records at title and abstract that no one has voted on."""
    return ScreeningItem.objects.in_review(review).filter(
        stage=TA, state=ItemState.AWAITING, votes=0
    )


def active_sample(review: Review) -> StoppingSample | None:
    """The sample being screened, if any."""
    return (
        StoppingSample.objects.in_review(review)
        .filter(stage=TA, withdrawn_at=None, applied_at=None)
        .first()
    )


def applied_sample(review: Review) -> StoppingSample | None:
    """The sample whose test stopped screening, unless undone."""
    return (
        StoppingSample.objects.in_review(review)
        .filter(stage=TA, withdrawn_at=None)
        .exclude(applied_at=None)
        .first()
    )


@dataclass
class StoppingStatus:
    sample: StoppingSample
    screened: int  # sample records screened (settled or in conflict)
    found: int  # relevant among them
    test: StoppingTest

    @property
    def complete(self) -> bool:
        return self.screened == self.sample.size


def stopping_status(sample: StoppingSample) -> StoppingStatus:
    """The test as the sample's screening stands now. One query."""
    states = list(
        ScreeningItem.objects.filter(
            review_id=sample.review_id, stage=sample.stage, reference_id__in=sample.ids.tolist()
        ).values_list("state", flat=True)
    )
    screened = sum(1 for state in states if state in DONE_STATES)
    found = sum(1 for state in states if state in FOUND_STATES)
    test = hypergeometric_test(
        found_before=sample.found_before,
        pool_size=sample.pool_size,
        sample_size=sample.size,
        sample_screened=screened,
        found_in_sample=found,
        screened_before=sample.screened_before,
        target=sample.target,
        confidence=sample.confidence,
    )
    return StoppingStatus(sample, screened, found, test)


def found_ids(review: Review) -> set[int]:
    """The references found relevant at title and abstract so far: moved on, in conflict, or
    waiting for a second vote after an include or maybe. Two queries."""
    found = set(
        ScreeningItem.objects.in_review(review)
        .filter(stage=TA, state__in=FOUND_STATES)
        .values_list("reference_id", flat=True)
    )
    found.update(
        ScreeningItem.objects.in_review(review)
        .filter(stage=TA, state=ItemState.AWAITING_SECOND)
        .filter(live_votes__verdict__in=[Verdict.INCLUDE, Verdict.MAYBE])
        .values_list("reference_id", flat=True)
    )
    return found


def screening_so_far(review: Review) -> tuple[int, set[int], int]:
    """(records screened, the relevant ones found, records unscreened) at title and
    abstract. Five queries."""
    counts = dict(
        ScreeningItem.objects.in_review(review)
        .filter(stage=TA)
        .exclude(state__in=[ItemState.REMOVED, ItemState.AUTOMATED])
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    pool = unscreened(review).count()
    screened = sum(counts.values()) - pool
    return screened, found_ids(review), pool


def suggested_size(found: int, pool: int, target: float = 0.95, confidence: float = 0.95) -> int:
    """The smallest sample that lets the team stop if it holds no relevant record, with
    `found` relevant records screened and `pool` unscreened."""
    return sample_size_needed(found_before=found, pool_size=pool, target=target,
                              confidence=confidence)  # fmt: skip


@transaction.atomic
def stopping_sample_draw(
    *,
    review: Review,
    user: AbstractBaseUser,
    size: int,
    target: float = 0.95,
    confidence: float = 0.95,
    seed: int | None = None,
) -> StoppingSample:
    """Draw `size` of the unscreened records at random for reviewers to screen next."""
    _owner(review, user, "draw the stopping rule's sample")
    if not 0 < target < 1 or not 0 < confidence < 1:
        raise ScreeningRefused("The recall target and the confidence are between 0% and 100%.")
    review_lock(review)
    if active_sample(review) is not None:
        raise ScreeningRefused(
            "A stopping sample is already being screened; apply or withdraw it first."
        )
    screened, found_set, _ = screening_so_far(review)
    found = len(found_set)
    pool = sorted(unscreened(review).values_list("reference_id", flat=True))
    if not pool:
        raise ScreeningRefused("Every record has been screened: there is nothing to sample.")
    if not 1 <= size <= len(pool):
        raise ScreeningRefused(f"Draw between 1 and {len(pool):,} records (all unscreened).")
    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    sample = StoppingSample.objects.create(
        review=review,
        stage=TA,
        target=target,
        confidence=confidence,
        pool_size=len(pool),
        screened_before=screened,
        found_before=found,
        reference_ids=pack_ids(rng.sample(pool, size)),
        drawn_by=user,
    )
    audit_record(
        review=review,
        actor=user,
        action=AuditAction.STOPPING_DRAW,
        obj=sample,
        after={
            "size": size,
            "pool": len(pool),
            "screened_before": screened,
            "found_before": found,
            "target": target,
            "confidence": confidence,
        },
    )
    return sample


@transaction.atomic
def stopping_apply(*, review: Review, user: AbstractBaseUser) -> StoppingSample:
    """Stop screening: mark every record no one has voted on as ineligible by automation
    tools. Only once the whole sample is screened and the test allows it."""
    _owner(review, user, "apply the stopping rule")
    review_lock(review)
    sample = active_sample(review)
    if sample is None:
        raise ScreeningRefused("Draw a stopping sample and screen it first.")
    status = stopping_status(sample)
    if not status.complete:
        left = sample.size - status.screened
        raise ScreeningRefused(
            f"{left:,} record{'s' if left != 1 else ''} of the sample still "
            f"need{'s' if left == 1 else ''} screening (or a conflict resolved)."
        )
    if not status.test.can_stop:
        raise ScreeningRefused(
            "The sample does not show the recall target is met: keep screening, or draw a "
            "larger sample."
        )
    marked = list(unscreened(review).values_list("reference_id", flat=True))
    detail = (
        f"Stopping rule: recall >= {sample.target:.0%} with {sample.confidence:.0%} "
        f"confidence (p = {status.test.p_value:.4f})"
    )
    Removal.objects.bulk_create(
        [
            Removal(
                review=review,
                reference_id=ref_id,
                reason=RemovalReason.AUTOMATION,
                detail=detail,
                created_by=user,
            )
            for ref_id in marked
        ],
        batch_size=1000,
    )
    items_refresh(review=review, reference_ids=marked)
    sample.applied_at = timezone.now()
    sample.applied_by = user
    sample.p_value = status.test.p_value
    sample.found_in_sample = status.found
    sample.sample_screened = status.screened
    sample.marked = len(marked)
    sample.save()
    audit_record(
        review=review,
        actor=user,
        action=AuditAction.STOPPING_APPLY,
        obj=sample,
        after={"marked": len(marked), "p_value": status.test.p_value, "found": status.found},
    )
    return sample


@transaction.atomic
def stopping_withdraw(*, review: Review, user: AbstractBaseUser) -> StoppingSample:
    """Withdraw the open sample, or undo the rule once applied: the records it marked go
    back to screening. The sample stays on record."""
    _owner(review, user, "withdraw the stopping rule")
    review_lock(review)
    sample = active_sample(review) or applied_sample(review)
    if sample is None:
        raise ScreeningRefused("There is no stopping sample to withdraw.")
    restored = []
    if sample.applied_at:
        restored = list(
            ScreeningItem.objects.in_review(review)
            .filter(stage=TA, state=ItemState.AUTOMATED)
            .values_list("reference_id", flat=True)
        )
        Removal.objects.bulk_create(
            [Removal(review=review, reference_id=r, removed=False, created_by=user)
             for r in restored],
            batch_size=1000,
        )  # fmt: skip
        items_refresh(review=review, reference_ids=restored)
    sample.withdrawn_at = timezone.now()
    sample.save(update_fields=["withdrawn_at"])
    audit_record(
        review=review,
        actor=user,
        action=AuditAction.STOPPING_CANCEL,
        obj=sample,
        after={"restored": len(restored)},
    )
    return sample
