"""The one way audit events are written, and the check of a review's chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from ..constants import AuditAction
from ..models import AuditEvent, Review


def review_lock(review: Review) -> None:
    """Lock the review's row until the transaction ends. Every write that changes screening or
    the audit log takes it first, so that they all take their locks in one order (review, then
    the rows of the review) and the audit chain is appended one event at a time."""
    Review.objects.select_for_update().filter(pk=review.pk).values_list("pk", flat=True).first()


def event_hash(
    *,
    review_id: int,
    seq: int,
    prev_hash: str,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    before: Any,
    after: Any,
    created_at,
) -> str:
    """sha256 of the event's fields and the previous hash, in a canonical JSON form."""
    payload = {
        "review": review_id,
        "seq": seq,
        "prev": prev_hash,
        "actor": actor_id,
        "action": str(action),
        "object_type": object_type,
        "object_id": str(object_id),
        "before": before,
        "after": after,
        "at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def audit_record(
    *,
    review: Review,
    actor: AbstractBaseUser | None,
    action: AuditAction,
    obj: Any,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Append an audit event to the review's chain. Call inside the service's transaction, so
    both land or neither; the review's row is locked until then. (Outside one, it makes its
    own: the lock and the append must not be two transactions.)"""
    with transaction.atomic(savepoint=False):
        return _append(
            review=review, actor=actor, action=action, obj=obj, before=before, after=after
        )


def _append(*, review, actor, action, obj, before, after) -> AuditEvent:
    review_lock(review)
    last = (
        AuditEvent.objects.filter(review=review).order_by("-seq").values_list("seq", "hash").first()
    )
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, "")
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    event = AuditEvent(
        review=review,
        actor_id=actor_id,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        before=before,
        after=after,
        created_at=timezone.now(),
        seq=seq,
        prev_hash=prev_hash,
    )
    event.hash = _hash_of(event)
    event.save()
    return event


def _hash_of(event: AuditEvent) -> str:
    return event_hash(
        review_id=event.review_id,
        seq=event.seq,
        prev_hash=event.prev_hash,
        actor_id=event.actor_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        before=event.before,
        after=event.after,
        created_at=event.created_at,
    )


@dataclass
class ChainBreak:
    seq: int
    event_id: int
    problem: str


def audit_chain_verify(review: Review) -> tuple[int, ChainBreak | None]:
    """Recompute the review's chain: (events checked, the first broken link or None)."""
    expected_seq, prev_hash, checked = 1, "", 0
    for event in AuditEvent.objects.filter(review=review).order_by("seq").iterator(chunk_size=2000):
        checked += 1
        if event.seq != expected_seq:
            return checked, ChainBreak(
                event.seq,
                event.pk,
                f"event {expected_seq} is missing: the chain jumps to {event.seq}",
            )
        if event.prev_hash != prev_hash:
            return checked, ChainBreak(
                event.seq, event.pk, "it does not point at the previous event's hash"
            )
        if _hash_of(event) != event.hash:
            return checked, ChainBreak(
                event.seq, event.pk, "its fields do not match its hash: it was changed"
            )
        expected_seq, prev_hash = event.seq + 1, event.hash
    return checked, None
