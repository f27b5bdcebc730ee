# A record's search and review held by one foreign key on PostgreSQL (issue 23): (search_id,
# review_id) -> the search's (id, review_id). Stricter than Django's two keys (a record cannot
# name another review than its search's) and half the lookups for each record an import writes.
# SQLite keeps no constraint on the two columns: Django rebuilds SQLite tables on alteration and
# would drop a constraint its models do not declare.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

COMPOSITE = "record_search_review"


def add_composite_key(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE screening_record ADD CONSTRAINT {COMPOSITE} "
        "FOREIGN KEY (search_id, review_id) REFERENCES screening_search (id, review_id) "
        "DEFERRABLE INITIALLY DEFERRED"
    )


def drop_composite_key(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE screening_record DROP CONSTRAINT {COMPOSITE}")


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0024_lean_import_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='record',
            name='review',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='records', to='screening.review'),
        ),
        migrations.AlterField(
            model_name='record',
            name='search',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='records', to='screening.search'),
        ),
        migrations.AddConstraint(
            model_name='search',
            constraint=models.UniqueConstraint(fields=('id', 'review'), name='search_id_review'),
        ),
        migrations.RunPython(add_composite_key, drop_composite_key),
    ]
