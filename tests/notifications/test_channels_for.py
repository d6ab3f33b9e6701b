"""Which channels a message goes by (notifications.services.channels_for), above all for people
without e-mail (issue 12): never e-mail; SMS with a phone; otherwise a letter."""

import pytest
from django.core import mail

from notifications.models import Channel, Notification, Status
from notifications.services import channels_for, notify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_person_with_email_gets_the_channels_they_chose():
    person = UserFactory(phone="0612345678", notify_by_sms=True)
    assert channels_for(person) == [Channel.INBOX, Channel.EMAIL, Channel.SMS]
    assert channels_for(UserFactory(phone="0612345678")) == [Channel.INBOX, Channel.EMAIL]


def test_without_email_and_with_a_phone_sms_even_if_not_chosen():
    person = UserFactory(without_email=True, phone="0612345678", notify_by_email=True, notify_by_sms=False)
    assert channels_for(person) == [Channel.INBOX, Channel.SMS]


def test_without_email_nor_phone_a_letter_even_if_not_chosen():
    person = UserFactory(without_email=True, address="3 rue des Lilas", postal_code="69003", city="Lyon",
                         notify_by_email=True)
    assert channels_for(person) == [Channel.INBOX, Channel.LETTER]


def test_without_email_a_letter_too_when_asked():
    person = UserFactory(without_email=True, phone="0612345678", notify_by_post=True)
    assert channels_for(person) == [Channel.INBOX, Channel.SMS, Channel.LETTER]


def test_notify_reaches_a_person_without_email_by_sms(sms_outbox, django_capture_on_commit_callbacks):
    person = UserFactory(without_email=True, phone="0612345678")
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify(recipient=person, event="dossier.submitted", obj=person)
    assert {row.channel for row in rows} == {Channel.INBOX, Channel.SMS}
    assert len(sms_outbox) == 1 and sms_outbox[0].phone == "0612345678"
    assert mail.outbox == []


def test_notify_leaves_a_letter_pending_for_a_person_without_email_nor_phone(django_capture_on_commit_callbacks):
    person = UserFactory(without_email=True, address="3 rue des Lilas", postal_code="69003", city="Lyon")
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=person, event="dossier.submitted", obj=person)
    letter = Notification.objects.get(recipient=person, channel=Channel.LETTER)
    assert letter.status == Status.PENDING and letter.body
    assert not Notification.objects.filter(recipient=person, channel=Channel.EMAIL).exists()
    assert mail.outbox == []
