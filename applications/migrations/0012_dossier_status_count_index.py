"""The queue's counts by status read by an index-only scan of (prefecture, status).

On PostgreSQL the index is built with ``CREATE INDEX CONCURRENTLY`` (the migration is not atomic):
the dossiers table of a running service, millions of rows, stays open to writes while it is built.
Elsewhere (SQLite, ``make run``) the plain ``AddIndex``.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgreSQL(AddIndexConcurrently):
    """``AddIndexConcurrently`` on PostgreSQL, ``AddIndex`` on the other databases."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


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
