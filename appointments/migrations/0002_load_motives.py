"""The four motives of DESIGN §7, with their duration, who may book them, and what to bring."""

from django.db import migrations

MOTIVES = [
    ("biometrics", 15, False,
     "Votre convocation, votre passeport, votre titre de séjour actuel, le code e-photo de votre demande."),
    ("card_collection", 10, True,
     "Votre convocation, votre passeport, votre ancien titre de séjour ou récépissé, le timbre fiscal s'il est demandé."),
    ("paper_filing", 45, False,
     "Votre convocation, et tous les documents de votre demande, en original et en copie."),
    ("pan_assistance", 30, True,
     "Vos documents d'identité, votre titre de séjour, votre téléphone portable si vous en avez un."),
]


def load(apps, schema_editor):
    Motive = apps.get_model("appointments", "Motive")
    for code, minutes, self_bookable, documents in MOTIVES:
        Motive.objects.update_or_create(code=code, defaults={
            "duration_minutes": minutes, "self_bookable": self_bookable, "documents_to_bring": documents,
        })


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_appointments_desks_slots_bookings")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
