"""On PostgreSQL a trigger refuses any UPDATE or DELETE on the audit table, whoever sends it."""

import pytest
from django.db import DatabaseError, connection, transaction

from screening.models import AuditEvent
from tests.conftest import require_postgresql

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_postgresql_refuses_to_change_or_delete_an_audit_event(review):
    require_postgresql()
    event = AuditEvent.objects.filter(review=review).first()
    for statement in (
        "UPDATE screening_auditevent SET action = 'forged' WHERE id = %s",
        "DELETE FROM screening_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="audit events are append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, action=event.action).exists()
