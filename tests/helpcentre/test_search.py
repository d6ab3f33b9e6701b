"""Search: PostgreSQL full-text search with French (and English) stemming, and the SQLite fallback."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from helpcentre.models import Article
from helpcentre.selectors import article_search

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")


@pytest.fixture
def empty_help():
    """The seeded help removed, so that a test sees only its own articles."""
    Article.objects.all().delete()


def slugs(articles):
    return [article.slug for article in articles]


@on_postgresql
def test_search_finds_an_article_by_a_word_in_its_body_with_french_stemming(make_article, empty_help):
    # The French snowball stemmer reduces "renouveler", "renouvelé" and "renouvellement" to "renouvel".
    make_article("mot-dans-le-corps", title_fr="Ce qu'il faut savoir", summary_fr="",
                 body_fr="<p>Le <strong>renouvellement</strong> se demande à l'avance.</p>")
    make_article("sans-rapport", title_fr="Prendre un rendez-vous", body_fr="<p>Au guichet.</p>")
    assert slugs(article_search(query="renouveler", language="fr")) == ["mot-dans-le-corps"]
    assert slugs(article_search(query="renouvelé", language="fr")) == ["mot-dans-le-corps"]
    # Plurals and inflections too: "timbres fiscaux" finds "timbre fiscal".
    make_article("timbre", title_fr="Le timbre fiscal", body_fr="<p>Seize chiffres.</p>")
    assert "timbre" in slugs(article_search(query="timbres fiscaux", language="fr"))


@on_postgresql
def test_search_uses_english_stemming_in_english(make_article, empty_help):
    make_article("renewal", title_en="Before you file", body_en="<p>Your renewal request opens 120 days ahead.</p>",
                 body_fr="<p>Rien.</p>")
    assert slugs(article_search(query="renewing", language="en")) == ["renewal"]
    assert slugs(article_search(query="renewing", language="fr")) == []


@on_postgresql
def test_a_word_in_the_title_ranks_above_the_same_word_in_the_body(make_article, empty_help):
    make_article("dans-le-corps", title_fr="Vos pièces", body_fr="<p>Votre photo d'identité numérique.</p>", position=1)
    make_article("dans-le-titre", title_fr="La photo d'identité", body_fr="<p>En cabine agréée.</p>", position=2)
    assert slugs(article_search(query="photo", language="fr")) == ["dans-le-titre", "dans-le-corps"]


@on_postgresql
@pytest.mark.parametrize(("language", "query"), [("fr", "renouveler"), ("en", "renewing")])
def test_the_search_query_can_use_its_gin_index(language, query):
    """The selector's expression is the index's: with sequential scans discouraged (a few rows
    would not need the index), the plan reads the language's GIN index."""
    from django.contrib.postgres.search import SearchQuery

    from helpcentre.models import SEARCH_CONFIGS, search_vector
    from helpcentre.selectors import published_articles

    search = SearchQuery(query, config=SEARCH_CONFIGS[language], search_type="websearch")
    queryset = published_articles().alias(document=search_vector(language)).filter(document=search)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    assert f"helpcentre_article_search_{language}" in queryset.explain()


def test_the_fallback_matches_every_word_in_title_summary_or_body(make_article, empty_help):
    """The path SQLite takes (``make run``), forced here whatever the database."""
    make_article("timbre", title_fr="Le timbre fiscal", body_fr="<p>Achetez-le en ligne.</p>")
    make_article("photo", title_fr="La photo", summary_fr="Le code imprimé sur la planche",
                 body_fr="<p>Une cabine agréée.</p>")
    assert slugs(article_search(query="timbre", language="fr", vendor="sqlite")) == ["timbre"]
    assert slugs(article_search(query="TIMBRE en ligne", language="fr", vendor="sqlite")) == ["timbre"]
    assert slugs(article_search(query="planche", language="fr", vendor="sqlite")) == ["photo"]
    assert slugs(article_search(query="timbre planche", language="fr", vendor="sqlite")) == []
    # No stemming there: the word has to be written as in the text.
    assert slugs(article_search(query="timbres", language="fr", vendor="sqlite")) == []


def test_unpublished_articles_are_not_found(make_article, empty_help):
    make_article("brouillon", title_fr="Un brouillon secret", is_published=False)
    assert article_search(query="brouillon", language="fr") == []
    assert article_search(query="brouillon", language="fr", vendor="sqlite") == []


def test_the_demo_content_answers_the_common_questions():
    """Whatever the database: the seeded help finds its articles by their plain words."""
    for query, slug in [("timbre fiscal", "timbre-fiscal"), ("e-photo", "e-photo"),
                        ("attestation de prolongation", "attestation-de-prolongation")]:
        assert slug in slugs(article_search(query=query, language="fr")), query
    assert "timbre-fiscal" in slugs(article_search(query="tax stamp", language="en"))


def test_the_results_page_keeps_the_query_and_says_when_nothing_matches(client):
    page = client.get(reverse("helpcentre:search"), {"q": "timbre fiscal"}).content.decode()
    assert 'value="timbre fiscal"' in page and reverse("helpcentre:article", args=["timbre-fiscal"]) in page
    page = client.get(reverse("helpcentre:search"), {"q": "zzzqqq"}).content.decode()
    assert "Aucun article ne correspond à « zzzqqq »" in page and 'value="zzzqqq"' in page
    assert f'href="{reverse("substitution:report")}"' in page


def test_the_results_page_searches_in_english_in_english(client):
    client.cookies["anef_language"] = "en"
    page = client.get(reverse("helpcentre:search"), {"q": "tax stamp"}).content.decode()
    with translation.override("en"):
        assert reverse("helpcentre:article", args=["timbre-fiscal"]) in page
    assert "The electronic tax stamp" in page


@pytest.mark.parametrize("query", ['"renouveler', "-", "le la de", "a\x00b", "x" * 1000, "' OR 1=1 --"])
def test_any_query_gets_a_page(client, query):
    assert client.get(reverse("helpcentre:search"), {"q": query}).status_code == 200
