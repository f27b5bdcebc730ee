"""Keyed audit hashes, a sealed head per review, and append-only triggers on the decision log.

- Each event's hash becomes an HMAC with the audit key (settings.AUDIT_KEY, never stored in
  the database) and names its key (`key_id`). Existing chains are first checked with their old
  unkeyed hashes: a whole chain is signed anew; a chain that is already broken is left as it
  was, so that the keyed check reports it rather than a fresh signature hiding it.
- AuditHead: each review's signed running count and last hash.
- On PostgreSQL, the decision log (decisions, full-text retrievals, removals, verification
  checks) refuses UPDATE and DELETE, as audit events already do.
"""

import django.db.models.deletion
from django.db import migrations, models

LOGS = [
    "screening_decision",
    "screening_fulltext",
    "screening_removal",
    "screening_verificationcheck",
]
FUNCTION = """
CREATE OR REPLACE FUNCTION screening_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
TRIGGER = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION screening_append_only();
"""
AUDIT_TRIGGER = "screening_auditevent_append_only"


def _is_postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def sign_existing_chains(apps, schema_editor):
    from django.utils import timezone

    from screening.audit.chain import event_hash, event_payload, head_payload
    from screening.audit.signing import current_key, sign

    AuditEvent = apps.get_model("screening", "AuditEvent")
    AuditHead = apps.get_model("screening", "AuditHead")
    if not AuditEvent.objects.exists():
        return
    key_name, key = current_key()
    if _is_postgres(schema_editor):
        schema_editor.execute(
            f"ALTER TABLE screening_auditevent DISABLE TRIGGER {AUDIT_TRIGGER}", params=None
        )
    heads = {}
    for review_id in AuditEvent.objects.values_list("review_id", flat=True).distinct():
        old_prev, new_prev, whole = "", "", True
        for event in AuditEvent.objects.filter(review_id=review_id).order_by("seq"):
            fields = dict(
                review_id=review_id, seq=event.seq, actor_id=event.actor_id,
                action=event.action, object_type=event.object_type,
                object_id=event.object_id, before=event.before, after=event.after,
                created_at=event.created_at,
            )  # fmt: skip
            whole = whole and event.prev_hash == old_prev and (
                event_hash(prev_hash=old_prev, **fields) == event.hash
            )
            if not whole:
                break  # from here on the old chain is broken: leave it unsigned
            old_prev = event.hash
            signed = sign(key, event_payload(prev_hash=new_prev, **fields))
            AuditEvent.objects.filter(pk=event.pk).update(
                prev_hash=new_prev, hash=signed, key_id=key_name
            )
            new_prev = signed
            heads[review_id] = (event.seq, signed)
    if _is_postgres(schema_editor):
        schema_editor.execute(
            f"ALTER TABLE screening_auditevent ENABLE TRIGGER {AUDIT_TRIGGER}", params=None
        )
    for review_id, (count, head) in heads.items():
        AuditHead.objects.create(
            review_id=review_id,
            events=count,
            head=head,
            key_id=key_name,
            seal=sign(key, head_payload(review_id=review_id, events=count, head=head)),
            sealed_at=timezone.now(),
        )


def create_triggers(apps, schema_editor):
    if _is_postgres(schema_editor):
        schema_editor.execute(FUNCTION, params=None)  # None: RAISE's % are not placeholders
        for table in LOGS:
            schema_editor.execute(TRIGGER.format(table=table), params=None)


def drop_triggers(apps, schema_editor):
    if _is_postgres(schema_editor):
        for table in LOGS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS screening_append_only()")


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0010_prioritisation_and_stopping"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                (
                    "review",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="audit_head",
                        serialize=False,
                        to="screening.review",
                    ),
                ),
                ("events", models.PositiveIntegerField()),
                ("head", models.CharField(max_length=64)),
                ("key_id", models.CharField(max_length=16)),
                ("seal", models.CharField(max_length=64)),
                ("sealed_at", models.DateTimeField()),
            ],
        ),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.RunPython(sign_existing_chains, migrations.RunPython.noop),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
