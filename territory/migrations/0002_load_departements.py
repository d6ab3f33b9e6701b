"""Loads the 101 départements, their prefecture and its main reception site, and a few
sub-prefectures, from territory/data/departements.json. Safe to re-run (update_or_create)."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "departements.json"


def _of(city):
    """French "de" before a town name: d'Arles, du Raincy, de Libourne."""
    if city.startswith("Le "):
        return "du " + city[3:]
    if city.startswith("Les "):
        return "des " + city[4:]
    if city[0] in "AEIOUYÉÈÊÎ":
        return "d'" + city
    return "de " + city


def load(apps, schema_editor):
    Department = apps.get_model("territory", "Department")
    Prefecture = apps.get_model("territory", "Prefecture")
    Site = apps.get_model("territory", "Site")
    for row in json.loads(DATA.read_text(encoding="utf-8")):
        department, _ = Department.objects.update_or_create(
            code=row["code"], defaults={"name": row["name"], "region": row["region"]}
        )
        prefecture, _ = Prefecture.objects.update_or_create(
            department=department,
            defaults={"name": row["prefecture_name"], "city": row["prefecture_city"]},
        )
        Site.objects.update_or_create(
            prefecture=prefecture, name=row["prefecture_name"],
            defaults={"kind": "prefecture", "city": row["prefecture_city"],
                      "postal_code": row["postal_code"]},
        )
        for sub in row["sub_prefectures"]:
            Site.objects.update_or_create(
                prefecture=prefecture, name=f"Sous-préfecture {_of(sub['city'])}",
                defaults={"kind": "sub_prefecture", "city": sub["city"],
                          "postal_code": sub["postal_code"]},
            )


class Migration(migrations.Migration):
    dependencies = [("territory", "0001_territory_reference")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
