"""The queue's name search is a prefix search within one prefecture. On PostgreSQL the index uses
varchar_pattern_ops so that ``LIKE 'prefix%'`` can use it whatever the database collation; SQLite
gets a plain index (it works there, just without the same guarantee)."""

from django.db import migrations


def create(apps, schema_editor):
    ops = " varchar_pattern_ops" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        "CREATE INDEX dossier_search_name_idx ON applications_dossier "
        f"(prefecture_id, search_name{ops})"
    )


def drop(apps, schema_editor):
    schema_editor.execute("DROP INDEX dossier_search_name_idx")


class Migration(migrations.Migration):
    dependencies = [("applications", "0002_load_catalogue")]

    operations = [migrations.RunPython(create, drop)]
