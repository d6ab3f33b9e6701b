"""The applicant's space shows each permit's next renewal reminder and the channels reminders go
by, with a link to choose them, in the dashboard's fixed number of queries (the reminder is
computed from the schedule: no query)."""

from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.backoffice.conftest import file_renewal
from tests.factories import PermitFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_dashboard_shows_the_next_reminder_and_the_channels(client):
    person = UserFactory(phone="0612345678", notify_by_sms=True)
    today = timezone.localdate()
    PermitFactory(holder=person, valid_until=today + timedelta(days=200))
    PermitFactory(holder=person, valid_until=today + timedelta(days=100))
    client.force_login(person)
    page = unescape(client.get(reverse("applications:dashboard")).content.decode())
    opens = (today + timedelta(days=80)).strftime("%-d")
    assert f"Prochain rappel : le {opens} " in page and "(ouverture de la période de renouvellement)" in page
    assert "(rappel de la période de renouvellement)" in page  # J-90 of the permit ending in 100 days
    assert "dans votre espace et par : E-mail, SMS." in page
    assert reverse("accounts:profile") + "#channels-legend" in page


def test_no_reminder_is_announced_once_the_renewal_is_filed(client):
    dossier = file_renewal(days_left=100)
    client.force_login(dossier.applicant)
    page = unescape(client.get(reverse("applications:dashboard")).content.decode())
    assert "Prochain rappel" not in page


def test_the_reminders_cost_the_dashboard_no_query(client):
    person = UserFactory()
    client.force_login(person)
    url = reverse("applications:dashboard")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    count()
    few = count()
    for days in (100, 150, 300):
        PermitFactory(holder=person, valid_until=timezone.localdate() + timedelta(days=days))
    assert count() == few
