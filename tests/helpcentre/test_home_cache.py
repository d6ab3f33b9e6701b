"""Issue 14: the help home's lists are rendered once per language and content version, not per
visitor; a saved article is on the page at once, and English visitors never get the French lists."""

from __future__ import annotations

import pytest
from django.urls import reverse

from helpcentre.models import Article, Topic
from helpcentre.services import article_save

pytestmark = pytest.mark.django_db


def test_the_help_home_costs_no_query_once_its_lists_are_cached(client, django_assert_num_queries):
    client.get(reverse("help"))

    with django_assert_num_queries(0):
        response = client.get(reverse("help"))

    assert "Quand demander le renouvellement de votre titre de séjour ?" in response.content.decode()


def test_a_saved_article_is_on_the_help_home_at_once(client, make_article, django_capture_on_commit_callbacks):
    client.get(reverse("help"))
    with django_capture_on_commit_callbacks(execute=True):
        make_article("nouvel-article", title_fr="Un tout nouvel article", topic=Topic.objects.first())

    assert "Un tout nouvel article" in client.get(reverse("help")).content.decode()

    article = Article.objects.get(slug="nouvel-article")
    article.is_published = False
    with django_capture_on_commit_callbacks(execute=True):
        article_save(article=article, by=None)

    assert "Un tout nouvel article" not in client.get(reverse("help")).content.decode()


def test_the_english_help_home_is_not_served_the_french_lists(client):
    assert "Quand demander le renouvellement" in client.get(reverse("help")).content.decode()
    client.cookies["anef_language"] = "en"

    page = client.get(reverse("help")).content.decode()

    assert "When should you apply to renew your residence permit?" in page
    assert "Quand demander le renouvellement" not in page
