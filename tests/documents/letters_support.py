"""Shared by the letter batch tests: people reached by post, and a PAN of the Rhône."""

from __future__ import annotations

from django.utils import timezone

from notifications.services import notify
from territory.models import Department, Site
from tests.factories import UserFactory, prefecture


def person_by_post(code: str = "69", **fields):
    """An account without e-mail nor phone, living in département ``code``: reached by letter."""
    postcode = {"69": "69003", "13": "13001"}.get(code, f"{code}000")
    defaults = {
        "first_name": "Moussa", "phone": "", "address": "12 rue des Lilas", "postal_code": postcode,
        "city": "Lyon" if code == "69" else "Marseille", "department": Department.objects.get(code=code),
    }
    return UserFactory(without_email=True, **{**defaults, **fields})


def pan_site(code: str = "69") -> Site:
    return Site.objects.create(prefecture=prefecture(code), kind=Site.Kind.PAN, name="PAN de la Guillotière",
                               address="3 place Gabriel Péri", postal_code="69007", city="Lyon")


def send_letter(person, event: str = "dossier.submitted", obj=None):
    """One notification to ``person`` about ``obj`` (the person by default): returns its letter row."""
    rows = notify(recipient=person, event=event, obj=obj or person,
                  context={"at": timezone.now()})
    return next(row for row in rows if row.channel == "letter")
