from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("applications", "0005_dossier_family_and_unique_requests")]

    operations = [
        migrations.AddConstraint(
            model_name="dossier",
            constraint=models.UniqueConstraint(condition=models.Q(("renewed_permit__isnull", False), ("status__in", ["card_in_production", "card_ready", "complements_requested", "decided_favourable", "submitted", "under_review"])), fields=("renewed_permit", "family"), name="dossier_one_request_in_progress_per_permit_and_family"),
        ),
        migrations.AddConstraint(
            model_name="dossier",
            constraint=models.UniqueConstraint(condition=models.Q(models.Q(("status", "draft"), _negated=True), models.Q(("tax_stamp_number", ""), _negated=True)), fields=("tax_stamp_number",), name="dossier_tax_stamp_used_once"),
        ),
    ]
