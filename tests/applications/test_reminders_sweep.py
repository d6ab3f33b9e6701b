"""The renewal reminder sweep (applications/services/reminders.py): what it writes in the outbox,
for whom, on which channels and in which language, and that it writes each reminder once."""

from datetime import date, timedelta

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
