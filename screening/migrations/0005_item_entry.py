"""Each cached screening item records where its reference entered screening."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef


def fill_entry(apps, schema_editor):
    Item = apps.get_model("screening", "ScreeningItem")
    Item.objects.filter(stage="title_abstract").update(entry="title_abstract")
    at_screening = Item.objects.filter(
        review=OuterRef("review"), reference=OuterRef("reference"), stage="title_abstract"
    )
    later = Item.objects.exclude(stage="title_abstract")
    later.filter(Exists(at_screening)).update(entry="title_abstract")
    later.exclude(Exists(at_screening)).update(entry="retrieval")


class Migration(migrations.Migration):
    dependencies = [("screening", "0004_audit_chain")]

    operations = [
        migrations.AddField(
            model_name="screeningitem",
            name="entry",
            field=models.CharField(
                choices=[
                    ("title_abstract", "Title and abstract"),
                    ("retrieval", "Full-text retrieval"),
                    ("full_text", "Full text"),
                ],
                default="",
                max_length=20,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_entry, migrations.RunPython.noop),
    ]
