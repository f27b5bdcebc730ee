# The counters PRISMA reads instead of counting rows (issue 23): the screening items by stage,
# state, PRISMA column (entry) and reason, and the records of each search. Filled here from the
# rows they count, as `screening_state --fix` would (screening/decisions/counters.py).

import django.db.models.deletion
import django.db.models.functions.comparison
from django.db import migrations, models
from django.db.models import Count

BATCH = 5000


def _refill(schema_editor, model, rows, fields) -> None:
    model.objects.all().delete()
    batch = []
    for row in rows.iterator(chunk_size=BATCH):
        batch.append(model(**{name: row[name] for name in fields}, n=row["n"]))
        if len(batch) == BATCH:
            model.objects.bulk_create(batch)
            batch = []
    model.objects.bulk_create(batch)
    if schema_editor.connection.vendor == "postgresql":
        # Check the new rows' foreign keys now: PostgreSQL refuses to ALTER a table with checks
        # still pending, as the schema changes after this one do when it runs backwards.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def count_from_rows(apps, schema_editor):
    ScreeningItem = apps.get_model("screening", "ScreeningItem")
    Record = apps.get_model("screening", "Record")
    item_key = ["review_id", "stage", "state", "entry", "reason_id"]
    _refill(
        schema_editor,
        apps.get_model("screening", "StageCount"),
        ScreeningItem.objects.values(*item_key).annotate(n=Count("id")).order_by(),
        item_key,
    )
    record_key = ["review_id", "search_id"]
    _refill(
        schema_editor,
        apps.get_model("screening", "RecordCount"),
        Record.objects.values(*record_key).annotate(n=Count("id")).order_by(),
        record_key,
    )


def count_by_stage_and_state(apps, schema_editor):
    """Back: one row per stage and state, as the old unique constraint wants."""
    ScreeningItem = apps.get_model("screening", "ScreeningItem")
    key = ["review_id", "stage", "state"]
    _refill(
        schema_editor,
        apps.get_model("screening", "StageCount"),
        ScreeningItem.objects.values(*key).annotate(n=Count("id")).order_by(),
        key,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0022_rankers_embeddings_estimate_interval'),
    ]

    operations = [
        migrations.CreateModel(
            name='RecordCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('n', models.IntegerField(default=0)),
                ('review', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='screening.review')),
                ('search', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='screening.search')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('review', 'search'), name='record_count_once')],
            },
        ),
        migrations.RemoveConstraint(
            model_name='stagecount',
            name='stage_count_once',
        ),
        migrations.AddField(
            model_name='stagecount',
            name='entry',
            field=models.CharField(choices=[('title_abstract', 'Title and abstract'), ('retrieval', 'Full-text retrieval'), ('full_text', 'Full text')], default='', max_length=20),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='stagecount',
            name='reason',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='screening.exclusionreason'),
        ),
        migrations.AddConstraint(
            model_name='stagecount',
            constraint=models.UniqueConstraint(models.F('review'), models.F('stage'), models.F('state'), models.F('entry'), django.db.models.functions.comparison.Coalesce('reason', models.Value(0)), name='stage_count_once'),
        ),
        migrations.RunPython(count_from_rows, count_by_stage_and_state),
    ]
