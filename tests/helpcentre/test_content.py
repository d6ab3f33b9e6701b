"""The help shipped with the portal (helpcentre/data/articles.json, migration 0002)."""

import re

import pytest

from applications.models import Procedure
from helpcentre.models import Article, Topic
from helpcentre.sanitise import clean_html

pytestmark = pytest.mark.django_db


def test_every_article_and_topic_exists_in_french_and_in_english():
    assert Article.objects.count() >= 20 and Topic.objects.count() >= 5
    for article in Article.objects.all():
        for field in ("title_fr", "title_en", "body_fr", "body_en"):
            assert getattr(article, field).strip(), (article.slug, field)
        if article.kind == Article.Kind.ARTICLE:
            assert article.summary_fr and article.summary_en, article.slug
        assert article.revisions.filter(number=1).exists(), article.slug
    for topic in Topic.objects.all():
        assert topic.title_fr and topic.title_en and topic.summary_en


def test_the_shipped_html_is_already_what_the_sanitiser_keeps():
    for article in Article.objects.all():
        for field in ("body_fr", "body_en"):
            assert clean_html(getattr(article, field)) == getattr(article, field).strip(), (article.slug, field)


def test_every_link_inside_the_articles_leads_to_a_page(client):
    paths = set()
    for article in Article.objects.all():
        paths |= set(re.findall(r'href="(/[^"]*)"', article.body_fr + article.body_en))
    assert "/signaler/" in paths and "/verifier/" in paths
    for path in sorted(paths):
        assert client.get(path).status_code == 200, path


def test_the_articles_tied_to_a_procedure_name_one_of_the_catalogue():
    tied = Article.objects.exclude(procedure=None)
    assert tied.count() >= 2
    assert set(tied.values_list("procedure__code", flat=True)) <= set(Procedure.objects.values_list("code", flat=True))


def test_the_renewal_article_says_what_the_portal_says_elsewhere(settings):
    article = Article.objects.get(slug="renouveler-dans-les-delais")
    fee = settings.LATE_RENEWAL_FEE_EUR
    assert f"{fee} €" in article.body_fr and f"€{fee}" in article.body_en
    assert "120e" in article.body_fr and "60e" in article.body_fr
    blocked = Article.objects.get(slug="vous-etes-bloque")
    assert f"{settings.SUBSTITUTION_REASONABLE_DELAY_DAYS} jours" in blocked.body_fr
    assert "2023-191" in blocked.body_fr and "2023-191" in blocked.body_en
