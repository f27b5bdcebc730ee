# Fewer indexes written per imported record (issue 23): a record's review and search, and a
# screening item's review, lose the index of their own (the composite indexes and the unique
# constraint start with them), and the run, dropped_in and reason keys, empty on most rows, are
# indexed only where set. Their foreign keys stay.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('references', '0002_first_author_key_given_name_first'),
        ('screening', '0023_prisma_counters'),
    ]

    operations = [
        migrations.AlterField(
            model_name='record',
            name='dropped_in',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='dropped_records', to='screening.searchrun'),
        ),
        migrations.AlterField(
            model_name='record',
            name='review',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='records', to='screening.review'),
        ),
        migrations.AlterField(
            model_name='record',
            name='run',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='records', to='screening.searchrun'),
        ),
        migrations.AlterField(
            model_name='record',
            name='search',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='records', to='screening.search'),
        ),
        migrations.AlterField(
            model_name='screeningitem',
            name='reason',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='screening.exclusionreason'),
        ),
        migrations.AlterField(
            model_name='screeningitem',
            name='review',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='items', to='screening.review'),
        ),
        migrations.AddIndex(
            model_name='record',
            index=models.Index(condition=models.Q(('run__isnull', False)), fields=['run'], name='record_run'),
        ),
        migrations.AddIndex(
            model_name='record',
            index=models.Index(condition=models.Q(('dropped_in__isnull', False)), fields=['dropped_in'], name='record_dropped_in'),
        ),
        migrations.AddIndex(
            model_name='screeningitem',
            index=models.Index(condition=models.Q(('reason__isnull', False)), fields=['reason'], name='item_reason'),
        ),
    ]
