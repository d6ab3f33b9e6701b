"""Loads the procedure catalogue and document types from applications/data/catalogue.json.
Re-runnable (update_or_create); administrators edit the catalogue in the Django admin afterwards."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "catalogue.json"


def load(apps, schema_editor):
    DocumentType = apps.get_model("applications", "DocumentType")
    Procedure = apps.get_model("applications", "Procedure")
    ProcedureDocument = apps.get_model("applications", "ProcedureDocument")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    types = {}
    for row in data["document_types"]:
        code = row.pop("code")
        types[code], _ = DocumentType.objects.update_or_create(code=code, defaults=row)
    for row in data["procedures"]:
        row = dict(row)
        code, documents = row.pop("code"), row.pop("documents")
        procedure, _ = Procedure.objects.update_or_create(code=code, defaults=row)
        for position, (type_code, required) in enumerate(documents):
            ProcedureDocument.objects.update_or_create(
                procedure=procedure, document_type=types[type_code],
                defaults={"required": required, "position": position},
            )


class Migration(migrations.Migration):
    dependencies = [("applications", "0001_applications_catalogue_dossiers")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
