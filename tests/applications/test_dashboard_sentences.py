"""Issue 17: the dashboard's greeting and the sentence on the reminders' channels are written by
presenters (``applications.presenters.greeting``, ``reminder_channels_sentence``) rather than by
``{% blocktranslate %}``: the same words in French and in English, what people typed escaped."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from accounts.models import User
from applications import presenters
from notifications.models import Channel as NotificationChannel


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_greeting_is_what_the_template_wrote(language):
    person = User(first_name="<b>Léa</b> & O'Brien")
    template = ('{% load i18n %}{% blocktranslate with name=applicant.get_short_name %}Bonjour {{ name }}.'
                "{% endblocktranslate %}")
    with translation.override(language):
        assert presenters.greeting(person) == Template(template).render(Context({"applicant": person}))
        assert "&lt;b&gt;Léa&lt;/b&gt; &amp; O&#x27;Brien" in presenters.greeting(person)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_reminders_channels_sentence_is_what_the_template_wrote(language):
    channels = [NotificationChannel.EMAIL.label, NotificationChannel.SMS.label, "<i>pigeon</i> & co"]
    template = ('{% load i18n %}{% blocktranslate with channels=reminder_channels|join:", " %}Vous recevez les '
                "rappels de renouvellement dans votre espace et par : {{ channels }}.{% endblocktranslate %}")
    with translation.override(language):
        expected = Template(template).render(Context({"reminder_channels": channels}))
        assert presenters.reminder_channels_sentence(channels) == expected
    assert "&lt;i&gt;pigeon&lt;/i&gt; &amp; co" in expected
