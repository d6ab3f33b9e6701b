"""Desk pages under /backoffice/ (staff with a verified second factor, see accounts.middleware);
the pages admit the staff of the desk's site only (appointments.selectors.staff_site_ids), and
opening rules and closures its prefecture's supervisors only."""

from datetime import date

from django.urls import path, register_converter

from appointments import views
from appointments.dates import parse_day


class IsoDateConverter:
    """``2026-03-14`` <-> ``date(2026, 3, 14)``; an impossible date, or one outside the years the
    portal schedules (appointments/dates.py), does not match (404)."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        return parse_day(value)  # ValueError: no match

    def to_url(self, value) -> str:
        return value.isoformat() if isinstance(value, date) else str(value)


register_converter(IsoDateConverter, "isodate")

app_name = "appointments_backoffice"

urlpatterns = [
    path("guichets/", views.desks, name="desks"),
    path("guichets/<int:desk>/<isodate:day>/", views.day, name="day"),
    path("guichets/<int:desk>/horaires/", views.rules, name="rules"),
    path("guichets/<int:desk>/horaires/ajouter/", views.rule_add, name="rule_add"),
    path("guichets/<int:desk>/horaires/<int:rule>/supprimer/", views.rule_remove, name="rule_delete"),
    path("guichets/<int:desk>/fermetures/ajouter/", views.closure_add, name="closure_add"),
    path("guichets/<int:desk>/generer/", views.generate, name="generate"),
    path("guichets/rendez-vous/<int:pk>/pointer/", views.mark, name="mark"),
    path("guichets/rendez-vous/<int:pk>/reconvoquer/", views.reconvoke, name="reconvoke"),
]
