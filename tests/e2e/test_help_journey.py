"""A visitor looks for help without an account: the help home, a search, an article, in French
and in English, each page checked with axe."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)

TEXTS = {
    "fr": {"query": "renouveler", "article": "Quand demander le renouvellement de votre titre de séjour ?",
           "faq": "Je me suis trompé de démarche : que faire ?",
           "none": "Aucun article ne correspond"},
    "en": {"query": "renewing", "article": "When should you apply to renew your residence permit?",
           "faq": "I chose the wrong procedure: what now?",
           "none": ""},
}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_visitor_searches_the_help_and_reads_an_article(page: Page, live_server, visited, language):
    texts = TEXTS[language]
    page.context.add_cookies([{"name": "anef_language", "value": language, "url": live_server.url}])
    page.goto(live_server.url + "/aide/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    faq = page.get_by_role("button", name=texts["faq"])
    faq.click()
    expect(faq).to_have_attribute("aria-expanded", "true")
    visited(page, f"help-home-{language}")

    page.locator("#help-q").fill(texts["query"])
    page.locator("#help-search button[type=submit]").click()
    expect(page.locator("#help-q")).to_have_value(texts["query"])
    result = page.locator("main").get_by_role("link", name=texts["article"])
    expect(result).to_be_visible()
    visited(page, f"help-search-{language}")

    result.click()
    expect(page.locator("h1")).to_have_text(texts["article"])
    expect(page.locator("main")).to_contain_text("180")
    visited(page, f"help-article-{language}")

    page.locator("#avis button[value=oui]").click()
    expect(page.locator("#avis [role=status]")).to_be_visible()
    visited(page, f"help-article-thanks-{language}")

    page.goto(live_server.url + "/aide/recherche/?q=zzzqqq")
    if texts["none"]:
        expect(page.locator("main")).to_contain_text(texts["none"])
    visited(page, f"help-search-empty-{language}")
