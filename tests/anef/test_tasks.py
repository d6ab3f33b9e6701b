"""Scheduled jobs, run by a real Celery worker on the configured broker."""

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.models import User
from accounts.tasks import purge_unverified_accounts
from anef import health
from anef.celery import app
from anef.tasks import heartbeat
from tests.factories import StaffFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_the_heartbeat_job_that_healthz_reports(celery_worker, client):
    assert health.last_heartbeat_age() is None
    heartbeat.delay()
    deadline = time.monotonic() + 30
    while health.last_heartbeat_age() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    age = health.last_heartbeat_age()
    assert age is not None and age < 30
    assert client.get("/healthz").json()["scheduler_heartbeat_age_seconds"] is not None


@pytest.mark.django_db
def test_unverified_sign_ups_are_purged_after_the_retention_period(settings):
    old = UserFactory(unverified=True, date_joined=timezone.now() - timedelta(days=8))
    recent = UserFactory(unverified=True, date_joined=timezone.now() - timedelta(days=2))
    verified = UserFactory(date_joined=timezone.now() - timedelta(days=30))
    staff = StaffFactory(unverified=True, date_joined=timezone.now() - timedelta(days=30))

    assert purge_unverified_accounts() == 1
    assert set(User.objects.values_list("pk", flat=True)) == {recent.pk, verified.pk, staff.pk}
    assert not User.objects.filter(pk=old.pk).exists()
    assert purge_unverified_accounts() == 0  # a second run changes nothing


@pytest.mark.django_db
def test_purge_removes_a_sign_up_made_through_the_form_and_keeps_its_audit_trail(client):
    # Regression: the sign-up's audit row used to block the purge (PROTECT) for every account.
    from accounts.models import AuditEvent
    from accounts.services import user_sign_up

    user = user_sign_up(email="late@example.org", password="Un-mot-de-passe-solide-42",
                        first_name="A", last_name="B", preferred_language="fr")
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=8))

    assert purge_unverified_accounts() == 1
    assert not User.objects.filter(pk=user.pk).exists()
    event = AuditEvent.objects.get(action="account.signed_up", object_id=str(user.pk))
    assert event.actor is None


@pytest.mark.django_db
def test_expired_sessions_are_cleared():
    from accounts.tasks import clear_expired_sessions

    Session.objects.create(session_key="a" * 32, session_data="", expire_date=timezone.now() - timedelta(hours=1))
    Session.objects.create(session_key="b" * 32, session_data="", expire_date=timezone.now() + timedelta(hours=1))
    assert clear_expired_sessions() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["b" * 32]


def test_every_scheduled_job_names_a_registered_task():
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks
