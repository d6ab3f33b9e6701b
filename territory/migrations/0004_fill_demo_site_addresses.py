"""Street address, access notes and public opening hours of the prefectures the demo data uses
(Rhône, Gironde, Seine-Saint-Denis), so that letters, calendar files and pages name a real place
rather than "93000 Bobigny". The other sites keep what an administrator enters in the admin:
nothing is guessed for them (pages and letters then show the name and town, and a map search).

Only empty fields are filled: a value an administrator already typed is kept. Safe to re-run.
"""

from django.db import migrations

SITES = {
    "69": {
        "address": "106 rue Pierre Corneille",
        "access_notes": "Accueil des étrangers par l'entrée principale, rue Pierre Corneille. Métro B, "
                        "station Place Guichard – Bourse du Travail. Accessible en fauteuil roulant.",
        "opening_hours": "Du lundi au vendredi, de 9 h à 16 h, uniquement sur rendez-vous.",
    },
    "33": {
        "address": "2 esplanade Charles-de-Gaulle",
        "access_notes": "Accueil des étrangers au rez-de-chaussée. Tramway A, arrêt Mériadeck. "
                        "Accessible en fauteuil roulant.",
        "opening_hours": "Du lundi au vendredi, de 9 h à 16 h, uniquement sur rendez-vous.",
    },
    "93": {
        "address": "1 esplanade Jean Moulin",
        "access_notes": "Accueil des étrangers, hall principal. Métro 5, station Bobigny – Pablo Picasso ; "
                        "tramway T1, arrêt Hôtel de Ville de Bobigny. Accessible en fauteuil roulant.",
        "opening_hours": "Du lundi au vendredi, de 9 h à 16 h, uniquement sur rendez-vous.",
    },
}


def load(apps, schema_editor):
    Site = apps.get_model("territory", "Site")
    for code, values in SITES.items():
        site = Site.objects.filter(prefecture__department__code=code, kind="prefecture").order_by("id").first()
        if site is None:
            continue
        changed = [field for field, value in values.items() if not getattr(site, field)]
        for field in changed:
            setattr(site, field, values[field])
        if changed:
            site.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [("territory", "0003_site_access_notes_and_opening_hours")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
