"""The help centre's first content, in French and English (helpcentre/data/articles.json), so that a
fresh deployment, and `make run`, have useful help at once. An article whose slug already exists is
left as an administrator may have edited it; each new one gets its first revision."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "articles.json"
TEXTS = ("title", "summary", "body")


def load(apps, schema_editor):
    Topic = apps.get_model("helpcentre", "Topic")
    Article = apps.get_model("helpcentre", "Article")
    ArticleErrorCode = apps.get_model("helpcentre", "ArticleErrorCode")
    ArticleRevision = apps.get_model("helpcentre", "ArticleRevision")
    Procedure = apps.get_model("applications", "Procedure")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    topics = {}
    for item in data["topics"]:
        topics[item["slug"]], _created = Topic.objects.get_or_create(slug=item["slug"], defaults={
            "position": item["position"], "title": item["title_fr"], "summary": item["summary_fr"],
            **{f"{field}_{language}": item[f"{field}_{language}"] for field in ("title", "summary")
               for language in ("fr", "en")},
        })
    procedures = {procedure.code: procedure for procedure in Procedure.objects.all()}
    for item in data["articles"]:
        if Article.objects.filter(slug=item["slug"]).exists():
            continue
        texts = {f"{field}_{language}": item[f"{field}_{language}"] for field in TEXTS for language in ("fr", "en")}
        article = Article.objects.create(
            slug=item["slug"], kind=item["kind"], topic=topics.get(item["topic"]),
            procedure=procedures.get(item["procedure"]), step=item["step"], position=item["position"],
            is_published=True, title=item["title_fr"], summary=item["summary_fr"], body=item["body_fr"], **texts,
        )
        ArticleErrorCode.objects.bulk_create(ArticleErrorCode(article=article, code=code) for code in item["error_codes"])
        ArticleRevision.objects.create(article=article, number=1, is_published=True, **texts)


class Migration(migrations.Migration):
    dependencies = [
        ("helpcentre", "0001_help_centre"),
        ("applications", "0010_procedure_needs_biometrics"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
