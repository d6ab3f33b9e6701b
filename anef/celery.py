"""The Celery application and its beat schedule.

The schedule lives here, in code, so that every environment runs the same jobs. With ``REDIS_URL``
the broker is Redis; without it (``make run``), kombu's filesystem transport under ``var/broker/``.
"""

import os
from pathlib import Path

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anef.settings.base")

app = Celery("anef")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "accounts-purge-unverified": {
        "task": "accounts.tasks.purge_unverified_accounts",
        "schedule": crontab(minute=17, hour=3),
    },
    "accounts-clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": crontab(minute=7),
    },
    "notifications-retry-pending": {
        # E-mails and SMS due again (backoff passed), whose task was lost, or whose worker died
        # (lease run out): every minute, as no delivery task waits with a countdown. Each row is
        # sent at most once (the claim).
        "task": "notifications.tasks.retry_pending_notifications",
        "schedule": crontab(minute="*"),
    },
    # Crontab times are Europe/Paris (CELERY_TIMEZONE); neither falls in a DST gap (02:00-03:00).
    "applications-refresh-queue-priorities": {
        # The queue's order depends on the date (permits nearing their end, legal deadlines
        # passed): recomputed once the day has changed, before agents start work.
        "task": "applications.tasks.refresh_queue_priorities",
        "schedule": crontab(minute=5, hour=0),
    },
    "applications-issue-extension-certificates": {
        # Attestations de prolongation d'instruction, issued EXTENSION_CERTIFICATE_LEAD_DAYS ahead
        # of each lapse: a missed night is caught up by the next ones. After the priorities, at a
        # quiet hour; each issue refreshes its own dossier's priority.
        "task": "applications.tasks.issue_extension_certificates",
        "schedule": crontab(minute=30, hour=1),
    },
    "applications-send-renewal-reminders": {
        # Renewal reminders (J-120 to the late notice, applications/reminders.py): after the day
        # has changed in Paris, at an hour when a message is welcome. A missed run is caught up.
        "task": "applications.tasks.send_renewal_reminders",
        "schedule": crontab(minute=0, hour=8),
    },
    "appointments-generate-slots": {
        # Opens the slots of the coming SLOT_WEEKS_AHEAD weeks from the desks' rules. 02:00 is
        # skipped or doubled on the two DST nights: harmless, it is idempotent and works weeks ahead.
        "task": "appointments.tasks.generate_slots",
        "schedule": crontab(minute=0, hour=2),
    },
    "appointments-send-reminders": {
        # Reminders 48 h ahead: hourly, so an appointment is reminded 47 to 48 hours before.
        "task": "appointments.tasks.send_reminders",
        "schedule": crontab(minute=15),
    },
    "appointments-expire-offers": {
        # Freed seats held for a waiting person go to the next one once the offer lapses.
        "task": "appointments.tasks.expire_offers",
        "schedule": crontab(minute="*/10"),
    },
    "substitution-deadline-job": {
        # Blocking reports past their deadline: the impossibility recorded by the portal and the
        # paper-filing invitation; missed convocations renewed; reports without a slot retried.
        # After the slots of the night are generated (02:00); safe to run at any time.
        "task": "substitution.tasks.deadline_job",
        "schedule": crontab(minute=30, hour=3),
    },
    "anef-heartbeat": {
        # Lets /healthz tell an operator whether beat and a worker are alive.
        "task": "anef.tasks.heartbeat",
        "schedule": 60.0,
    },
}


@app.on_after_configure.connect
def _prepare_filesystem_broker(sender, **kwargs):
    """The filesystem transport needs its folders to exist before the first message."""
    if sender.conf.broker_url.startswith("filesystem://"):
        options = sender.conf.broker_transport_options
        for key in ("data_folder_in", "data_folder_out", "control_folder"):
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)
        # The filesystem transport has no broadcast: no remote control, no events.
        sender.conf.worker_enable_remote_control = False
