"""Issue 9: one request in progress per permit and procedure family, and a tax stamp used once.

The family (the procedure's group) is copied onto the dossier, for the partial unique index.
Before the constraints arrive, existing rows are made to satisfy them: a tax stamp number found on
several filed dossiers stays on the earliest one and is cleared on the others (their references are
printed, for the prefecture to check); two renewals of one permit both in progress cannot be fixed
without a person, so the migration stops and names them.
"""

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery

IN_PROGRESS = ["card_in_production", "card_ready", "complements_requested", "decided_favourable",
               "submitted", "under_review"]


def fill_and_check(apps, schema_editor):
    Dossier = apps.get_model("applications", "Dossier")
    Procedure = apps.get_model("applications", "Procedure")
    Dossier.objects.filter(family="").update(
        family=Subquery(Procedure.objects.filter(pk=OuterRef("procedure_id")).values("group")[:1])
    )
    filed = Dossier.objects.exclude(status="draft")
    stamps = (filed.exclude(tax_stamp_number="").values("tax_stamp_number")
              .annotate(n=Count("id")).filter(n__gt=1).values_list("tax_stamp_number", flat=True))
    for stamp in list(stamps):
        dossiers = list(filed.filter(tax_stamp_number=stamp).order_by("submitted_at", "id"))
        for dossier in dossiers[1:]:
            print(f"\n  tax stamp {stamp} of {dossier.reference} cleared: already used by {dossiers[0].reference}")
            Dossier.objects.filter(pk=dossier.pk).update(tax_stamp_number="")
    twice = (Dossier.objects.filter(status__in=IN_PROGRESS, renewed_permit__isnull=False)
             .values("renewed_permit", "family").annotate(n=Count("id")).filter(n__gt=1))
    if twice:
        references = [
            list(Dossier.objects.filter(status__in=IN_PROGRESS, renewed_permit=row["renewed_permit"],
                                        family=row["family"]).values_list("reference", flat=True))
            for row in twice
        ]
        raise RuntimeError(
            "These requests are in progress for the same permit and procedure family; close or withdraw "
            f"all but one of each group, then migrate again: {references}"
        )


class Migration(migrations.Migration):
    dependencies = [("applications", "0004_queue_exports")]

    operations = [
        migrations.AddField(
            model_name="dossier",
            name="family",
            field=models.CharField(blank=True, choices=[("first_request", "Première demande"), ("renewal", "Renouvellement"), ("change", "Changement de statut"), ("duplicate", "Duplicata"), ("travel", "Document de voyage"), ("update", "Modification de situation")], max_length=20, verbose_name="famille de démarche"),
        ),
        migrations.RunPython(fill_and_check, migrations.RunPython.noop),
    ]
