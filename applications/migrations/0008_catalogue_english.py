"""Issue 9: the catalogue in English. Copies each French text into its ``_fr`` field (django-
modeltranslation reads it from there) and fills the ``_en`` fields and the ``_en`` keys of the
questions from applications/data/catalogue_en.json. Re-runnable; an entry an administrator has
already translated in the admin is not overwritten."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "catalogue_en.json"


def with_english(items, english, keys):
    """The JSON list with ``<key>_en`` added to each item English gives (kept if already there)."""
    result = []
    for item in items:
        item = dict(item)
        for key in keys:
            value = english.get(item.get("code"), {}).get(key)
            if value and not item.get(f"{key}_en"):
                item[f"{key}_en"] = value
        result.append(item)
    return result


def load(apps, schema_editor):
    DocumentType = apps.get_model("applications", "DocumentType")
    Procedure = apps.get_model("applications", "Procedure")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    for document_type in DocumentType.objects.all():
        english = data["document_types"].get(document_type.code, {})
        for field in ("name", "help_text"):
            if not getattr(document_type, f"{field}_fr"):
                setattr(document_type, f"{field}_fr", getattr(document_type, field))
            if not getattr(document_type, f"{field}_en") and english.get(field):
                setattr(document_type, f"{field}_en", english[field])
        document_type.save()
    for procedure in Procedure.objects.all():
        english = data["procedures"].get(procedure.code, {})
        for field in ("name", "audience", "help"):
            if not getattr(procedure, f"{field}_fr"):
                setattr(procedure, f"{field}_fr", getattr(procedure, field))
            if not getattr(procedure, f"{field}_en") and english.get(field):
                setattr(procedure, f"{field}_en", english[field])
        procedure.eligibility = with_english(procedure.eligibility, english.get("eligibility", {}), ("text", "message"))
        procedure.questions = with_english(procedure.questions, english.get("questions", {}), ("label", "choices"))
        procedure.save()


class Migration(migrations.Migration):
    dependencies = [("applications", "0007_catalogue_translation_fields")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
