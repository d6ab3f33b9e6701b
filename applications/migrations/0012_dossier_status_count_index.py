"""The queue's counts by status read by an index-only scan of (prefecture, status)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0011_renewal_reminder"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(fields=["prefecture", "status"], name="dossier_status_count_idx"),
        ),
    ]
