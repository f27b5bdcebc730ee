"""The audit log: one hash chain per review, append-only, checked by audit_verify."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from screening.audit.chain import audit_chain_verify
from screening.constants import AuditAction, Role, Stage
from screening.decisions.removal import references_remove, references_restore
from screening.decisions.review_settings import reason_create
from screening.decisions.services import decision_record, decision_retract
from screening.identification.duplicates import duplicate_reject
from screening.models import AuditEvent, Decision, DuplicateCandidate, Membership
from screening.retrieval.services import full_text_record
from screening.reviews.services import (
    invitation_accept,
    invitation_create,
    membership_remove,
    membership_set_role,
)
from tests.factories import UserFactory
from tests.screening.decisions.test_screening import ris

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_review(review, owner, reviewer, import_text):
    """A review with a dozen events: creation, reasons, import, decisions."""
    search = import_text(ris(3), name="embase.ris", source="Embase")
    for record in search.records.all():
        decision_record(
            review=review, reference=record.reference, stage=Stage.TITLE_ABSTRACT,
            reviewer=reviewer, verdict="include",
        )  # fmt: skip
    return review


def test_every_event_links_to_the_one_before(busy_review):
    events = list(AuditEvent.objects.filter(review=busy_review).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == ""
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    assert {e.action for e in events} >= {
        AuditAction.REVIEW_CREATE,
        AuditAction.IMPORT,
        AuditAction.DECISION,
    }
    checked, broken = audit_chain_verify(busy_review)
    assert (checked, broken) == (len(events), None)


def test_each_review_has_a_chain_of_its_own(busy_review, other_review):
    assert AuditEvent.objects.get(review=other_review, seq=1).prev_hash == ""
    assert audit_chain_verify(other_review)[1] is None


def test_the_application_never_rewrites_an_event(busy_review):
    event = AuditEvent.objects.filter(review=busy_review).first()
    event.after = {"forged": True}
    with pytest.raises(ValueError, match="never changed"):
        event.save()


def _tamper(sql: str, params) -> None:
    """Change the table behind the application's back (on PostgreSQL, past its trigger)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # As a superuser can: ordinary triggers do not fire for a replication session.
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def test_audit_verify_finds_a_changed_event(busy_review, capsys):
    target = AuditEvent.objects.get(review=busy_review, seq=5)
    _tamper('UPDATE screening_auditevent SET "after" = %s WHERE id = %s', ['{"n": 0}', target.pk])

    with pytest.raises(CommandError) as error:
        call_command("audit_verify", busy_review.slug)
    assert "fails verification (chain)" in str(error.value)
    out = capsys.readouterr().out
    assert f"breaks at event 5 (id {target.pk})" in out
    assert "its fields do not match its keyed hash" in out


def test_audit_verify_finds_a_removed_event(busy_review):
    target = AuditEvent.objects.get(review=busy_review, seq=3)
    _tamper("DELETE FROM screening_auditevent WHERE id = %s", [target.pk])
    checked, broken = audit_chain_verify(busy_review)
    assert (broken.seq, checked) == (4, 3)
    assert "event 3 is missing" in broken.problem


def test_audit_verify_says_a_whole_chain_is_whole(busy_review, capsys):
    call_command("audit_verify", busy_review.slug)
    out = capsys.readouterr().out
    assert "every link whole" in out and "the audit log of" in out and "verifies" in out


def test_every_kind_of_change_writes_its_event_with_before_and_after(
    review, owner, reviewer, import_text
):
    """One of each action a review's people take, through the services the pages call: each
    leaves exactly its event, by its actor, and the chain stays whole."""
    from tests.screening.identification.test_duplicates import NEAR, NEAR_TYPO

    def events_of(action):
        return AuditEvent.objects.filter(review=review, action=action)

    def new_events(act) -> list[str]:
        before = AuditEvent.objects.filter(review=review).count()
        act()
        return list(
            AuditEvent.objects.filter(review=review)
            .order_by("seq")
            .values_list("action", flat=True)[before:]
        )

    newcomer = UserFactory(username="nina-new", email="nina@example.org")
    invitation = None

    def invite():
        nonlocal invitation
        invitation = invitation_create(
            review=review, email=newcomer.email, role=Role.REVIEWER, invited_by=owner,
        )  # fmt: skip

    assert new_events(invite) == [AuditAction.MEMBER_INVITE]
    assert new_events(lambda: invitation_accept(invitation=invitation, user=newcomer)) == [
        AuditAction.MEMBER_JOIN
    ]
    membership = Membership.objects.get(review=review, user=newcomer)
    assert new_events(
        lambda: membership_set_role(membership=membership, role=Role.OWNER, changed_by=owner)
    ) == [AuditAction.MEMBER_ROLE]
    assert new_events(lambda: membership_remove(membership=membership, removed_by=owner)) == [
        AuditAction.MEMBER_REMOVE
    ]
    assert new_events(lambda: import_text(NEAR, name="embase.ris", source="Embase")) == [
        AuditAction.SOURCE_CREATE,
        AuditAction.IMPORT,
    ]
    import_text(NEAR_TYPO, name="scopus.ris", source="Scopus")
    pair = DuplicateCandidate.objects.get(review=review)
    assert new_events(lambda: duplicate_reject(candidate=pair, user=owner)) == [
        AuditAction.DUPLICATE_REJECT
    ]
    search = import_text(ris(2, start=50), name="more.ris", source="Embase")
    first, second = (r.reference for r in search.records.order_by("position"))
    assert new_events(
        lambda: references_remove(
            review=review, reference_ids=[first.pk], reason="language", user=owner
        )
    ) == [AuditAction.REMOVE]
    assert new_events(
        lambda: references_restore(review=review, reference_ids=[first.pk], user=owner)
    ) == [AuditAction.RESTORE]
    TA = Stage.TITLE_ABSTRACT
    decide = {"review": review, "reference": second, "stage": TA}
    assert new_events(lambda: decision_record(**decide, reviewer=reviewer, verdict="include")) == [
        AuditAction.DECISION
    ]
    assert new_events(lambda: decision_retract(**decide, reviewer=reviewer)) == [
        AuditAction.DECISION_RETRACT
    ]
    for who in (owner, reviewer):
        decision_record(**decide, reviewer=who, verdict="include")
    assert new_events(
        lambda: full_text_record(
            review=review,
            reference=second,
            user=owner,
            status="not_retrieved",
            reason="No full text",
            max_bytes=1,
        )  # fmt: skip
    ) == [AuditAction.FULL_TEXT]
    assert new_events(lambda: reason_create(review=review, user=owner, label="Animal study")) == [
        AuditAction.REASON_CREATE
    ]

    retraction = events_of(AuditAction.DECISION_RETRACT).get()
    assert retraction.actor == reviewer and retraction.before and retraction.after
    removal = events_of(AuditAction.REMOVE).get()
    assert removal.actor == owner and first.pk in removal.after["references"]
    assert audit_chain_verify(review)[1] is None


def test_a_change_that_fails_leaves_no_event(review, reviewer, import_text):
    """The event is written in the change's transaction: when the change rolls back, so does
    its event."""
    search = import_text(ris(1), name="embase.ris", source="Embase")
    before = AuditEvent.objects.filter(review=review).count()
    with pytest.raises(RuntimeError), transaction.atomic():
        decision_record(
            review=review, reference=search.records.get().reference,
            stage=Stage.TITLE_ABSTRACT, reviewer=reviewer, verdict="include",
        )  # fmt: skip
        raise RuntimeError("the request failed after the decision")
    assert AuditEvent.objects.filter(review=review).count() == before
    assert not Decision.objects.filter(review=review).exists()
