"""``core.layout.slotted_page``: the applicant's pages kept with their layout per language, shape
and menu give, for each request, what the template engine gives (issue 17, "Eighth pass"): the
person's own values, their own CSRF token and CSP nonce, the page's path in the language forms, the
menu's current entry; a message waiting or an assisted session's banner render the page as usual."""

import re
from unittest import mock

import pytest
from django.urls import reverse

from core import layout
from notifications.models import Notification
from tests.applications.test_on_behalf import act_for, grant, mediator, person, site  # noqa: F401 (fixtures)
from tests.backoffice.conftest import file_renewal, queued, sign_in
from tests.factories import DossierFactory, StaffFactory, UserFactory
from tests.mediation.conftest import make_pan
from tests.mediation.helpers import visit
from tests.notifications.test_inbox import _messages

pytestmark = pytest.mark.django_db

PAGES = ("/espace/", "/rendez-vous/", "/messages/", "/messages/?page=1&x=<b>")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NONCE = re.compile(r'nonce="([^"]+)"')


def _blanked(html: str) -> str:
    return NONCE.sub('nonce="X"', TOKEN.sub('name="csrfmiddlewaretoken" value="X"', html))


def _as_usual_and_kept(client, url: str) -> tuple[str, str]:
    from applications.backoffice.views import instruction

    # (the queue asks first, to render with the view's values)
    with mock.patch.object(layout, "as_usual", return_value=True), \
            mock.patch.object(instruction, "as_usual", return_value=True):
        usual = client.get(url)
    kept = client.get(url)
    assert usual.status_code == kept.status_code == 200
    return _blanked(usual.content.decode()), _blanked(kept.content.decode())


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_kept_pages_are_the_engine_s(client, language):
    someone = UserFactory(first_name="O'Brien <b>", last_name="Zoé & co")
    dossier = DossierFactory(applicant=someone, filed=True)
    _messages(someone, 2)
    Notification.objects.filter(recipient=someone).update(subject="Votre <dossier> & vous")
    client.force_login(someone)
    client.cookies["django_language"] = language
    for url in (*PAGES, reverse("applications:dossier", args=[dossier.pk])):
        usual, kept = _as_usual_and_kept(client, url)
        assert kept == usual, url
        assert _as_usual_and_kept(client, url)[1] == usual  # the second time, from the kept parts


def test_each_person_sees_their_own_values_token_and_nonce(client):
    first, second = UserFactory(first_name="Amina"), UserFactory(first_name="Bintou")
    client.force_login(first)
    client.get("/espace/")
    client.force_login(second)
    response = client.get("/espace/")
    html = response.content.decode()
    assert "Bintou" in html and "Amina" not in html
    tokens = set(TOKEN.findall(html))
    assert len(tokens) == 1 and "page-slot" not in html  # one token for every form of the page
    nonces = set(NONCE.findall(html))
    assert len(nonces) == 1 and f"'nonce-{nonces.pop()}'" in response["Content-Security-Policy"]
    # the token is one the CSRF middleware takes: signing out with it works
    assert client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": tokens.pop()}).status_code == 302


def test_the_path_and_the_menu_are_the_request_s(client):
    client.force_login(UserFactory())
    html = client.get("/messages/?page=1&x=<b>").content.decode()
    assert 'value="/messages/?page=1&amp;x=%3Cb%3E"' in html
    assert re.search(r'href="/messages/" aria-current="page">', html)
    html = client.get("/espace/").content.decode()
    assert re.search(r'href="/espace/" aria-current="page">', html) and 'value="/espace/"' in html
    assert 'href="/messages/" aria-current' not in html


def test_a_message_waiting_is_shown_by_the_engine(client):
    someone = UserFactory()
    dossier = DossierFactory(applicant=someone, filed=True)
    client.force_login(someone)
    page = reverse("applications:dossier", args=[dossier.pk])
    client.get(page)  # the kept parts are there
    # sent again from a second tab: the page says where the request stands
    response = client.post(reverse("applications:step", args=[dossier.pk, "identity"]), follow=True)
    assert response.redirect_chain == [(page, 302)]
    assert "est déjà envoyée" in response.content.decode()
    assert "est déjà envoyée" not in client.get(page).content.decode()  # shown once


def test_an_assisted_session_shows_its_banner(client, person, mediator, site):  # noqa: F811
    client.force_login(person)
    assert 'id="assisted-session"' not in client.get("/espace/").content.decode()  # kept without it
    client.logout()
    mandate = grant(person, mediator, site)
    act_for(sign_in(client, mediator), mandate)
    for url in ("/espace/", "/rendez-vous/", "/messages/"):
        assert 'id="assisted-session"' in client.get(url).content.decode(), url


def test_a_kept_page_that_reads_the_person_fails_loudly(client, tmp_path, settings):
    """The kept parts are everyone's with the same key: a template showing ``{{ user.first_name }}``
    would show the first person's name to the next ones. Rendering its shape fails instead."""
    template = '{% extends "base.html" %}{% block content %}{{ user.first_name }}{% endblock %}'
    (tmp_path / "kept.html").write_text(template)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    someone = UserFactory(first_name="Amina")
    client.force_login(someone)
    request = client.get("/espace/").wsgi_request
    request.user = someone
    request._messages = mock.MagicMock(__len__=lambda self: 0)  # no message waiting
    with pytest.raises(layout.KeptPageReadsPerson):
        layout.slotted_page(request, "kept.html", context={}, slots={})


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_kept_staff_pages_are_the_engine_s(client, settings, language):
    """The back-office pages of the load test (issue 17): the agent's queue (default, by status,
    searched, a page further), the file in several states, the statistics; the mediator's day with
    and without visits, and the check-in page."""
    agent = StaffFactory(with_totp=True, first_name="Jeanne", last_name="O'Brien <b>")
    files = [file_renewal(last_name="Zoé & <co>"), queued(status="under_review", name="Martin Alice"),
             queued(status="complements_requested", name="Diallo Awa"), queued(name="Koné <Issa>")]
    sign_in(client, agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    urls = ["/backoffice/dossiers/", "/backoffice/dossiers/?status=submitted", "/backoffice/dossiers/?q=Martin",
            "/backoffice/dossiers/?limit=2", "/backoffice/dossiers/?status=under_review&x=<b>",
            "/backoffice/statistiques/", *(f"/backoffice/dossiers/{dossier.pk}/" for dossier in files)]
    for url in urls:
        usual, kept = _as_usual_and_kept(client, url)
        assert kept == usual, url
        assert _as_usual_and_kept(client, url)[1] == usual  # the second time, from the kept parts
    client.logout()
    pan = make_pan("69")
    keeper = StaffFactory(mediator=True, role__site=pan, with_totp=True)
    sign_in(client, keeper)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for _visits in range(2):  # without, then with visits
        for url in ("/backoffice/mediation/", "/backoffice/mediation/accueillir/"):
            usual, kept = _as_usual_and_kept(client, url)
            assert kept == usual, url
            assert _as_usual_and_kept(client, url)[1] == usual
        visit(by=keeper, site=pan, last_name="Koné <b>")
        visit(by=keeper, site=pan, minutes=20)


def test_each_member_of_staff_sees_their_own_page(client):
    """Two agents of two prefectures: each their own queue and menu, one token a page, their nonce."""
    lyon, bordeaux = StaffFactory(with_totp=True), StaffFactory(with_totp=True, supervisor=True, role__code="33")
    queued(name="Martin Lyon"), queued(department="33", name="Durand Bordeaux")
    sign_in(client, lyon)
    html = client.get("/backoffice/dossiers/").content.decode()
    assert "Lyon" in html and "Bordeaux" not in html
    sign_in(client, bordeaux)
    response = client.get("/backoffice/dossiers/")
    html = response.content.decode()
    assert "Bordeaux" in html and "Martin" not in html and "page-slot" not in html
    assert len(set(TOKEN.findall(html))) == 1  # the export form's and the header's: one token
    nonces = set(NONCE.findall(html))
    assert len(nonces) == 1 and f"'nonce-{nonces.pop()}'" in response["Content-Security-Policy"]
    assert re.search(r'href="/backoffice/dossiers/" aria-current="page">', html)


def test_a_message_waiting_shows_on_a_staff_page(client):
    pan = make_pan("69")
    keeper = StaffFactory(mediator=True, role__site=pan, with_totp=True)
    sign_in(client, keeper)
    client.get("/backoffice/mediation/")  # the kept parts are there
    response = client.get(f"/backoffice/mediation/pan/{pan.pk}/jour/2026-02-30/", follow=True)
    assert "existe pas" in response.content.decode()
    assert "existe pas" not in client.get("/backoffice/mediation/").content.decode()  # shown once
