"""The applicant's pages over HTTP: catalogue, routing, abandon, uploads and confirmations."""

import pytest
from django.urls import reverse

from applications.forms import ReviewForm
from applications.models import Attachment, Dossier, Status
from applications.services import draft_start
from tests.applications.helpers import pdf_file, renewable_permit
from tests.factories import DossierFactory, UserFactory, procedure

pytestmark = pytest.mark.django_db


def test_the_catalogue_lists_every_procedure_with_its_documents_fee_and_delay(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = client.get(reverse("applications:catalogue"))
    html = response.content.decode()
    for name in ("Première demande de titre de séjour « Étudiant »",
                 "Renouvellement du titre de séjour « Passeport talent »",
                 "Changement de statut", "Duplicata après perte ou vol du titre de séjour",
                 "Titre de voyage pour étranger (TVE)", "Changement d'adresse"):
        assert name.replace("'", "&#x27;") in html
    assert "Taxe : 75 € en timbre fiscal électronique." in html
    assert "Gratuit." in html
    assert "Justificatif de domicile de moins de 6 mois" in html


def test_starting_twice_resumes_the_same_draft(client):
    client.force_login(UserFactory())
    url = reverse("applications:start", args=["renouvellement-salarie"])
    first = client.post(url)
    second = client.post(url, follow=True)
    assert first["Location"] == second.redirect_chain[0][0]
    assert Dossier.objects.count() == 1
    assert "Vous aviez déjà commencé cette démarche" in second.content.decode()


def test_an_eligibility_answer_routes_to_the_right_procedure_and_the_draft_can_be_abandoned(client):
    user = UserFactory()
    client.force_login(user)
    dossier, _ = draft_start(applicant=user, procedure=procedure("premiere-demande-etudiant"))
    response = client.post(reverse("applications:step", args=[dossier.pk, "eligibility"]), {"deja_titre": "yes"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "ne semble pas correspondre" in html
    assert reverse("applications:start", args=["renouvellement-etudiant"]) in html

    response = client.post(reverse("applications:abandon", args=[dossier.pk]))
    assert response["Location"] == reverse("applications:catalogue")
    assert not Dossier.objects.filter(pk=dossier.pk).exists()


def test_a_step_with_errors_keeps_what_was_typed(client):
    user = UserFactory()
    client.force_login(user)
    dossier, _ = draft_start(applicant=user, procedure=procedure("renouvellement-salarie"))
    response = client.post(reverse("applications:step", args=[dossier.pk, "situation"]),
                           {"address": "3 rue Garibaldi", "postal_code": "6900", "city": "Lyon"})
    html = response.content.decode()
    assert "Le code postal comporte 5 chiffres." in html
    assert 'value="3 rue Garibaldi"' in html
    assert "situation" not in Dossier.objects.get(pk=dossier.pk).answers


def test_a_refused_upload_says_why_and_keeps_the_other_files(client):
    user = UserFactory()
    client.force_login(user)
    dossier, _ = draft_start(applicant=user, procedure=procedure("renouvellement-salarie"))
    passport, permit = [r.document_type for r in dossier.procedure.requirements.order_by("position")[:2]]
    client.post(reverse("applications:upload", args=[dossier.pk, permit.pk]), {f"t{permit.pk}-file": pdf_file()})
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("passeport.pdf", b"<html><script>alert(1)</script></html>")
    response = client.post(reverse("applications:upload", args=[dossier.pk, passport.pk]),
                           {f"t{passport.pk}-file": bad}, follow=True)
    html = response.content.decode()
    assert "fichier refusé" in html
    assert "ne correspond pas à un PDF, un JPEG ou un PNG" in html
    assert list(Attachment.objects.filter(dossier=dossier).values_list("document_type", flat=True)) == [permit.pk]


def test_the_attachment_is_served_inline_with_a_locked_down_policy(client):
    user = UserFactory()
    client.force_login(user)
    dossier, _ = draft_start(applicant=user, procedure=procedure("renouvellement-salarie"))
    document_type = dossier.procedure.requirements.first().document_type
    client.post(reverse("applications:upload", args=[dossier.pk, document_type.pk]),
                {f"t{document_type.pk}-file": pdf_file("../../../etc/passwd.pdf")})
    attachment = Attachment.objects.get()
    assert attachment.original_name == "passwd.pdf"
    assert "attachments/" in attachment.file.name and "passwd" not in attachment.file.name
    response = client.get(reverse("applications:attachment", args=[dossier.pk, attachment.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"


def test_withdrawal_asks_for_confirmation(client, mails):
    dossier = DossierFactory(status="under_review")
    client.force_login(dossier.applicant)
    url = reverse("applications:withdraw", args=[dossier.pk])
    response = client.post(url, {"reason": "Je pars"})
    assert "Cochez la case pour confirmer le retrait." in response.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).status == Status.UNDER_REVIEW
    with mails():
        client.post(url, {"reason": "Je pars", "confirm": "on"})
    assert Dossier.objects.get(pk=dossier.pk).status == Status.WITHDRAWN


def test_an_upload_for_a_document_type_the_procedure_does_not_ask_for_is_refused(client):
    # Regression: the upload view used to accept any document type id from the URL.
    from applications.models import DocumentType

    user = UserFactory()
    client.force_login(user)
    dossier, _ = draft_start(applicant=user, procedure=procedure("changement-adresse"))
    foreign = DocumentType.objects.exclude(pk__in=dossier.procedure.requirements.values("document_type")).first()
    response = client.post(reverse("applications:upload", args=[dossier.pk, foreign.pk]),
                           {f"t{foreign.pk}-file": pdf_file()})
    assert response.status_code == 404
    assert not Attachment.objects.exists()


def test_the_late_renewal_fee_is_the_configured_one_on_the_dashboard_and_the_filing_form(client, settings):
    """The dashboard said "180 €" in its text whatever the fee was set to."""
    settings.LATE_RENEWAL_FEE_EUR = 225
    user = UserFactory()
    renewable_permit(user, days_left=30)  # the window closed 30 days ago: a late renewal
    client.force_login(user)
    dashboard = client.get(reverse("applications:dashboard")).content.decode()
    assert "une taxe de 225 €" in dashboard and "180 €" not in dashboard
    form = ReviewForm(procedure=procedure("renouvellement-salarie"), late=True)
    assert "une taxe supplémentaire de 225 € est due" in str(form.fields["accept_late"].label)
