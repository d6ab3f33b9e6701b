"""Migration operations shared by the apps' migrations."""

from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations


class AddIndexConcurrentlyOnPostgreSQL(AddIndexConcurrently):
    """An index built with ``CREATE INDEX CONCURRENTLY`` on PostgreSQL, so that a table of the
    running service stays open to writes while it is built (docs/deployment.md, "A release with a
    migration, without downtime"); the plain ``AddIndex`` on the other databases (SQLite, ``make
    run``). Its migration must be non-atomic (``atomic = False``), as ``AddIndexConcurrently``'s."""

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
