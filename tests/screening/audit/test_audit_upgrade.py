"""Upgrading to keyed hashes (migration 0011) signs a whole legacy chain and leaves a broken one
as it was; `check --deploy` warns about the development audit key."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection

from screening.audit.chain import event_hash
from screening.audit.verify import audit_verify
from screening.checks import audit_key_is_secret
from screening.constants import Stage
from screening.decisions.services import decision_record
from screening.models import AuditEvent, AuditHead
from tests.screening.audit.test_audit import _tamper
from tests.screening.decisions.test_screening import ris

pytestmark = pytest.mark.django_db
upgrade = import_module("screening.migrations.0011_audit_keys_and_seal")


class _Editor:
    """What the migration's function uses of a schema editor: the connection, and running a
    statement on it (Django's SQLite schema editor cannot open inside a test's transaction)."""

    connection = connection

    def execute(self, sql, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _sign_existing_chains() -> None:
    if connection.vendor == "postgresql":
        # A real migration has no rows of its own waiting for their deferred checks; the test's
        # transaction does, and PostgreSQL will not ALTER a table while they wait.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    upgrade.sign_existing_chains(apps, _Editor())


def _as_before_keyed_hashes(review) -> None:
    """Rewrite the review's chain the way it was hashed before 0011: plain sha256, no key, no
    seal."""
    prev = ""
    for event in AuditEvent.objects.filter(review=review).order_by("seq"):
        old = event_hash(
            review_id=review.pk, seq=event.seq, prev_hash=prev, actor_id=event.actor_id,
            action=event.action, object_type=event.object_type, object_id=event.object_id,
            before=event.before, after=event.after, created_at=event.created_at,
        )  # fmt: skip
        _tamper(
            "UPDATE screening_auditevent SET prev_hash = %s, hash = %s, key_id = '' WHERE id = %s",
            [prev, old, event.pk],
        )
        prev = old
    _tamper("DELETE FROM screening_audithead WHERE review_id = %s", [review.pk])


@pytest.fixture
def legacy(review, reviewer, import_text):
    search = import_text(ris(2), name="embase.ris", source="Embase")
    for record in search.records.all():
        decision_record(
            review=review, reference=record.reference, stage=Stage.TITLE_ABSTRACT,
            reviewer=reviewer, verdict="include",
        )  # fmt: skip
    _as_before_keyed_hashes(review)
    assert not audit_verify(review).ok  # unsigned: the keyed check cannot pass yet
    return review


def test_a_whole_legacy_chain_is_signed_and_sealed(legacy):
    _sign_existing_chains()
    report = audit_verify(legacy)
    assert report.ok, [check.detail for check in report.failed]
    head = AuditHead.objects.get(review=legacy)
    assert head.events == AuditEvent.objects.filter(review=legacy).count()


def test_a_legacy_chain_already_broken_is_not_signed_over(legacy):
    target = AuditEvent.objects.get(review=legacy, seq=4)
    _tamper('UPDATE screening_auditevent SET "after" = %s WHERE id = %s', ['{"n": 1}', target.pk])
    _sign_existing_chains()
    failed = {check.name: check.detail for check in audit_verify(legacy).failed}
    assert "the chain breaks at event 4" in failed["chain"]
    assert "never signed with an audit key" in failed["chain"]
    # Events 1-3 were signed; the seal says so, and the log goes on past it.
    assert AuditHead.objects.get(review=legacy).events == 3
    assert "is not the sealed head (event 3)" in failed["seal"]


def test_check_deploy_warns_about_the_development_audit_key(settings):
    settings.AUDIT_KEY = settings.DEV_AUDIT_KEY
    assert [m.id for m in audit_key_is_secret(None)] == ["screening.W002"]
    settings.AUDIT_KEY = "a-long-random-secret-from-the-secret-store"
    assert audit_key_is_secret(None) == []
