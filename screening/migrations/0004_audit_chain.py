"""Audit events form one hash chain per review (seq, prev_hash, hash), and on PostgreSQL a
trigger refuses UPDATE and DELETE on them. Existing events are chained in the order they were
written."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TRIGGER = """
CREATE OR REPLACE FUNCTION screening_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % on screening_auditevent refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER screening_auditevent_append_only
    BEFORE UPDATE OR DELETE ON screening_auditevent
    FOR EACH ROW EXECUTE FUNCTION screening_auditevent_append_only();
"""
DROP_TRIGGER = """
DROP TRIGGER IF EXISTS screening_auditevent_append_only ON screening_auditevent;
DROP FUNCTION IF EXISTS screening_auditevent_append_only();
"""


def chain_existing_events(apps, schema_editor):
    from screening.audit.chain import event_hash

    AuditEvent = apps.get_model("screening", "AuditEvent")
    review_ids = AuditEvent.objects.values_list("review_id", flat=True).distinct()
    for review_id in review_ids:
        prev = ""
        events = AuditEvent.objects.filter(review_id=review_id).order_by("created_at", "id")
        for seq, event in enumerate(events, start=1):
            event.seq = seq
            event.prev_hash = prev
            event.hash = event_hash(
                review_id=review_id,
                seq=seq,
                prev_hash=prev,
                actor_id=event.actor_id,
                action=event.action,
                object_type=event.object_type,
                object_id=event.object_id,
                before=event.before,
                after=event.after,
                created_at=event.created_at,
            )
            event.save(update_fields=["seq", "prev_hash", "hash"])
            prev = event.hash


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER, params=None)  # None: the % of RAISE is not a placeholder


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0003_screening_stages"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, max_length=64, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(max_length=64, default=""),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="created_at",
            field=models.DateTimeField(),
        ),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ["review_id", "seq"]}),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("review", "seq"), name="audit_seq_once_per_review"
            ),
        ),
        migrations.RunPython(create_trigger, drop_trigger),
    ]
