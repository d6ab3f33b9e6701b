"""The planner's count of applicants: about two dossiers each, whatever ANALYZE's sample shows.

The dashboard's query (``selectors._DASHBOARD_DOSSIERS``) filters the dossiers by their applicant
and runs as a prepared statement (settings ``DATABASE_PREPARED_STATEMENTS``). PostgreSQL keeps one
plan for every applicant only when it costs no more than the plans it makes for each; it prices
that plan for the average applicant, the rows divided by the distinct applicants ANALYZE counted.
With one account holding most dossiers (the load test's, 2,000 of 2,005, so 6 applicants counted)
the average is 334 dossiers, the shared plan looked a hundred times dearer, and every visit was
planned anew: 0.15 to 0.3 ms of the query's 0.35 (docs/benchmarks.md, "Eighth pass"). People file a
few requests each: the distinct applicants are stated as half the rows (``n_distinct = -0.5``),
read by the next ANALYZE, on PostgreSQL only.
"""

from django.db import migrations

TABLE_COLUMN = "applications_dossier ALTER COLUMN applicant_id"


def state_distinct_applicants(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE_COLUMN} SET (n_distinct = -0.5)")


def forget_distinct_applicants(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE_COLUMN} RESET (n_distinct)")


class Migration(migrations.Migration):
    dependencies = [("applications", "0011_renewal_reminder")]

    operations = [migrations.RunPython(state_distinct_applicants, forget_distinct_applicants)]
