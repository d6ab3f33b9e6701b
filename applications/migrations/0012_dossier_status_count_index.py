"""The queue's counts by status read by an index-only scan of (prefecture, status), built
concurrently on PostgreSQL (``core.migration_operations``)."""

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("applications", "0011_renewal_reminder"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="dossier",
            index=models.Index(fields=["prefecture", "status"], name="dossier_status_count_idx"),
        ),
    ]
