"""The bookings about a file (subject type and id), whatever their status, read through an index:
the file pages ask on every visit. Built concurrently on PostgreSQL (``core.migration_operations``)."""

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("appointments", "0002_load_motives"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="booking",
            index=models.Index(fields=["subject_type", "subject_id"], name="booking_subject_idx"),
        ),
    ]
