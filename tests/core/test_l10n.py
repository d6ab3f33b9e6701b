"""``core.l10n``: a date as the ``date`` filter writes it (kept per language, format, value and
time zone: a regression would show one zone's hours or one language's months in another), and a
value as ``{{ value }}`` writes it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from core.l10n import active_language, date_formatter, date_text, escaped, shown

AT = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def filtered(value, fmt: str) -> str:
    return Template("{% autoescape off %}{{ value|date:fmt }}{% endautoescape %}").render(
        Context({"value": value, "fmt": fmt}))


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("fmt", ["j F Y", "DATE_FORMAT", "DATETIME_FORMAT", "l j F Y", "H:i", "c"])
def test_a_date_is_what_the_date_filter_writes(language, fmt):
    with translation.override(language):
        for zone in ("Europe/Paris", "America/Cayenne"):
            with timezone.override(zone):
                assert date_text(AT, fmt) == filtered(AT, fmt)
        if fmt in ("j F Y", "DATE_FORMAT", "l j F Y"):  # a day has no hours
            assert date_text(date(2026, 12, 24), fmt) == filtered(date(2026, 12, 24), fmt)


def test_the_same_instant_is_written_in_each_zone_and_language_it_is_asked_in():
    with translation.override("fr"), timezone.override("Europe/Paris"):
        paris = date_text(AT, "DATETIME_FORMAT")
    with translation.override("fr"), timezone.override("America/Cayenne"):
        cayenne = date_text(AT, "DATETIME_FORMAT")
    with translation.override("en"), timezone.override("Europe/Paris"):
        english = date_text(AT, "DATETIME_FORMAT")
    assert "2 mars 2026" in paris and "00:30" in paris
    assert "1 mars 2026" in cayenne and "20:30" in cayenne
    assert "March" in english


def test_no_date_is_written_as_nothing():
    assert date_text(None) == "" and filtered(None, "j F Y") == ""


@pytest.mark.parametrize("value", ["<b>O'Brien</b> & co", 1234, Decimal("1.5"), None, mark_safe("<i>ok</i>"), AT])
def test_a_value_is_what_the_template_writes(value):
    with translation.override("fr"), timezone.override("Europe/Paris"):
        assert shown(value) == Template("{{ value }}").render(Context({"value": value}))


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("fmt", ["j F Y", "DATETIME_FORMAT", "H:i"])
def test_a_pages_date_formatter_writes_what_date_text_writes(language, fmt):
    """``date_formatter`` reads the language and the time zone once for a page's dates."""
    with translation.override(language):
        for zone in ("Europe/Paris", "America/Cayenne"):
            with timezone.override(zone):
                day = date_formatter(fmt)
                days = (AT.date(),) if fmt == "j F Y" else ()  # a day has no hour to write
                for value in (AT, datetime(2026, 7, 14, 8, 5), None, "", *days):  # noqa: DTZ001 (a naive one too)
                    assert day(value) == date_text(value, fmt), (zone, value)


def test_text_is_escaped_as_html_escape_escapes_it():
    import html

    for text in ("", "plain", "O'Brien <b>\"x\"</b> & &amp; l’été", "&<>\"'" * 3):
        assert escaped(text) == html.escape(text) == shown(text)


def test_the_active_language_is_read_as_django_reads_it():
    """``active_language`` reads asgiref's storage directly: it must give what
    ``translation.get_language()`` gives, however the language was set."""
    import asyncio
    import concurrent.futures
    import threading

    from core import l10n

    assert l10n._LANGUAGE_VARIABLE is not None, "asgiref keeps it elsewhere now: active_language is slow again"
    assert active_language() == translation.get_language()
    with translation.override("en"):
        assert active_language() == "en" == translation.get_language()
        with translation.override("fr"):
            assert active_language() == "fr"
        with translation.override(None):  # deactivate_all: no language
            assert active_language() is None is translation.get_language()
        assert active_language() == "en"
    previous = translation.get_language()
    try:
        translation.activate("en")
        assert active_language() == "en"
        translation.deactivate()
        assert active_language() == translation.get_language()

        seen = {}
        translation.activate("en")
        thread = threading.Thread(target=lambda: seen.update(thread=(active_language(), translation.get_language())))
        thread.start()
        thread.join()
        assert seen["thread"][0] == seen["thread"][1], "another thread has its own language"

        async def in_a_task():
            with translation.override("fr"):
                return active_language(), translation.get_language()

        # On a thread of its own: the suite's browser tests may leave an event loop running on this one.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            assert pool.submit(asyncio.run, in_a_task()).result() == ("fr", "fr")
        assert active_language() == "en"
    finally:
        translation.activate(previous)


def test_without_asgiref_s_layout_the_active_language_is_django_s(monkeypatch):
    from core import l10n

    monkeypatch.setattr(l10n, "_LANGUAGE_VARIABLE", None)
    with translation.override("en"):
        assert active_language() == "en"
