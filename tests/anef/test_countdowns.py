"""No task waits in the broker longer than a fraction of its visibility timeout (issue 13): a
retry's countdown is capped at a quarter of it, and the outbox's delivery tasks have none at all."""

import importlib

from django.conf import settings

from anef.celery import app

APPS = ("accounts", "applications", "appointments", "documents", "notifications", "substitution", "mediation",
        "helpcentre", "anef")


def _tasks():
    for name in APPS:
        try:
            importlib.import_module(f"{name}.tasks")
        except ModuleNotFoundError:
            continue
    return [task for name, task in app.tasks.items() if name.split(".")[0] in APPS]


def test_retry_countdowns_stay_under_a_quarter_of_the_visibility_timeout():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    tasks = _tasks()
    assert tasks
    backing_off = [task for task in tasks
                   if getattr(task, "autoretry_for", ()) and getattr(task, "retry_backoff", False)]
    assert backing_off  # documents and applications retry with a backoff
    for task in tasks:
        if task in backing_off:
            assert (getattr(task, "retry_backoff_max", None) or 600) <= visibility / 4, task.name
        assert (task.default_retry_delay or 0) <= visibility / 4, task.name


def test_the_delivery_lease_sits_between_the_task_limit_and_the_visibility_timeout():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    assert settings.CELERY_TASK_TIME_LIMIT < settings.NOTIFICATION_LEASE_SECONDS <= visibility / 4
