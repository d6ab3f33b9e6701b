"""Visits in one line, through the services (as the pages make them)."""

from datetime import timedelta

from django.utils import timezone

from mediation import services


def visit(*, by, site, minutes=None, outcome="done_online", need="file_request", at=None, person=None,
          last_name="Koné", **record):
    """A visit checked in ``at`` (now by default); with ``minutes``, recorded with ``outcome`` and
    ended that many minutes after arrival."""
    arrived = at or timezone.now() - timedelta(minutes=(minutes or 0) + 1)
    made = services.visit_check_in(by=by, site=site, need=need, person=person, at=arrived,
                                   visitor=None if person else services.Visitor(last_name=last_name))
    if minutes is None:
        return made
    record.setdefault("referred_to", "Maison du droit" if outcome == "referred" else "")
    made = services.visit_record(visit=made, by=by, need=need, outcome=outcome, **record)
    return services.visit_end(visit=made, by=by, at=arrived + timedelta(minutes=minutes))
