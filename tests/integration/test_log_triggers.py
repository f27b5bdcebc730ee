"""On PostgreSQL the decision log refuses UPDATE and DELETE as the audit table does, and the
application's own role (docs/threat-model.md, `app_db_role`) can neither drop those triggers
nor empty the tables; `check --deploy` warns when the connected role could."""

import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from screening.audit.db_roles import LOG_TABLES
from screening.checks import app_role_cannot_drop_log_triggers, log_tables_the_app_can_unlock
from screening.constants import Stage
from screening.decisions.services import decision_record
from screening.models import Decision
from tests.conftest import require_postgresql
from tests.screening.decisions.test_screening import ris

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def decision(review, reviewer, import_text):
    require_postgresql()
    search = import_text(ris(1), name="embase.ris", source="Embase")
    return decision_record(
        review=review, reference=search.records.get().reference, stage=Stage.TITLE_ABSTRACT,
        reviewer=reviewer, verdict="exclude", note="kept as written",
    )  # fmt: skip


def test_postgresql_refuses_to_change_or_delete_a_decision(decision):
    for statement in (
        "UPDATE screening_decision SET verdict = 'include' WHERE id = %s",
        "DELETE FROM screening_decision WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="screening_decision is append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [decision.pk])
    assert Decision.objects.filter(pk=decision.pk, verdict="exclude").exists()


def test_every_log_table_has_its_trigger(decision):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_object_table FROM information_schema.triggers "
            "WHERE trigger_name LIKE %s GROUP BY event_object_table",
            ["%append_only"],
        )
        tables = {name for (name,) in cursor.fetchall()}
    assert tables == set(LOG_TABLES)


def test_the_application_role_cannot_unlock_the_logs(decision):
    """The grants `app_db_role` prints, applied to a fresh role; then, as that role, every
    way round the triggers is refused, while the application's own work still goes through."""
    role = f"screening_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')  # rolled back with the test
    call_command("app_db_role", role, "--apply")
    # As the owner (a superuser, here) check --deploy warns...
    assert set(log_tables_the_app_can_unlock(connection)) == set(LOG_TABLES)
    assert [m.id for m in app_role_cannot_drop_log_triggers(None)] == ["screening.W003"]

    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{role}"')
    try:
        # ...and as the application's role it does not.
        assert log_tables_the_app_can_unlock(connection) == []
        assert app_role_cannot_drop_log_triggers(None) == []
        refused = [
            "DROP TRIGGER screening_decision_append_only ON screening_decision",
            "ALTER TABLE screening_decision DISABLE TRIGGER screening_decision_append_only",
            "TRUNCATE screening_auditevent CASCADE",
            f"UPDATE screening_decision SET verdict = 'include' WHERE id = {decision.pk}",
            f"DELETE FROM screening_auditevent WHERE review_id = {decision.review_id}",
        ]
        for statement in refused:
            with (
                pytest.raises(DatabaseError, match="must be owner|permission denied|append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement)
        # The application's own writes still work as that role.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM screening_decision")
            cursor.execute(
                "UPDATE screening_screeningitem SET updated_at = now() WHERE review_id = %s",
                [decision.review_id],
            )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert Decision.objects.filter(pk=decision.pk, verdict="exclude").exists()
