"""Recompute every reference's first-author key: a name written given-name first ("P Nazzaro",
"Paolo Nazzaro") now keys on its surname, as "Nazzaro, P." always did, so that the exact
duplicate rule (title + year + first author) matches old references to new imports.

The key's rule lives in references.duplicates.first_author_key; a later change to it ships
its own migration like this one."""

from django.db import migrations

from references.duplicates import first_author_key

BATCH = 2000


def recompute(apps, schema_editor):
    Reference = apps.get_model("references", "Reference")
    changed = []
    rows = Reference.objects.only("id", "authors", "first_author_key").order_by("id")
    for reference in rows.iterator(chunk_size=BATCH):
        key = first_author_key(list(reference.authors or []))
        if key != reference.first_author_key:
            reference.first_author_key = key
            changed.append(reference)
        if len(changed) >= BATCH:
            Reference.objects.bulk_update(changed, ["first_author_key"])
            changed = []
    Reference.objects.bulk_update(changed, ["first_author_key"])


class Migration(migrations.Migration):
    dependencies = [("references", "0001_initial")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop, elidable=True)]
