"""notify(): one outbox row per channel the person chose, rendered in their language, sent once."""

from datetime import date

import pytest
from django.conf import settings as django_settings
from django.core import mail

from accounts.models import AuditEvent
from notifications.models import Channel, Notification, Status
from notifications.services import notify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossier(db):
    # notifications sits below the apps that own dossiers: any model instance stands for one.
    return AuditEvent.objects.create(action="dossier.created", object_type="x", object_id="1")


@pytest.fixture
def event_templates(settings, tmp_path):
    """Templates of a test-only event, ahead of the project's, that show the active language
    through Django's own catalogue (month names), whatever the project catalogue holds yet."""
    folder = tmp_path / "notifications"
    folder.mkdir()
    (folder / "test_decision_subject.txt").write_text(
        "Décision {{ decided_on|date:'j F Y' }}\n"
    )
    (folder / "test_decision.txt").write_text(
        "{% load i18n %}{% get_current_language as lang %}lang={{ lang }} month={{ decided_on|date:'F' }}\n{{ url }}\n"
    )
    engine = {**django_settings.TEMPLATES[0]}
    engine["DIRS"] = [tmp_path, *engine["DIRS"]]
    settings.TEMPLATES = [engine]
    return folder


def test_notify_creates_an_inbox_row_and_one_row_per_channel_chosen(mails, dossier):
    person = UserFactory(notify_by_email=True, notify_by_sms=True, phone="06 12 34 56 78",
                         notify_by_post=True)

    with mails():
        created = notify(recipient=person, event="test.submitted", obj=dossier)

    rows = {n.channel: n for n in Notification.objects.filter(recipient=person)}
    assert set(rows) == {Channel.INBOX, Channel.EMAIL, Channel.SMS, Channel.LETTER}
    assert {n.pk for n in created} == {n.pk for n in rows.values()}
    for row in rows.values():
        assert (row.event, row.object_type, row.object_id) == (
            "test.submitted", "accounts.auditevent", str(dossier.pk))
    assert rows[Channel.INBOX].status == Status.SENT and rows[Channel.INBOX].sent_at
    assert rows[Channel.EMAIL].status == Status.SENT and rows[Channel.EMAIL].attempts == 1
    assert rows[Channel.SMS].status == Status.SENT
    # Letters wait for printing: no worker sends them.
    assert rows[Channel.LETTER].status == Status.PENDING and rows[Channel.LETTER].attempts == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [person.email]


def test_only_the_inbox_when_the_person_chose_no_other_channel_it_can_use(mails, dossier, sms_outbox):
    # notify_by_sms without a phone number cannot reach the person by SMS.
    person = UserFactory(notify_by_email=False, notify_by_sms=True, phone="", notify_by_post=False)

    with mails():
        created = notify(recipient=person, event="test.submitted", obj=dossier)

    assert [n.channel for n in created] == [Channel.INBOX]
    assert mail.outbox == [] and sms_outbox == []


def test_the_generic_message_is_used_when_the_event_has_no_templates(mails, dossier):
    person = UserFactory(first_name="Awa")

    with mails():
        notify(recipient=person, event="no.such_event", obj=dossier)

    message = mail.outbox[0]
    assert message.subject == "Votre dossier a évolué"
    assert "Bonjour Awa," in message.body
    assert "connectez-vous à votre espace" in message.body
    assert f"{django_settings.SITE_URL}/espace/" in message.body
    inbox = Notification.objects.get(recipient=person, channel=Channel.INBOX)
    assert (inbox.subject, inbox.body) == (message.subject, message.body)


def test_a_caller_can_link_to_the_object_and_add_context(mails, dossier, event_templates):
    person = UserFactory()

    with mails():
        notify(recipient=person, event="test.decided", obj=dossier, template="test_decision",
               context={"decided_on": date(2025, 3, 14), "url": "https://anef.example/d/42/"})

    assert mail.outbox[0].subject == "Décision 14 mars 2025"
    assert "https://anef.example/d/42/" in mail.outbox[0].body


@pytest.mark.parametrize(("language", "month"), [("fr", "mars"), ("en", "March")])
def test_the_message_is_written_in_the_recipient_language(mails, dossier, event_templates,
                                                          language, month):
    person = UserFactory(preferred_language=language)

    with mails():
        notify(recipient=person, event="test.decision", obj=dossier,
               context={"decided_on": date(2025, 3, 14)})

    assert f"lang={language} month={month}" in mail.outbox[0].body
    assert month in mail.outbox[0].subject


def test_an_explicit_template_that_does_not_exist_is_an_error(dossier):
    from django.template import TemplateDoesNotExist

    with pytest.raises(TemplateDoesNotExist):
        notify(recipient=UserFactory(), event="test.submitted", obj=dossier, template="typo")
    assert not Notification.objects.exists()


def test_notifying_twice_for_the_same_event_and_object_sends_nothing_more(mails, dossier, sms_outbox):
    person = UserFactory(notify_by_sms=True, phone="0612345678")
    with mails():
        first = notify(recipient=person, event="test.submitted", obj=dossier)
    before = list(Notification.objects.order_by("id").values())

    with mails():
        second = notify(recipient=person, event="test.submitted", obj=dossier)

    assert len(first) == 3 and second == []
    assert list(Notification.objects.order_by("id").values()) == before
    assert len(mail.outbox) == 1 and len(sms_outbox) == 1


def test_a_batch_told_again_sends_only_what_was_not_written_yet(mails, dossier, sms_outbox):
    """notify_many writes with ON CONFLICT DO NOTHING: what existed (the same person, event,
    object and channel) is neither written again nor returned nor sent; the rest is."""
    from notifications.services import Message, notify_many

    person, newcomer = UserFactory(notify_by_sms=True, phone="0612345678"), UserFactory()
    with mails():
        notify(recipient=person, event="test.submitted", obj=dossier)
    before = list(Notification.objects.order_by("id").values())

    with mails():
        created = notify_many(event="test.submitted", messages=[Message(recipient=person, obj=dossier),
                                                                 Message(recipient=newcomer, obj=dossier)])

    assert {(row.recipient, row.channel) for row in created} == {(newcomer, "inbox"), (newcomer, "email")}
    assert all(row.pk and not row._state.adding for row in created)
    assert list(Notification.objects.filter(recipient=person).order_by("id").values()) == before
    assert sorted(m.to[0] for m in mail.outbox) == sorted([person.email, newcomer.email])  # one each
    assert len(sms_outbox) == 1


def test_another_object_or_event_is_another_notification(mails, dossier):
    person = UserFactory()
    other = AuditEvent.objects.create(action="dossier.created", object_type="x", object_id="2")
    with mails():
        notify(recipient=person, event="test.submitted", obj=dossier)
        notify(recipient=person, event="test.submitted", obj=other)
        notify(recipient=person, event="test.accepted", obj=dossier)

    assert len(mail.outbox) == 3
    assert Notification.objects.filter(recipient=person, channel=Channel.INBOX).count() == 3


def test_nothing_is_sent_when_the_transaction_rolls_back(mails, dossier):
    from django.db import transaction

    person = UserFactory()
    with mails(), pytest.raises(RuntimeError), transaction.atomic():
        notify(recipient=person, event="test.submitted", obj=dossier)
        raise RuntimeError("the change that triggered the notification failed")

    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_sms_carry_the_subject_and_the_link_within_160_characters(mails, dossier, sms_outbox,
                                                                 event_templates):
    (event_templates / "test_long_subject.txt").write_text("Très long objet " * 20)
    (event_templates / "test_long.txt").write_text("Corps")
    person = UserFactory(notify_by_email=False, notify_by_sms=True, phone="+33 6 12 34 56 78")

    with mails():
        notify(recipient=person, event="test.long", obj=dossier)

    [sms] = sms_outbox
    assert sms.phone == "+33 6 12 34 56 78"
    assert len(sms.text) <= 160
    assert sms.text.startswith("Très long objet")
    assert sms.text.endswith(f" {django_settings.SITE_URL}/espace/")
    row = Notification.objects.get(channel=Channel.SMS)
    assert row.body == sms.text and row.status == Status.SENT
