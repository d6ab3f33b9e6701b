"""Issue 9, item 2: "envoyez les documents demandés ci-dessous" with nothing below. The dossier page
and the notification say which pieces the prefecture asks for, its message, the deadline with the
days left, and what happens if it passes; each requested piece has its own upload."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import ComplementRequest
from applications.services import complements_request
from notifications.models import Notification
from tests.applications.helpers import pdf_file
from tests.factories import DossierFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

MESSAGE = "Le justificatif envoyé date de plus de six mois."
CONSEQUENCE = ("Si vous ne répondez pas à temps, la préfecture peut classer votre demande sans suite. "
               "Tant qu'elle ne l'a pas fait, vous pouvez encore envoyer votre réponse.")


def asked(mails, *, days=21, applicant=None):
    dossier = DossierFactory(status="under_review", applicant=applicant or UserFactory())
    types = [r.document_type for r in dossier.procedure.requirements.select_related("document_type")]
    proof, passport = next(t for t in types if t.code == "justificatif-domicile"), types[1]
    with mails():
        complements_request(dossier=dossier, by=StaffFactory(), document_types=[proof, passport], message=MESSAGE,
                            due_on=timezone.localdate() + timedelta(days=days))
    return dossier, proof, passport


def page(client, dossier) -> str:
    client.force_login(dossier.applicant)
    response = client.get(reverse("applications:dossier", args=[dossier.pk]))
    assert response.status_code == 200
    return response.content.decode().replace("&#x27;", "'").replace("&#39;", "'")


def test_complements_requested_page_lists_the_pieces_the_message_and_the_deadline(client, mails):
    dossier, proof, passport = asked(mails, days=21)
    due = timezone.localdate() + timedelta(days=21)

    html = page(client, dossier)

    section = html[html.index('id="complements"'):html.index("Envoyer ma réponse")]
    for document_type in (proof, passport):
        assert document_type.name.replace("'", "'") in section
        upload = reverse("applications:upload", args=[dossier.pk, document_type.pk])
        assert f'action="{upload}"' in section
    assert MESSAGE in section
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre"]
    assert f"Date limite : {due.day} {months[due.month - 1]} {due.year}" in section
    assert "Il vous reste 21 jours." in section
    assert CONSEQUENCE in section


def test_a_requested_piece_sent_since_the_request_is_marked_sent(client, mails):
    dossier, proof, passport = asked(mails)
    client.force_login(dossier.applicant)
    with mails():
        client.post(reverse("applications:upload", args=[dossier.pk, proof.pk]),
                    {f"t{proof.pk}-file": pdf_file("domicile.pdf")})

    html = page(client, dossier)

    def item(document_type):
        start = html.index(f'id="piece-{document_type.pk}"')
        return html[start:html.index("</li>", start)]

    assert "Envoyé" in item(proof) and "domicile.pdf" in item(proof) and "À envoyer" not in item(proof)
    assert "À envoyer" in item(passport)


def test_a_passed_deadline_is_said_with_the_days_since(client, mails):
    dossier, *_ = asked(mails)
    ComplementRequest.objects.filter(dossier=dossier).update(due_on=timezone.localdate() - timedelta(days=3))

    html = page(client, dossier)

    assert "La date limite est dépassée depuis 3 jours." in html
    assert CONSEQUENCE in html


def test_complements_notification_lists_the_pieces_the_message_and_the_deadline(mails):
    dossier, proof, passport = asked(mails, days=10)
    due = timezone.localdate() + timedelta(days=10)

    notification = Notification.objects.get(recipient=dossier.applicant, channel="inbox",
                                            event="dossier.status_changed")

    assert f"documents à envoyer avant le {due.day} " in notification.subject
    assert f"- {proof.name}\n" in notification.body and f"- {passport.name}\n" in notification.body
    assert MESSAGE in notification.body
    assert "la préfecture peut classer votre demande sans suite" in notification.body


def test_the_notification_links_to_the_file_page(mails):
    from django.conf import settings

    dossier, _proof, _passport = asked(mails, days=10)
    notification = Notification.objects.get(recipient=dossier.applicant, channel="email",
                                            event="dossier.status_changed")
    link = settings.SITE_URL + reverse("applications:dossier", args=[dossier.pk])
    assert f"Votre dossier : {link}\n" in notification.body
