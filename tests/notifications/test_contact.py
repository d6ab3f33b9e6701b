"""notify_contact(): the outbox for a person without an account (issue 11). Same table, rows with
contact details instead of a recipient; e-mail if any, SMS if a phone, else a pending letter;
rendered in their language; sent by the same task; never twice."""

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from accounts.models import AuditEvent
from notifications.models import Channel, Notification, Status
from notifications.services import Contact, contact_channels, notify_contact
from notifications.tasks import retry_pending_notifications

pytestmark = pytest.mark.django_db

TEMPLATE = "report_opened"


@pytest.fixture
def obj(db):
    # Any model instance stands for the person's report (notifications sits below substitution).
    return AuditEvent.objects.create(action="report.opened", object_type="x", object_id="1")


@pytest.fixture
def report():
    from datetime import date
    from types import SimpleNamespace

    return SimpleNamespace(reference="SIG-2026-000042", deadline=date(2026, 3, 17))


def send(obj, report, contact, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return notify_contact(contact=contact, event="report.opened", obj=obj, template=TEMPLATE,
                              context={"report": report}, **kwargs)


def test_email_and_phone_give_an_email_and_an_sms(obj, report, sms_outbox, django_capture_on_commit_callbacks):
    contact = Contact(name="Moussa", email="moussa@example.org", phone="0612345678")
    rows = send(obj, report, contact, django_capture_on_commit_callbacks, url="https://anef.example/signaler/")
    assert {row.channel for row in rows} == {Channel.EMAIL, Channel.SMS}
    assert all(row.recipient is None for row in rows)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["moussa@example.org"]
    assert "SIG-2026-000042" in mail.outbox[0].subject
    assert "Bonjour Moussa," in mail.outbox[0].body
    assert "mardi 17 mars 2026" in mail.outbox[0].body
    assert len(sms_outbox) == 1 and sms_outbox[0].phone == "0612345678"
    assert sms_outbox[0].text.endswith("https://anef.example/signaler/")
    assert Notification.objects.filter(status=Status.SENT).count() == 2


def test_a_phone_only_gives_an_sms_without_a_link_when_none_is_given(obj, report, sms_outbox,
                                                                     django_capture_on_commit_callbacks):
    rows = send(obj, report, Contact(phone="0612345678"), django_capture_on_commit_callbacks)
    assert [row.channel for row in rows] == [Channel.SMS]
    assert sms_outbox[0].text == rows[0].subject and "http" not in sms_outbox[0].text
    assert mail.outbox == []


def test_a_postal_address_only_gives_a_pending_letter(obj, report, sms_outbox, django_capture_on_commit_callbacks):
    contact = Contact(name="Moussa", postal_address="Moussa TRAORE\n3 rue des Lilas\n69003 Lyon")
    rows = send(obj, report, contact, django_capture_on_commit_callbacks)
    assert [row.channel for row in rows] == [Channel.LETTER]
    letter = rows[0]
    assert letter.status == Status.PENDING and "SIG-2026-000042" in letter.body
    assert letter.contact_postal_address.endswith("69003 Lyon")
    assert mail.outbox == [] and sms_outbox == []
    assert retry_pending_notifications() == 0  # letters are printed, not sent by a worker


def test_channels_are_chosen_like_for_an_account_without_a_space():
    assert contact_channels(Contact(email="a@example.org", phone="06", postal_address="x")) == ["email", "sms"]
    assert contact_channels(Contact(email="a@example.org", postal_address="x")) == ["email"]
    assert contact_channels(Contact(postal_address="x")) == ["letter"]
    assert contact_channels(Contact()) == []


def test_the_message_is_written_in_the_contact_language(obj, report, django_capture_on_commit_callbacks):
    send(obj, report, Contact(name="Moussa", email="m@example.org", language="en"),
         django_capture_on_commit_callbacks)
    assert "March" in mail.outbox[0].body  # Django's own catalogue: the date in English


def test_calling_again_sends_nothing_more_even_with_new_contact_details(obj, report, sms_outbox,
                                                                          django_capture_on_commit_callbacks):
    send(obj, report, Contact(email="m@example.org", phone="0612345678"), django_capture_on_commit_callbacks)
    again = send(obj, report, Contact(email="new@example.org", phone="0699999999"),
                 django_capture_on_commit_callbacks)
    assert again == []
    assert len(mail.outbox) == 1 and len(sms_outbox) == 1
    assert Notification.objects.count() == 2


def test_the_database_keeps_one_contact_row_per_event_object_and_channel(obj):
    fields = {"event": "report.opened", "object_type": "accounts.auditevent", "object_id": str(obj.pk),
              "channel": Channel.EMAIL, "subject": "s", "body": "b", "contact_email": "m@example.org"}
    Notification.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(**{**fields, "contact_email": "other@example.org"})


def test_the_database_refuses_a_row_with_neither_recipient_nor_contact(obj):
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(event="e", object_type="t", object_id="1", channel=Channel.EMAIL,
                                    subject="s", body="b", contact_name="Moussa")


def test_a_contact_that_cannot_be_reached_is_a_bug(obj, report):
    with pytest.raises(ValueError):
        notify_contact(contact=Contact(name="Moussa"), event="report.opened", obj=obj, template=TEMPLATE,
                       context={"report": report})
