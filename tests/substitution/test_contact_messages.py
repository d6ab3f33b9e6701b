"""Messages to a person who reported without an account: the acknowledgement and the answers reach
them by e-mail, SMS or letter, and never carry the secret follow link."""

import pytest
from django.core import mail
from django.urls import reverse

from notifications.models import Channel, Notification
from substitution import services
from tests.factories import BlockingReportFactory
from tests.substitution.test_reports import anonymous_post

pytestmark = pytest.mark.django_db


def test_the_acknowledgement_gives_the_reference_and_deadline_but_not_the_secret_link(
        client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("substitution:report"), anonymous_post(phone="0612345678"))
    follow_url = client.get(response["Location"]).context["follow_url"]
    secret = follow_url.rstrip("/").rsplit("/", 1)[-1]
    rows = Notification.objects.filter(event="report.opened", recipient__isnull=True)
    assert {row.channel for row in rows} == {Channel.EMAIL, Channel.SMS}
    (message,) = mail.outbox
    assert "SIG-" in message.subject and "Nous vous répondrons au plus tard le" in message.body
    assert "utilisez le lien qui vous a été donné" in message.body
    assert all(secret not in row.body and "/suivi/" not in row.body for row in rows)


def test_an_account_holder_gets_no_acknowledgement_message():
    from tests.factories import UserFactory, prefecture

    person = UserFactory()
    services.report_open(channel="online", person=person, by=person, prefecture=prefecture("69"),
                         blockage=services.Blockage(kind="login"))
    assert not Notification.objects.filter(event="report.opened").exists()


def test_an_answer_reaches_a_person_without_an_account_by_sms(ccc, sms_outbox, django_capture_on_commit_callbacks):
    report = BlockingReportFactory()  # a phone only
    with django_capture_on_commit_callbacks(execute=True):
        services.report_answer(report=report, by=ccc, text="Essayez avec un autre navigateur.")
    (row,) = Notification.objects.filter(event="report.answered")
    assert row.channel == Channel.SMS and row.recipient is None and row.contact_phone == report.phone
    assert len(sms_outbox) == 1 and "/suivi/" not in sms_outbox[0].text


def test_an_answer_reaches_a_person_without_an_account_by_email_in_their_language(
        ccc, django_capture_on_commit_callbacks):
    report = BlockingReportFactory(phone="", email="moussa@example.org", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        services.report_answer(report=report, by=ccc, text="Use another browser.")
    (message,) = mail.outbox
    assert message.to == ["moussa@example.org"] and "Use another browser." in message.body
    assert report.reference in message.body and "/suivi/" not in message.body


def test_an_answer_reaches_a_person_with_only_a_postal_address_by_letter(ccc):
    report = BlockingReportFactory(phone="", address="3 rue des Lilas", city="Lyon")
    services.report_answer(report=report, by=ccc, text="Nous corrigeons le problème.")
    services.report_answer(report=report, by=ccc, text="C'est corrigé.")
    letters = Notification.objects.filter(event="report.answered", channel=Channel.LETTER).order_by("id")
    assert letters.count() == 2  # each answer is its own message
    assert letters[0].contact_postal_address.splitlines()[-1] == "69003 Lyon"
    assert "Nous corrigeons le problème." in letters[0].body
