"""Issue 17: the appointments page's upcoming cards are written by
``appointments.presenters.upcoming_cards_html`` rather than by a loop of the template: the same
HTML, character for character, in French and in English, a site's name escaped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from appointments import presenters
from appointments.models import Booking, Desk, Motive, Slot
from territory.models import Site

#: The cards as templates/appointments/list.html wrote them before ``upcoming_cards_html``.
CARDS_TEMPLATE = """{% load i18n %}{% for booking in upcoming %}
  <div class="fr-col-12 fr-col-md-6">
    <div class="fr-card fr-enlarge-link">
      <div class="fr-card__body"><div class="fr-card__content">
        <h3 class="fr-card__title"><a href="{% url 'appointments:detail' booking.pk %}">{{ booking.motive.get_code_display }}</a></h3>
        <p class="fr-card__desc">{% blocktranslate with date=booking.slot.starts_at|date:"l j F Y" time=booking.slot.starts_at|time:"H:i" site=booking.slot.desk.site.name %}{{ date }} à {{ time }}, {{ site }}{% endblocktranslate %}</p>
        <div class="fr-card__start"><p class="fr-badge fr-badge--sm {% if booking.status == 'checked_in' %}fr-badge--info{% else %}fr-badge--success{% endif %}">{% if booking.kind == "convocation" %}{% translate "Convocation" %}{% else %}{{ booking.get_status_display }}{% endif %}</p></div>
      </div></div>
    </div>
  </div>
  {% endfor %}"""  # noqa: E501


def booking(pk: int, *, code: str, status: str, kind: str, site: str, at: datetime) -> Booking:
    slot = Slot(starts_at=at, desk=Desk(site=Site(name=site)))
    return Booking(pk=pk, motive=Motive(code=code), slot=slot, status=status, kind=kind)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_upcoming_cards_are_what_the_template_wrote(language):
    bookings = [
        booking(1, code="pan_assistance", status="booked", kind="self", site="PAN <Lyon> & co",
                at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC)),  # the next day in Paris
        booking(2, code="biometrics", status="checked_in", kind="convocation", site="Préfecture",
                at=datetime(2026, 7, 14, 8, 5, tzinfo=UTC)),
        booking(3, code="card_collection", status="checked_in", kind="self", site="Sous-préfecture d'Ici",
                at=datetime(2026, 11, 2, 13, 0, tzinfo=UTC)),
    ]
    with translation.override(language), timezone.override("Europe/Paris"):
        expected = Template(CARDS_TEMPLATE).render(Context({"upcoming": bookings}))
        assert presenters.upcoming_cards_html(bookings) == expected
    assert "PAN &lt;Lyon&gt; &amp; co" in expected and "fr-badge--info" in expected
