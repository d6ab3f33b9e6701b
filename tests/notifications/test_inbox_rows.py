"""Issue 17: the inbox's rows are written by ``notifications.presenters.inbox_rows_html`` rather
than by a loop of the template: the same HTML, character for character, in French and in English,
the subjects escaped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from notifications import presenters
from notifications.models import Notification

#: The rows as templates/notifications/inbox.html wrote them before ``inbox_rows_html``.
ROWS_TEMPLATE = """{% load i18n %}{% for message in page %}
          <tr>
            <td>
              <a href="{% url 'notifications:detail' message.pk %}">{% if not message.read_at %}<strong>{{ message.subject }}</strong>{% else %}{{ message.subject }}{% endif %}</a>
            </td>
            <td><time datetime="{{ message.created_at|date:'c' }}">{{ message.created_at|date:"j F Y, H:i" }}</time></td>
            <td>
              {% if message.read_at %}
                {% translate "Lu" %}
              {% else %}
                <p class="fr-badge fr-badge--new fr-badge--sm">{% translate "Non lu" %}</p>
              {% endif %}
            </td>
          </tr>
        {% endfor %}"""  # noqa: E501


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_inbox_rows_are_what_the_template_wrote(language):
    at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # the next day in Paris
    messages = [
        Notification(pk=1, subject="Votre <b>dossier</b> & « la suite »", created_at=at),
        Notification(pk=2, subject="Lu d'avance", created_at=datetime(2026, 7, 14, 8, 5, tzinfo=UTC), read_at=at),
    ]
    with translation.override(language), timezone.override("Europe/Paris"):
        expected = Template(ROWS_TEMPLATE).render(Context({"page": messages}))
        assert presenters.inbox_rows_html(messages) == expected
    assert "<strong>Votre &lt;b&gt;dossier&lt;/b&gt; &amp; « la suite »</strong>" in expected
