"""Procedures say whether the card they lead to needs fingerprints taken before a favourable
decision. Every procedure of the catalogue that produces a card does; a change of address updates
the card already held and does not (it is the only one of the demo catalogue that needs none)."""

from django.db import migrations, models

WITHOUT_BIOMETRICS = ("changement-adresse",)


def fill(apps, schema_editor):
    Procedure = apps.get_model("applications", "Procedure")
    Procedure.objects.filter(code__in=WITHOUT_BIOMETRICS).update(needs_biometrics=False)


class Migration(migrations.Migration):
    dependencies = [("applications", "0009_permit_card_of_request_and_replacement")]

    operations = [
        migrations.AddField(
            model_name="procedure",
            name="needs_biometrics",
            field=models.BooleanField(
                default=True,
                help_text="Une décision favorable n'est possible qu'une fois les empreintes relevées au guichet.",
                verbose_name="relevé d'empreintes avant la décision",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
