"""The one way audit events are written, and the check of a review's chain."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from screening.audit.signing import canonical, current_key, known_keys, sign
from screening.constants import AuditAction
from screening.models import AuditEvent, AuditHead, Review


def review_lock(review: Review) -> None:
    """Lock the review's row until the transaction ends. Every write that changes screening or
    the audit log takes it first, so that they all take their locks in one order (review, then
    the rows of the review) and the audit chain is appended one event at a time."""
    Review.objects.select_for_update().filter(pk=review.pk).values_list("pk", flat=True).first()


def event_payload(
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
) -> dict[str, Any]:
    """What an event's hash covers: its fields and the previous event's hash."""
    return {
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


def event_hash(**fields) -> str:
    """The unkeyed sha256 of an event, as chains were hashed before keyed hashes (migration
    0011 checks old chains with it before it signs them)."""
    text = canonical(event_payload(**fields))
    return hashlib.sha256(text.encode()).hexdigest()


def event_signature(event: AuditEvent, key: str) -> str:
    """The event's keyed hash (HMAC-SHA256 with the audit key)."""
    return sign(key, event_payload(**_fields(event)))


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "review_id": event.review_id,
        "seq": event.seq,
        "prev_hash": event.prev_hash,
        "actor_id": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "created_at": event.created_at,
    }


def head_payload(*, review_id: int, events: int, head: str) -> dict[str, Any]:
    """What a review's seal (and a receipt's count and head) signs."""
    return {"review": review_id, "events": events, "head": head}


def audit_record(
    *,
    review: Review,
    actor: AbstractBaseUser | None,
    action: AuditAction,
    obj: Any,
    before: dict | None = None,
    after: dict | None = None,
    review_locked: bool = False,
) -> AuditEvent:
    """Append an audit event to the review's chain. Call inside the service's transaction, so
    both land or neither; the review's row is locked until then. (Outside one, it makes its
    own: the lock and the append must not be two transactions.) `review_locked`: the service
    took review_lock itself earlier in this transaction, so the row is not locked twice."""
    with transaction.atomic(savepoint=False):
        if not review_locked:
            review_lock(review)
        return _append(
            review=review, actor=actor, action=action, obj=obj, before=before, after=after
        )


def _append(*, review, actor, action, obj, before, after) -> AuditEvent:
    last = AuditEvent.objects.in_review(review).order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, "")
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    key_name, key = current_key()
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
        key_id=key_name,
    )
    event.hash = event_signature(event, key)
    event.save()
    head_seal(review_id=review.pk, events=seq, head=event.hash)
    return event


def head_seal(*, review_id: int, events: int, head: str) -> None:
    """Sign the review's running count and last hash (inside the append's transaction)."""
    key_name, key = current_key()
    values = {
        "events": events,
        "head": head,
        "key_id": key_name,
        "seal": sign(key, head_payload(review_id=review_id, events=events, head=head)),
        "sealed_at": timezone.now(),
    }
    if not AuditHead.objects.filter(review_id=review_id).update(**values):
        AuditHead.objects.create(review_id=review_id, **values)


@dataclass
class ChainBreak:
    seq: int
    event_id: int
    problem: str


def audit_chain_verify(review: Review) -> tuple[int, ChainBreak | None]:
    """Recompute the review's chain of keyed hashes: (events checked, the first broken link or
    None). The seal, the decisions and receipts are checked by screening/audit/verify.py."""
    keys = known_keys()
    expected_seq, prev_hash, checked = 1, "", 0
    for event in AuditEvent.objects.in_review(review).order_by("seq").iterator(chunk_size=2000):
        checked += 1
        if event.seq != expected_seq:
            return checked, ChainBreak(
                event.seq,
                event.pk,
                f"event {expected_seq} is missing: the chain jumps to {event.seq}",
            )
        key = keys.get(event.key_id)
        if key is None:
            return checked, ChainBreak(event.seq, event.pk, _unknown_key(event.key_id))
        if event.prev_hash != prev_hash:
            return checked, ChainBreak(
                event.seq, event.pk, "it does not point at the previous event's hash"
            )
        if not hmac.compare_digest(event_signature(event, key), event.hash):
            return checked, ChainBreak(
                event.seq,
                event.pk,
                "its fields do not match its keyed hash: it was changed, or the chain was "
                "recomputed without the audit key",
            )
        expected_seq, prev_hash = event.seq + 1, event.hash
    return checked, None


def _unknown_key(name: str) -> str:
    if not name:
        return (
            "it was never signed with an audit key (its chain was already broken when the "
            "keyed hashes came in, so it was left as it was)"
        )
    return (
        f"it is signed with a key this server does not hold (key id {name}): set that key in "
        "AUDIT_KEY or AUDIT_PREVIOUS_KEYS"
    )
