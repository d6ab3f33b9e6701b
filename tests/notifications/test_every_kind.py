"""An account without e-mail receives every notification kind by SMS or letter (issue 12, item 4).

The kinds are the events the project's code passes to ``notify`` or ``notify_contact`` (read from
the source, so a new event is covered the day it is written), each rendered with its own template.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notify
from territory.models import Department
from tests.factories import BlockingReportFactory, DossierFactory, UserFactory, paper_filing_booking, prefecture

pytestmark = pytest.mark.django_db

APPS = ("accounts", "notifications", "documents", "appointments", "applications", "substitution")
EVENT = re.compile(r'event="([a-z_]+\.[a-z_]+)"')


def project_events() -> list[str]:
    events: set[str] = set()
    for app in APPS:
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            events |= set(EVENT.findall(path.read_text(encoding="utf-8")))
    return sorted(events)


def test_the_project_sends_the_kinds_we_know():
    # A guard on the scan itself: it finds the events of every app that sends some.
    events = project_events()
    assert {"dossier.submitted", "appointment.booked", "report.invited", "anomaly.fixed"} <= set(events)
    assert len(events) >= 15


def context_for(person) -> dict:
    """What the senders pass (see each ``notify`` call): real objects of the person's."""
    report = BlockingReportFactory(with_account=True, person=person)
    booking = paper_filing_booking(report=report, person=person)
    return {
        "dossier": DossierFactory(filed=True, applicant=person), "booking": booking, "report": report,
        "offer": SimpleNamespace(slot=booking.slot, expires_at=timezone.now()),
        "answer": "Voici la marche à suivre.", "retry_url": settings.SITE_URL + "/",
        "document": SimpleNamespace(number="ANEF-API-2026-00000001", valid_from=timezone.localdate(),
                                    valid_until=timezone.localdate(), context={"allows_work": True}),
    }


@pytest.mark.parametrize("event", project_events())
def test_every_kind_reaches_an_account_without_email(event):
    by_sms = UserFactory(without_email=True, phone="0612345678")
    by_post = UserFactory(without_email=True, phone="", address="8 quai Claude Bernard", postal_code="69007",
                          city="Lyon", department=Department.objects.get(code="69"))
    template = event.replace(".", "_")

    for person in (by_sms, by_post):
        notify(recipient=person, event=event, obj=person, template=template, context=context_for(person))

    sms = Notification.objects.get(recipient=by_sms, channel="sms")
    assert set(Notification.objects.filter(recipient=by_sms).values_list("channel", flat=True)) == {"inbox", "sms"}
    assert sms.status == "pending" and sms.body.strip()
    letter = Notification.objects.get(recipient=by_post, channel="letter")
    assert set(Notification.objects.filter(recipient=by_post).values_list("channel", flat=True)) == {
        "inbox", "letter"}
    assert letter.status == "pending" and letter.subject.strip() and letter.body.strip()
    assert letter.letter_prefecture_id == prefecture("69").pk  # a desk will print it
    assert not Notification.objects.filter(channel="email").exists()
