"""`audit_verify`: everything that proves a review's log is the one the application wrote.

Four checks, each of which an insider with write access to the database (but not the audit
key, which lives in the environment) cannot pass after a tamper:

- chain: every event's keyed hash and its link to the one before (screening/audit/chain.py);
- seal: the review's signed running count and last hash match the chain's end, so deleting
  the last events, or rolling the count back, shows;
- decisions: every decision in the log is covered by its audit event (verdict, reason, note,
  reviewer, time), and every decision event still has its decision, so a verdict flipped in SQL
  shows even with the tables' triggers dropped;
- receipt (when given): a receipt downloaded earlier names a prefix (count and head hash) that
  the log must still hold unchanged; it anchors the log outside the database entirely.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from django.utils import timezone

from screening.audit.chain import audit_chain_verify, head_payload
from screening.audit.signing import current_key, known_keys, sign, signature_matches
from screening.models import AuditEvent, AuditHead, Decision, Review

RECEIPT_KIND = "screening audit receipt"
RECEIPT_VERSION = 1
DECISION_OBJECT = Decision._meta.label_lower
# The decision's fields its event records (decisions/services.py `_decision_dict`). Events
# written before "at" and "kind" were added lack them; what an event holds is compared.
COVERED = ("reference", "stage", "kind", "verdict", "reason", "note", "at")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class AuditReport:
    review: Review
    events: int = 0
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]


def audit_verify(review: Review, receipt: dict | None = None) -> AuditReport:
    """Run every check on the review's log (and the receipt, if one is given)."""
    report = AuditReport(review=review)
    checked, broken = audit_chain_verify(review)
    report.events = checked
    if broken is None:
        report.checks.append(Check("chain", True, f"{checked} events, every link whole"))
    else:
        report.checks.append(
            Check(
                "chain",
                False,
                f"the chain breaks at event {broken.seq} (id {broken.event_id}): "
                f"{broken.problem}; {broken.seq - 1} events before it are whole",
            )
        )
    report.checks.append(_seal_check(review))
    report.checks.append(_decisions_check(review))
    if receipt is not None:
        report.checks.append(receipt_check(review, receipt))
    return report


# --- seal ------------------------------------------------------------------------------------


def _seal_check(review: Review) -> Check:
    last = AuditEvent.objects.in_review(review).order_by("-seq").values_list("seq", "hash").first()
    count, head_hash = last if last else (0, "")
    head = AuditHead.objects.in_review(review).first()
    if head is None:
        if count == 0:
            return Check("seal", True, "no events and no seal")
        return Check("seal", False, "the review's sealed head is missing: it was deleted")
    key = known_keys().get(head.key_id)
    if key is None:
        return Check(
            "seal",
            False,
            f"the seal is signed with a key this server does not hold (key id {head.key_id})",
        )
    payload = head_payload(review_id=review.pk, events=head.events, head=head.head)
    if not signature_matches(key, payload, head.seal):
        return Check(
            "seal",
            False,
            "the sealed count or head does not match its signature: it was edited without the "
            "audit key",
        )
    if head.events > count:
        return Check(
            "seal",
            False,
            f"the seal counts {head.events} events but the log ends at event {count}: "
            f"the last {head.events - count} event(s) were deleted",
        )
    if head.events < count or head.head != head_hash:
        return Check(
            "seal",
            False,
            f"the log's end (event {count}) is not the sealed head (event {head.events}): "
            "events were added or replaced outside the application",
        )
    return Check("seal", True, f"the sealed head is event {count}")


# --- decisions -------------------------------------------------------------------------------


def decision_record_fields(decision: dict[str, Any]) -> dict[str, Any]:
    """A decision row (as values()) in its audit event's terms."""
    return {
        "reference": decision["reference_id"],
        "stage": decision["stage"],
        "kind": decision["kind"],
        "verdict": decision["verdict"],
        "reason": decision["reason_label"],
        "note": decision["note"],
        "at": decision["created_at"].astimezone(UTC).isoformat(timespec="microseconds"),
    }


def _decisions_check(review: Review) -> Check:
    events: dict[str, tuple[int, int | None, dict]] = {}
    for seq, object_id, actor_id, after in (
        AuditEvent.objects.in_review(review)
        .filter(object_type=DECISION_OBJECT)
        .order_by("seq")
        .values_list("seq", "object_id", "actor_id", "after")
        .iterator(chunk_size=2000)
    ):
        events.setdefault(object_id, (seq, actor_id, after or {}))
    problems: list[str] = []
    checked = 0
    rows = (
        Decision.objects.in_review(review)
        .order_by("id")
        .values(
            "id",
            "reference_id",
            "stage",
            "kind",
            "verdict",
            "reason_label",
            "note",
            "reviewer_id",
            "created_at",
        )  # fmt: skip
    )
    for row in rows.iterator(chunk_size=2000):
        checked += 1
        event = events.pop(str(row["id"]), None)
        if event is None:
            problems.append(f"decision {row['id']} has no audit event: it was added outside "
                            "the application")  # fmt: skip
            continue
        seq, actor_id, after = event
        if actor_id != row["reviewer_id"]:
            problems.append(f"decision {row['id']}'s reviewer is not the actor of its event "
                            f"{seq}")  # fmt: skip
        recorded = decision_record_fields(row)
        for name in COVERED:
            if name in after and after[name] != recorded[name]:
                problems.append(
                    f"decision {row['id']}'s {name} is {recorded[name]!r} but its event {seq} "
                    f"recorded {after[name]!r}"
                )
    for object_id, (seq, _, _) in sorted(events.items(), key=lambda item: item[1][0]):
        problems.append(f"event {seq} records decision {object_id}, which is no longer in the "
                        "log: it was deleted")  # fmt: skip
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        return Check("decisions", False, "; ".join(problems[:5]) + more)
    return Check("decisions", True, f"{checked} decisions, each covered by its event")


# --- receipts --------------------------------------------------------------------------------


def audit_receipt(review: Review) -> dict[str, Any]:
    """A signed statement of the log as it stands: its count and head hash, now. Keep it
    outside the database (with the PRISMA diagram for the paper, say): `audit_verify
    --receipt` later proves the log still holds that prefix unchanged."""
    head = AuditHead.objects.in_review(review).first()
    events, head_hash = (head.events, head.head) if head else (0, "")
    key_name, key = current_key()
    body = {
        "kind": RECEIPT_KIND,
        "version": RECEIPT_VERSION,
        "review": review.slug,
        "review_id": review.pk,
        "events": events,
        "head": head_hash,
        "issued_at": timezone.now().astimezone(UTC).isoformat(timespec="seconds"),
        "key_id": key_name,
    }
    return {**body, "signature": sign(key, body)}


def receipt_check(review: Review, receipt: Any) -> Check:
    if not isinstance(receipt, dict) or receipt.get("kind") != RECEIPT_KIND:
        return Check("receipt", False, "the file is not an audit receipt of this application")
    body = {name: value for name, value in receipt.items() if name != "signature"}
    key = known_keys().get(str(receipt.get("key_id", "")))
    if key is None:
        return Check(
            "receipt",
            False,
            f"the receipt is signed with a key this server does not hold "
            f"(key id {receipt.get('key_id')})",
        )
    if not signature_matches(key, body, str(receipt.get("signature", ""))):
        return Check("receipt", False, "the receipt's signature does not match: it was altered")
    if receipt.get("review_id") != review.pk:
        return Check(
            "receipt", False, f"the receipt is for another review ({receipt.get('review')})"
        )
    events = receipt.get("events")
    if not isinstance(events, int) or events < 0:
        return Check("receipt", False, "the receipt's event count is not a number")
    if events == 0:
        return Check("receipt", True, "the receipt names an empty log")
    held = (
        AuditEvent.objects.in_review(review)
        .filter(seq=events)
        .values_list("hash", flat=True)
        .first()
    )
    if held is None:
        return Check(
            "receipt",
            False,
            f"the receipt of {receipt.get('issued_at')} names {events} events, but the log no "
            f"longer holds event {events}: events were deleted",
        )
    if not hmac.compare_digest(held, str(receipt.get("head", ""))):
        return Check(
            "receipt",
            False,
            f"event {events} is not the one the receipt of {receipt.get('issued_at')} names: "
            "the log up to it was rewritten",
        )
    return Check(
        "receipt",
        True,
        f"the log still holds the {events} events of the receipt of {receipt.get('issued_at')}",
    )
