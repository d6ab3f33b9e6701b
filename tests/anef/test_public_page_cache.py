"""Issue 14: the public pages are rendered once per language for anonymous visitors
(``core.fragments.public_page``) and given to each with their own CSRF token and CSP nonce; signed-in
people, pending messages and query strings still get the page made for them."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from applications.catalogue_cache import catalogue_changed
from applications.models import Procedure
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NONCE = re.compile(r'nonce="([^"]+)"')


def visit(client, url: str):
    response = client.get(url)
    assert response.status_code == 200
    return response, response.content.decode()


@pytest.mark.parametrize("url", [reverse("home"), reverse("help"), reverse("applications:catalogue")])
def test_each_anonymous_visitor_gets_their_own_token_and_nonce(url):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_response, first_html = visit(first, url)
    second_response, second_html = visit(second, url)  # from the cache

    tokens = set(TOKEN.findall(second_html))
    assert len(tokens) == 1 and "__" not in tokens.copy().pop()
    assert tokens.isdisjoint(TOKEN.findall(first_html))
    nonces = set(NONCE.findall(second_html))
    assert len(nonces) == 1
    assert f"'nonce-{nonces.pop()}'" in second_response["Content-Security-Policy"]
    assert set(NONCE.findall(first_html)).isdisjoint(NONCE.findall(second_html))
    # the token of the cached page is accepted: the language switch of the header works
    response = second.post(reverse("set_language"), {
        "language": "en", "next": url, "csrfmiddlewaretoken": TOKEN.findall(second_html)[0]})
    assert response.status_code == 302


def test_a_signed_in_person_does_not_get_the_visitors_page(client):
    visit(Client(), reverse("home"))  # fills the cache
    client.force_login(UserFactory())

    _response, html = visit(client, reverse("home"))

    assert "Se déconnecter" in html
    assert "Créer un compte" not in html


def test_a_message_waiting_is_shown_on_the_next_page(client):
    visit(Client(), reverse("home"))  # fills the cache
    client.force_login(UserFactory())
    client.post(reverse("accounts:logout"))

    _response, html = visit(client, reverse("home"))

    assert "Vous êtes déconnecté." in html
    assert "Vous êtes déconnecté." not in visit(client, reverse("home"))[1]


def test_each_language_has_its_page(client):
    _response, french = visit(client, reverse("home"))
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    _response, english = visit(client, reverse("home"))

    assert 'lang="en"' in english and 'lang="fr"' in french


def test_a_catalogue_change_is_seen_on_the_next_visit(client, django_capture_on_commit_callbacks):
    procedure = Procedure.objects.filter(is_active=True).first()
    _response, before = visit(client, reverse("applications:catalogue"))
    Procedure.objects.filter(pk=procedure.pk).update(name="Démarche renommée pour le test")
    with django_capture_on_commit_callbacks(execute=True):  # the new stamp once the edit commits
        catalogue_changed()

    _response, after = visit(client, reverse("applications:catalogue"))

    assert "Démarche renommée pour le test" not in before
    assert "Démarche renommée pour le test" in after


def test_the_layout_kept_per_language_follows_the_signed_in_persons_language(client):
    """The footer and the header's brand are rendered once per language ({% per_language %}):
    a person who switches language gets them in theirs on the next page."""
    client.force_login(UserFactory())
    _response, french = visit(client, reverse("applications:dashboard"))
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    _response, english = visit(client, reverse("applications:dashboard"))

    assert "Mentions légales" in french and "Vos démarches de titre de séjour en ligne" in french
    assert "Legal notice" in english and "Your residence permit applications online" in english
    assert "Mentions légales" not in english


def test_per_language_takes_a_quoted_name():
    from django.template import Template, TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError):
        Template("{% load anef %}{% per_language footer %}x{% end_per_language %}")


def test_a_query_string_goes_to_the_view(client, settings):
    """The cached page is only the bare URL's: with a query string, the view renders the page."""
    visit(client, reverse("home"))  # fills the cache
    settings.PORTAL_NAME = "Portail renommé pour le test"

    assert "Portail renommé pour le test" not in visit(client, reverse("home"))[1]  # from the cache
    assert "Portail renommé pour le test" in visit(client, reverse("home") + "?origine=courriel")[1]
