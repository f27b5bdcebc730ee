"""Full texts keep their file's SHA-256, so that the same PDF uploaded again is recognised; the
files already stored get theirs (a file missing from the disk keeps a blank one). On PostgreSQL
the table is append-only (0011): its trigger is set aside for this one filling, in the
migration's transaction, and is back before it commits."""

import hashlib

from django.db import migrations, models


TRIGGER = "screening_fulltext_append_only"


def fill_checksums(apps, schema_editor):
    FullText = apps.get_model("screening", "FullText")
    postgres = schema_editor.connection.vendor == "postgresql"
    if not FullText.objects.exclude(file="").exists():
        return
    if postgres:
        # Deferred foreign-key checks still pending in this transaction would block ALTER TABLE.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE screening_fulltext DISABLE TRIGGER {TRIGGER}")
    for full_text in FullText.objects.exclude(file="").only("id", "file").iterator():
        digest = hashlib.sha256()
        try:
            with full_text.file.open("rb") as stream:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(chunk)
        except (FileNotFoundError, OSError):
            continue
        FullText.objects.filter(pk=full_text.pk).update(sha256=digest.hexdigest())
    if postgres:
        schema_editor.execute(f"ALTER TABLE screening_fulltext ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0015_labels_and_discussion"),
    ]

    operations = [
        migrations.AddField(
            model_name="fulltext",
            name="sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddIndex(
            model_name="fulltext",
            index=models.Index(fields=["review", "sha256"], name="fulltext_sha256"),
        ),
        migrations.RunPython(fill_checksums, migrations.RunPython.noop),
    ]
