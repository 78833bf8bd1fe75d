import secrets

from django.db import migrations, models

import facturier.einvoicing.models


def give_keys(apps, schema_editor):
    """A key of its own for each platform already set (a shared default would clash)."""
    Platform = apps.get_model("einvoicing", "Platform")
    for platform in Platform.objects.all():
        platform.webhook_key = secrets.token_urlsafe(32)
        platform.save(update_fields=["webhook_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("einvoicing", "0005_delivery_answer_in_every_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="platform",
            name="webhook_key",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(give_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="platform",
            name="webhook_key",
            field=models.CharField(
                default=facturier.einvoicing.models.new_webhook_key,
                editable=False,
                max_length=64,
                unique=True,
            ),
        ),
    ]
