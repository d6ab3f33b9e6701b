"""The help pages, and the links to them from every filing step and every blocking error."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Procedure
from applications.services import draft_save_step, draft_start
from applications.steps import STEP_LABELS, steps_for
from helpcentre.models import Article
from tests.applications.helpers import IDENTITY, renewable_permit, situation
from tests.factories import PASSWORD, UserFactory, procedure

pytestmark = pytest.mark.django_db

REPORT = reverse("substitution:report")


def article_url(slug: str) -> str:
    return reverse("helpcentre:article", args=[slug])


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_help_home_lists_topics_steps_procedures_and_faqs(client, language):
    client.cookies["anef_language"] = language
    response = client.get(reverse("help"))
    assert response.status_code == 200 and reverse("help") == "/aide/" == reverse("helpcentre:home")
    page = response.content.decode()
    assert f'<html lang="{language}"' in page
    assert 'action="/aide/recherche/"' in page and 'id="centre-de-contact"' in page
    for slug in ("renouveler-dans-les-delais", "timbre-fiscal", "e-photo", "attestation-de-prolongation",
                 "vous-etes-bloque", "etape-pieces", "renouvellement-etudiant-pieces"):
        assert article_url(slug) in page, slug
    assert 'class="fr-accordion__btn"' in page and page.count(f'href="{REPORT}"') >= 2
    expected = {"fr": "Quand demander le renouvellement de votre titre de séjour ?",
                "en": "When should you apply to renew your residence permit?"}[language]
    assert expected in page


def test_the_help_home_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # session-less visitor: topics, articles with their procedure
        client.get(reverse("help"))


@pytest.mark.parametrize(("language", "title", "body"), [
    ("fr", "Le timbre fiscal électronique : l'acheter et saisir son numéro", "timbres.impots.gouv.fr"),
    ("en", "The electronic tax stamp: buying it and entering its number", "Beware of websites"),
])
def test_an_article_page_in_each_language(client, language, title, body):
    client.cookies["anef_language"] = language
    page = client.get(article_url("timbre-fiscal")).content.decode()
    assert f"<h1 id=\"article-title\">{title}</h1>".replace("'", "&#x27;") in page
    assert body in page and 'class="fr-breadcrumb"' in page and f'href="{REPORT}"' in page


def test_an_unpublished_or_unknown_article_is_not_found(client):
    Article.objects.filter(slug="e-photo").update(is_published=False)
    assert client.get(article_url("e-photo")).status_code == 404
    assert client.get(article_url("nothing-here")).status_code == 404


def test_a_step_leads_to_its_procedures_article_else_to_the_steps_generic_one(client):
    specific = client.get(reverse("helpcentre:step", args=["renouvellement-etudiant", "documents"]))
    assert specific.url == article_url("renouvellement-etudiant-pieces")
    generic = client.get(reverse("helpcentre:step", args=["renouvellement-salarie", "documents"]))
    assert generic.url == article_url("etape-pieces")
    Article.objects.filter(step="documents").update(is_published=False)
    fallback = client.get(reverse("helpcentre:step", args=["renouvellement-salarie", "documents"]), follow=True)
    assert fallback.status_code == 200 and fallback.redirect_chain[0][0].startswith(reverse("helpcentre:search"))
    assert client.get(reverse("helpcentre:step", args=["renouvellement-salarie", "nowhere"])).status_code == 404


def test_an_error_leads_to_its_article_else_to_its_steps_help_else_to_the_help_home(client):
    assert client.get(reverse("helpcentre:error", args=["tax_stamp_used"])).url == article_url("timbre-fiscal")
    assert client.get(reverse("helpcentre:error", args=["too_large"])).url == article_url("fichier-refuse")
    unknown_at_step = reverse("helpcentre:error_at_step", args=["unheard_of", "renouvellement-etudiant", "documents"])
    assert client.get(unknown_at_step).url == article_url("renouvellement-etudiant-pieces")
    assert client.get(reverse("helpcentre:error", args=["unheard_of"])).url == reverse("help")


def test_every_step_of_every_procedure_links_to_help_that_exists(client):
    procedures = list(Procedure.objects.filter(is_active=True))
    assert len(procedures) >= 10
    for item in procedures:
        for step in steps_for(item):
            response = client.get(reverse("helpcentre:step", args=[item.code, step]), follow=True)
            assert response.status_code == 200, (item.code, step)
            target = response.redirect_chain[-1][0]
            assert target.startswith("/aide/articles/"), (item.code, step, target)


def test_every_step_page_shows_its_help_link(client):
    user = UserFactory()
    client.force_login(user)
    permit = renewable_permit(user)
    dossier, _ = draft_start(applicant=user, procedure=procedure("renouvellement-etudiant"))
    draft_save_step(dossier=dossier, step="eligibility", data={"titre_meme_motif": "yes"}, by=user)
    draft_save_step(dossier=dossier, step="identity", data=IDENTITY, by=user)
    draft_save_step(dossier=dossier, step="situation", data=situation(permit), by=user)
    for step in steps_for(dossier.procedure):
        page = client.get(reverse("applications:step", args=[dossier.pk, step])).content.decode()
        link = reverse("helpcentre:step", args=["renouvellement-etudiant", step])
        assert f'href="{link}"' in page and "Aide pour cette étape" in page, step
        assert str(STEP_LABELS[step]) in page


def test_a_step_forms_errors_link_to_their_help_and_to_the_report_form(client):
    user = UserFactory()
    client.force_login(user)
    dossier, _ = draft_start(applicant=user, procedure=procedure("renouvellement-salarie"))
    permit = renewable_permit(user)
    page = client.post(reverse("applications:step", args=[dossier.pk, "situation"]),
                       {**situation(permit), "postal_code": "6900"}).content.decode()
    link = reverse("helpcentre:error_at_step", args=["postal_code", "renouvellement-salarie", "situation"])
    assert f'href="{link}"' in page and "Lire l'aide sur ce message" in page
    assert f'href="{REPORT}?origine=' in page
    assert client.get(link).url == article_url("etape-situation")


def test_a_tax_stamp_refusal_links_to_the_tax_stamp_article(client):
    user = UserFactory()
    client.force_login(user)
    dossier, _ = draft_start(applicant=user, procedure=procedure("renouvellement-salarie"))
    page = client.post(reverse("applications:step", args=[dossier.pk, "review"]),
                       {"certify": "on", "tax_stamp_number": "123",
                        "ephoto_code": "ABCDEFGHJK2345678901XY"}).content.decode()
    summary = page[page.index('id="error-summary"'):]
    link = re.search(r'href="(/aide/erreur/[^"]+)"', summary).group(1)
    assert link == reverse("helpcentre:error_at_step", args=["tax_stamp_number", "renouvellement-salarie", "review"])
    assert client.get(link).url == article_url("timbre-fiscal")


def test_the_eligibility_refusal_links_to_its_article(client):
    user = UserFactory()
    client.force_login(user)
    dossier, _ = draft_start(applicant=user, procedure=procedure("renouvellement-salarie"))
    page = client.post(reverse("applications:step", args=[dossier.pk, "eligibility"]),
                       {"titre_meme_motif": "no"}).content.decode()
    link = reverse("helpcentre:error_at_step", args=["eligibility_mismatch", "renouvellement-salarie", "eligibility"])
    assert f'href="{link}"' in page and f'href="{REPORT}"' in page
    assert client.get(link).url == article_url("etape-eligibilite")


def test_an_upload_refusal_links_to_the_article_about_refused_files(client):
    user = UserFactory()
    client.force_login(user)
    dossier, _ = draft_start(applicant=user, procedure=procedure("renouvellement-salarie"))
    passport = dossier.procedure.requirements.order_by("position").first().document_type
    bad = SimpleUploadedFile("passeport.pdf", b"<html><script>alert(1)</script></html>")
    page = client.post(reverse("applications:upload", args=[dossier.pk, passport.pk]),
                       {f"t{passport.pk}-file": bad}, follow=True).content.decode()
    link = reverse("helpcentre:error", args=["unrecognised_content"])
    assert f'href="{link}"' in page and f'href="{REPORT}"' in page
    assert client.get(link).url == article_url("fichier-refuse")


def test_a_login_failure_links_to_the_sign_in_article(client):
    user = UserFactory()
    page = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD + "x"}).content.decode()
    link = reverse("helpcentre:error", args=["invalid_login"])
    assert f'href="{link}"' in page and f'href="{REPORT}?origine=' in page
    assert client.get(link).url == article_url("connexion")


def test_the_lockout_page_links_to_the_sign_in_help_and_to_the_report_form(client, settings):
    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("accounts:login"), {"username": user.email, "password": "wrong"})
    assert response.status_code == 429
    link = reverse("helpcentre:error", args=["locked_out"])
    page = response.content.decode()
    assert f'href="{link}"' in page and f'href="{REPORT}"' in page
    assert client.get(link).url == article_url("connexion")


def test_a_booking_refusal_links_to_the_appointments_help(rf):
    from django.template.loader import render_to_string

    request = rf.get("/rendez-vous/")
    html = render_to_string("appointments/_slots.html", {"error": "Ce créneau vient d'être pris.", "days": [],
                                                         "alternatives": [], "request": request})
    assert f'href="{reverse("helpcentre:error", args=["booking"])}"' in html and f'href="{REPORT}"' in html


def test_the_booking_code_leads_to_the_appointments_article(client):
    assert client.get(reverse("helpcentre:error", args=["booking"])).url == article_url("rendez-vous")


def test_the_links_add_no_query_to_a_step_page(client):
    """The links are URLs built from keys the page already has: the help is read only when followed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = UserFactory()
    client.force_login(user)
    dossier, _ = draft_start(applicant=user, procedure=procedure("renouvellement-salarie"))
    url = reverse("applications:step", args=[dossier.pk, "identity"])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert not [query for query in queries.captured_queries if "helpcentre" in query["sql"]]


def test_the_help_key_of_a_form_is_its_first_specific_code_else_its_first_field_in_error():
    from django import forms
    from django.core.exceptions import ValidationError

    from helpcentre.templatetags.helpcentre import error_key

    class Stamp(forms.Form):
        name = forms.CharField()
        stamp = forms.CharField()

    form = Stamp({"name": "", "stamp": "1"})
    assert error_key(form) == "name"  # "required" is Django's generic code
    form.add_error(None, ValidationError("Pièces manquantes"))
    assert error_key(form) == "name"
    form.add_error("stamp", ValidationError("Déjà servi", code="tax_stamp_used"))
    assert error_key(form) == "tax_stamp_used"
    only_form_wide = Stamp({"name": "a", "stamp": "b"})
    only_form_wide.is_valid()
    only_form_wide.add_error(None, ValidationError("Pièces manquantes"))
    assert error_key(only_form_wide) == "formulaire"


def test_the_article_breadcrumb_starts_at_the_portal_home(client):
    page = client.get(article_url("e-photo")).content.decode()
    crumbs = page[page.index('class="fr-breadcrumb__list"'):]
    assert crumbs.index('href="/">Accueil<') < crumbs.index('href="/aide/">Aide et contact<') \
        < crumbs.index('aria-current="page">La photo')
    assert "Espace agent" not in crumbs


def test_error_messages_on_staff_pages_carry_no_report_link(rf):
    from django.contrib.messages.storage.base import Message
    from django.template import Context, Template

    template = Template("{% load helpcentre %}{% help_message_links message %}")
    message = Message(40, "Refusé", extra_tags="help:too_large")
    public = template.render(Context({"request": rf.get("/dossiers/1/etape/documents/"), "message": message}))
    assert 'href="/aide/erreur/too_large/"' in public and f'href="{REPORT}"' in public
    staff = template.render(Context({"request": rf.get("/backoffice/dossiers/1/"), "message": message}))
    assert staff.strip() == ""


def test_a_reader_says_whether_the_article_helped(client):
    from helpcentre.models import ArticleFeedback

    page = client.get(article_url("e-photo")).content.decode()
    assert "Cet article vous a-t-il aidé ?" in page
    url = reverse("helpcentre:feedback", args=["e-photo"])
    response = client.post(url, {"utile": "non"})
    assert response.url == article_url("e-photo") + "?avis=non#avis"
    thanks = client.get(response.url).content.decode()
    assert "Merci pour votre avis" in thanks and "Cet article vous a-t-il aidé ?" not in thanks
    client.post(url, {"utile": "oui"})
    client.post(url, {"utile": "peut-être"})  # not an answer: nothing recorded
    assert sorted(ArticleFeedback.objects.values_list("helpful", flat=True)) == [False, True]
    assert client.get(url).status_code == 405
    assert client.post(reverse("helpcentre:feedback", args=["nothing-here"]), {"utile": "oui"}).status_code == 404
