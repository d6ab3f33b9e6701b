"""The layout's cheaper reads of the active language and of the portal's name (issue 17): the
same values as Django's ``i18n`` context processor and as ``{{ PORTAL_NAME }}``."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.template.context_processors import i18n as django_i18n
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext_lazy

from anef.context_processors import i18n


@pytest.mark.parametrize("language", ["fr", "en", None])
def test_the_i18n_context_processor_gives_django_s_values(language):
    request = RequestFactory().get("/")
    with translation.override(language):
        assert i18n(request) == django_i18n(request)
    with translation.override("ar"), pytest.MonkeyPatch.context() as patch:  # a right-to-left language
        patch.setattr("django.conf.settings.LANGUAGES_BIDI", ["ar"])
        assert i18n(request) == django_i18n(request)
        assert i18n(request)["LANGUAGE_BIDI"] is True


def render(source: str, **values) -> str:
    return Template("{% load anef i18n %}" + source).render(Context(values))


def test_portal_name_writes_what_the_variable_writes_in_each_language_and_follows_the_setting(settings):
    for _ in range(2):
        for language in ("fr", "en", None):
            with translation.override(language):
                assert (render("{% portal_name %}")
                        == render("{{ PORTAL_NAME }}", PORTAL_NAME=settings.PORTAL_NAME) != "")
    settings.PORTAL_NAME = "Portail <renommé> & « cité »"
    assert render("{% portal_name %}") == "Portail &lt;renommé&gt; &amp; « cité »"
    settings.PORTAL_NAME = gettext_lazy("Accueil")
    with translation.override("en"):
        english = render("{% portal_name %}")
        assert english == render("{{ PORTAL_NAME }}", PORTAL_NAME=settings.PORTAL_NAME)
    with translation.override("fr"):
        assert render("{% portal_name %}") == "Accueil"


def test_a_page_s_title_names_the_portal(client, settings):
    from django.urls import reverse

    settings.PORTAL_NAME = "Portail renommé"
    response = client.get(reverse("home") + "?origine=test")
    assert "– Portail renommé</title>" in response.content.decode()


def test_current_language_is_get_current_language():
    source = "{% load i18n %}{% get_current_language as a %}{% current_language as b %}{{ a }}={{ b }}"
    for language in ("fr", "en", None):
        with translation.override(language):
            django_s, ours = render(source).split("=")
            assert django_s == ours == (language or "None")


def test_a_per_language_part_is_kept_under_local_fragment_s_own_key():
    """``{% per_language %}`` makes its digest once; the copy is the one ``local_fragment`` keeps."""
    from core.fragments import local_fragment

    with translation.override("en"):
        assert render('{% per_language "test-kept" %}{% translate "Menu" %}{% end_per_language %}') == "Menu"
        assert local_fragment("per-language", "test-kept", render=lambda: "not kept") == "Menu"
    with translation.override("fr"):
        assert render('{% per_language "test-kept" %}{% translate "Menu" %}{% end_per_language %}') == "Menu"
        assert local_fragment("per-language", "other", render=lambda: "new") == "new"
