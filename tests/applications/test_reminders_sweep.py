"""The renewal reminder sweep (applications/services/reminders.py): what it writes in the outbox,
for whom, on which channels and in which language, and that it writes each reminder once."""

from datetime import date, time, timedelta

import pytest
from django.core import mail

from applications.models import RenewalReminder
from applications.services.reminders import renewal_reminders_sweep
from notifications import channels as sms
from notifications.models import Notification
from tests.factories import DossierFactory, PermitFactory, UserFactory, procedure

pytestmark = pytest.mark.django_db

TODAY = date(2027, 3, 15)


def permit_due(days_before: int, **holder):
    return PermitFactory(holder=UserFactory(**holder), valid_until=TODAY + timedelta(days=days_before))


def rows(permit, **filters):
    return Notification.objects.filter(object_type="applications.permit", object_id=str(permit.pk), **filters)


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms.outbox.clear()


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """The sweep, with its after-commit deliveries run as a real commit would."""

    def run(today: date, **kwargs) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return renewal_reminders_sweep(today=today, **kwargs)

    return run


def test_each_milestone_is_written_once_per_channel_with_its_wording(sweep):
    opens, late = permit_due(120), permit_due(59, phone="0612345678", notify_by_sms=True)
    not_yet = permit_due(121)
    assert sweep(TODAY) == 2
    assert sorted(rows(opens).values_list("event", "channel")) == [
        ("permit.renewal_window_opens", "email"), ("permit.renewal_window_opens", "inbox")]
    assert sorted(rows(late).values_list("channel", flat=True)) == ["email", "inbox", "sms"]
    assert not rows(not_yet).exists()
    body = rows(late, channel="email").get().body
    assert "180 €" in body and "attestation de prolongation" in body
    assert f"Bonjour {late.holder.first_name}," in body
    assert "13 mai 2027" in body  # the permit's last day, in French
    assert "14 mars 2027" in body  # the window closed yesterday (J-60)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([opens.holder.email, late.holder.email])
    assert len(sms.outbox) == 1 and sms.outbox[0].text.startswith("Renouvellement de votre titre")
    assert RenewalReminder.objects.get(permit=late).due_on == TODAY


def test_the_message_is_in_the_holders_language(sweep):
    permit = permit_due(90, preferred_language="en")
    sweep(TODAY)
    assert "13 June 2027" in rows(permit, channel="email").get().body


def test_a_letter_is_written_for_a_holder_who_asked_for_letters(sweep):
    permit = permit_due(70, notify_by_post=True, notify_by_email=False)
    sweep(TODAY)
    assert sorted(rows(permit).values_list("channel", "status")) == [("inbox", "sent"), ("letter", "pending")]


def test_a_filed_renewal_stops_the_reminders(sweep):
    permit = permit_due(90)
    sweep(TODAY - timedelta(days=30))  # J-120
    assert rows(permit).filter(event="permit.renewal_window_opens").count() == 2
    DossierFactory(filed=True, applicant=permit.holder, procedure=procedure("renouvellement-salarie"),
                   renewed_permit=permit)
    for day in range(0, 95):
        sweep(TODAY + timedelta(days=day))
    assert rows(permit).count() == 2
    assert list(RenewalReminder.objects.filter(permit=permit).values_list("milestone", flat=True)) == ["j120"]


def test_a_replaced_permit_is_not_reminded(sweep):
    new = PermitFactory(valid_until=TODAY + timedelta(days=900))
    permit = PermitFactory(holder=new.holder, valid_until=TODAY + timedelta(days=90), replaced_by=new)
    sweep(TODAY)
    assert not rows(permit).exists()


def test_the_sweep_run_twice_writes_and_sends_each_reminder_once(sweep):
    permits = [permit_due(days) for days in (120, 90, 70, 60, 59)]
    assert sweep(TODAY, batch_size=2) == 5
    assert sweep(TODAY, batch_size=2) == 0
    assert Notification.objects.count() == 10
    assert RenewalReminder.objects.count() == 5
    assert len(mail.outbox) == 5
    assert {p.pk for p in permits} == set(RenewalReminder.objects.values_list("permit_id", flat=True))


def test_catch_up_after_a_gap_of_several_days_sends_each_due_milestone_once_with_the_right_wording(sweep):
    # The sweep last ran on TODAY - 5; it is back on TODAY.
    missed_j90 = permit_due(87)  # J-90 was 3 days ago: still sent, as J-90
    missed_opening = permit_due(89)  # J-120 was 31 days ago (already sent), J-90 the day after the gap
    missed_last_day = permit_due(58)  # J-60 was 2 days ago: the late notice now, not "last day today"
    too_old = permit_due(110)  # J-120 was 10 days ago: not sent weeks late
    sweep(TODAY - timedelta(days=31))
    assert RenewalReminder.objects.filter(permit=missed_opening, milestone="j120").exists()
    sweep(TODAY - timedelta(days=5))
    Notification.objects.all().delete()
    mail.outbox.clear()

    sweep(TODAY)
    sweep(TODAY + timedelta(days=1))
    assert set(rows(missed_j90, channel="email").values_list("event", flat=True)) == {"permit.renewal_reminder_j90"}
    assert set(rows(missed_opening, channel="email").values_list("event", flat=True)) == {
        "permit.renewal_reminder_j90"}
    assert set(rows(missed_last_day, channel="email").values_list("event", flat=True)) == {"permit.renewal_late"}
    assert not rows(too_old).exists()
    assert len(mail.outbox) == 3


# --- What each row says and where it goes (issue 10: tests written from mutation survivors) -------

def test_the_email_is_the_templates_text_with_the_persons_dates_and_the_link_to_their_space(sweep):
    from django.conf import settings
    from django.shortcuts import resolve_url

    late = permit_due(59, first_name="Amina")
    sweep(TODAY)

    body = rows(late, channel="email").get().body
    assert body.startswith("Bonjour Amina,\n")
    assert ("Le délai pour demander le renouvellement de votre titre de séjour s'est terminé le 14 mars 2027. "
            "Votre titre est valable jusqu'au 13 mai 2027.") in body
    assert f"Connectez-vous à votre espace : {settings.SITE_URL}{resolve_url(settings.LOGIN_REDIRECT_URL)}\n" in body
    assert body.endswith("Ministère de l'Intérieur – Étrangers en France\n")


def test_the_whole_message_is_in_the_holders_language_and_a_holder_without_first_name_is_greeted_by_address(sweep):
    english = permit_due(59, preferred_language="en", first_name="")
    sweep(TODAY)
    body = rows(english, channel="email").get().body
    assert body.startswith(f"Hello {english.holder.email},\n")
    assert "Bonjour" not in body and "13 May 2027" in body


def test_a_holder_known_by_login_only_is_greeted_by_it_in_their_letter(sweep):
    person = permit_due(59, without_email=True, first_name="", phone="")
    sweep(TODAY)
    assert rows(person, channel="letter").get().body.startswith(f"Bonjour {person.holder.login_id},\n")


def test_each_letter_goes_to_the_desk_that_prints_that_persons_letters(sweep):
    from accounts.models import AuditEvent
    from notifications.letters import ACCOUNT_MADE_FOR_PERSON, letter_route_for_user
    from territory.models import Department
    from tests.factories import StaffFactory
    from tests.mediation.conftest import make_pan

    rhone = Department.objects.get(code="69")
    pan = make_pan("69")
    mediator = StaffFactory(mediator=True, role__site=pan)
    # the département the person gave wins over the postcode of their address
    in_rhone = permit_due(59, notify_by_post=True, department=rhone, postal_code="13001")
    by_postcode = permit_due(59, notify_by_post=True, department=None, postal_code="13001")
    made_at_the_pan = permit_due(59, without_email=True, phone="", department=rhone, postal_code="69003")
    AuditEvent.objects.create(actor=mediator, action=ACCOUNT_MADE_FOR_PERSON, object_type="accounts.user",
                              object_id=str(made_at_the_pan.holder.pk))
    # made for the person elsewhere (no help point on record), same département and postcode
    made_elsewhere = permit_due(59, without_email=True, phone="", department=rhone, postal_code="69003")

    sweep(TODAY)

    routes = {}
    for permit in (in_rhone, by_postcode, made_at_the_pan, made_elsewhere):
        route = letter_route_for_user(user=permit.holder)
        routes[permit.pk] = (route.prefecture_id, route.site_id)
        letter = rows(permit, channel="letter").get()
        assert (letter.letter_prefecture_id, letter.letter_site_id) == routes[permit.pk]
    assert routes[made_at_the_pan.pk] == (pan.prefecture_id, pan.pk)
    assert routes[made_elsewhere.pk] == (pan.prefecture_id, None)
    assert routes[in_rhone.pk][0] == pan.prefecture_id and routes[in_rhone.pk][1] is None
    assert routes[by_postcode.pk][0] not in (None, pan.prefecture_id)
    # Only letters are routed to a desk.
    assert not rows(in_rhone).exclude(channel="letter").exclude(letter_prefecture=None).exists()


def test_the_inbox_row_is_delivered_as_it_is_written_and_the_others_wait_for_their_worker(
        django_capture_on_commit_callbacks):
    permit = permit_due(59, phone="0612345678", notify_by_sms=True)
    with django_capture_on_commit_callbacks(execute=False):
        renewal_reminders_sweep(today=TODAY)
    assert sorted((channel, status, sent is not None) for channel, status, sent
                  in rows(permit).values_list("channel", "status", "sent_at")) == [
        ("email", "pending", False), ("inbox", "sent", True), ("sms", "pending", False)]


def test_a_holder_reached_by_the_inbox_only_gets_one_row(sweep):
    permit = permit_due(59, notify_by_email=False)
    assert sweep(TODAY) == 1
    assert list(rows(permit).values_list("channel", flat=True)) == ["inbox"]


def test_only_a_filed_renewal_of_this_very_permit_stops_its_reminders(sweep):
    reminded, other = permit_due(59), permit_due(59)
    renewal = procedure("renouvellement-salarie")
    DossierFactory(filed=True, applicant=other.holder, procedure=renewal, renewed_permit=other)
    DossierFactory(status="draft", applicant=reminded.holder, procedure=renewal, renewed_permit=reminded)
    DossierFactory(filed=True, applicant=reminded.holder, procedure=procedure("duplicata-perte-vol"),
                   renewed_permit=reminded)  # a lost card replaced: not a renewal

    sweep(TODAY)

    assert rows(reminded, channel="email").exists()
    assert not rows(other).exists()


def test_batches_follow_the_permits_end_dates_whatever_their_ids(sweep):
    # Created in the reverse order of their ends: a batch taken in id order would skip the first.
    later, earlier = permit_due(58), permit_due(56)
    assert later.pk < earlier.pk
    assert sweep(TODAY, batch_size=1) == 2
    assert rows(later, channel="email").exists() and rows(earlier, channel="email").exists()


# --- Queuing again what a lost worker left pending -------------------------------------------------

def reminder_row(*, created_at, channel="email", status="pending", attempts=0, event=None):
    from applications.reminders import EVENTS

    return Notification.objects.create(
        recipient=UserFactory(), event=event or EVENTS[0], object_type="applications.permit", object_id="1",
        channel=channel, subject="Rappel", body="Votre titre de séjour arrive à échéance.\n", status=status,
        attempts=attempts, created_at=created_at)


def test_pending_reminders_of_the_last_week_are_queued_again_and_nothing_else(django_capture_on_commit_callbacks):
    from datetime import datetime

    from django.conf import settings
    from django.utils import timezone

    from applications.reminders import CATCH_UP_DAYS
    from applications.services.reminders import reminders_requeue_pending

    run_started = timezone.make_aware(datetime.combine(TODAY, time(2, 0)))
    since = timezone.make_aware(datetime.combine(TODAY - timedelta(days=CATCH_UP_DAYS), datetime.min.time()))
    again = [
        reminder_row(created_at=since),  # the first instant of the week
        reminder_row(created_at=run_started - timedelta(seconds=1)),
        reminder_row(created_at=since + timedelta(days=1), attempts=settings.NOTIFICATION_MAX_ATTEMPTS - 1),
    ]
    left = [
        reminder_row(created_at=since - timedelta(seconds=1)),  # older than the week
        reminder_row(created_at=run_started),  # written by this run: queued by it
        reminder_row(created_at=since + timedelta(days=1), status="failed"),
        reminder_row(created_at=since + timedelta(days=1), event="dossier.status_changed"),
        reminder_row(created_at=since + timedelta(days=1), channel="letter"),
        reminder_row(created_at=since + timedelta(days=1), attempts=settings.NOTIFICATION_MAX_ATTEMPTS),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_requeue_pending(today=TODAY, written_before=run_started) == len(again)

    assert sorted(m.to[0] for m in mail.outbox) == sorted(row.recipient.email for row in again)
    assert set(Notification.objects.filter(pk__in=[r.pk for r in again]).values_list("status", flat=True)) == {"sent"}
    assert [Notification.objects.get(pk=r.pk).status for r in left] == [r.status for r in left]


def test_a_broker_away_does_not_fail_the_run_and_the_rows_stay_pending(django_capture_on_commit_callbacks, caplog):
    from datetime import datetime
    from unittest import mock

    from django.utils import timezone
    from kombu.exceptions import OperationalError

    from applications import tasks
    from applications.services.reminders import reminders_requeue_pending

    row = reminder_row(created_at=timezone.make_aware(datetime.combine(TODAY - timedelta(days=1), time(9, 0))))
    with mock.patch.object(tasks.deliver_renewal_reminders, "delay", side_effect=OperationalError("Redis away")):
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_requeue_pending(today=TODAY, written_before=timezone.make_aware(
                datetime.combine(TODAY, time(2, 0)))) == 1

    assert Notification.objects.get(pk=row.pk).status == "pending" and not mail.outbox
    assert "Redis away" in caplog.text
