"""The audit log: one hash chain per review, append-only, checked by audit_verify."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from screening.constants import AuditAction, Stage
from screening.models import AuditEvent
from screening.services.audit import audit_chain_verify
from screening.services.screening import decision_record
from tests.screening.test_screening import ris

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


def test_audit_verify_finds_a_changed_event(busy_review):
    target = AuditEvent.objects.get(review=busy_review, seq=5)
    _tamper('UPDATE screening_auditevent SET "after" = %s WHERE id = %s', ['{"n": 0}', target.pk])

    with pytest.raises(CommandError) as error:
        call_command("audit_verify", busy_review.slug)
    assert f"breaks at event 5 (id {target.pk})" in str(error.value)
    assert "its fields do not match its hash" in str(error.value)


def test_audit_verify_finds_a_removed_event(busy_review):
    target = AuditEvent.objects.get(review=busy_review, seq=3)
    _tamper("DELETE FROM screening_auditevent WHERE id = %s", [target.pk])
    checked, broken = audit_chain_verify(busy_review)
    assert (broken.seq, checked) == (4, 3)
    assert "event 3 is missing" in broken.problem


def test_audit_verify_says_a_whole_chain_is_whole(busy_review, capsys):
    call_command("audit_verify", busy_review.slug)
    assert "is whole" in capsys.readouterr().out
