"""Values put into words for a page as the template language would, for presenters that write
HTML in Python (issue 17): a date as the ``date`` filter writes it, kept per language, format and
value by each process; any value as ``{{ value }}`` writes it, escaped."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeVar

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData


def _language_variable() -> contextvars.ContextVar | None:
    """The context variable where asgiref's ``Local`` keeps Django's active translation, where it is
    laid out as ``active_language`` reads it (asgiref 3.9 to 3.13 at least), else None."""
    if not settings.USE_I18N:
        return None
    from django.utils.translation import trans_real
    try:
        storage = object.__getattribute__(trans_real._active, "_storage")  # type: ignore[attr-defined]
        variable = object.__getattribute__(storage, "_data")
    except AttributeError:
        return None
    if type(variable) is not contextvars.ContextVar or not hasattr(storage, "_storage"):
        return None
    return variable


_LANGUAGE_VARIABLE = _language_variable()
_thread_id = threading.get_ident


def active_language() -> str | None:
    """``translation.get_language()`` in five calls rather than a dozen (issue 17: a page reads it
    some fifty times): Django's ``trans_real.get_language`` read straight from the context
    variable of asgiref's ``Local`` (``_CVar.__getattr__``: storage of another thread is none),
    without its lock, which guards nothing here (a ``ContextVar.get`` is atomic). Where asgiref
    keeps it otherwise, or translations are off, ``translation.get_language()`` itself;
    tests/core/test_l10n.py checks both agree (``activate``, ``override``, ``deactivate_all``,
    threads, asyncio tasks)."""
    if _LANGUAGE_VARIABLE is None:
        return translation.get_language()
    storage = _LANGUAGE_VARIABLE.get(None)
    if storage is not None and storage.thread_id == _thread_id():
        active = storage.data.get("value")
        if active is not None:
            try:
                return active.to_language()
            except AttributeError:
                pass
    return settings.LANGUAGE_CODE


def date_text(value: date | datetime | None, fmt: str = "j F Y") -> str:
    """A day (or a moment, in local time) as ``{{ value|date:fmt }}`` writes it, before escaping
    ("" for none). Formatting costs about a hundred calls, and the same dates come back on every
    visit of a page: each is formatted once per language, format and value by each process."""
    if value is None or value == "":
        return ""
    zone = None
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
        zone = value.tzinfo
    return _formatted(active_language(), fmt, value, zone)


@lru_cache(maxsize=4096)
def _formatted(language: str | None, fmt: str, value: date | datetime, zone: object) -> str:
    """The key holds the language (the months' names and the formats depend on it) and the
    value's time zone (aware datetimes are equal when their instants are, whatever their hours)."""
    return formats.date_format(value, fmt)


#: What ``html.escape`` (and so Django's ``escape``) replaces, and by what, in one ``str.translate``
#: rather than five ``str.replace`` (issue 17): the one table of every presenter that escapes so.
HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def escaped(text: str) -> str:
    """``html.escape(text)``, in one call."""
    return text.translate(HTML_ESCAPES)


def shown(value: Any) -> str:
    """A value as ``{{ value }}`` writes it: in local time, localised, escaped; text (most values)
    as ``html.escape`` escapes it, as Django's ``escape`` does, without its lazy-argument wrapper."""
    if type(value) is str:
        return value.translate(HTML_ESCAPES)
    if isinstance(value, SafeData):
        return str(value)
    return conditional_escape(formats.localize(timezone.template_localtime(value)))  # type: ignore[attr-defined]


W = TypeVar("W")
_WORDS: dict[tuple[str, str | None], Any] = {}


#: Stands for "the active language, read now" in the functions that may be given it (reading it
#: costs about a dozen calls: a page's presenters read it once and give it to the others).
CURRENT_LANGUAGE: Any = object()


def words_once(name: str, translate: Callable[[], W], *, language: Any = CURRENT_LANGUAGE) -> W:
    """The words a presenter writes (``translate()``: literal ``_("…")`` calls, for makemessages),
    put into words once per language by each process: the catalogues do not change while it runs
    (issue 17: a page's dozen translations cost more than its values). ``name`` tells the
    presenters' tables apart; ``language``: the active one, when the caller has read it."""
    key = (name, active_language() if language is CURRENT_LANGUAGE else language)
    words = _WORDS.get(key)
    if words is None:
        words = _WORDS[key] = translate()
    return words


def date_formatter(fmt: str = "j F Y", *, language: Any = CURRENT_LANGUAGE) -> Callable[[date | datetime | None], str]:
    """``date_text`` with this format for the many dates of one page: the language and the time
    zone read once (issue 17: each read costs about a dozen calls, more than a remembered date);
    ``language``: the active one, when the caller has read it."""
    if language is CURRENT_LANGUAGE:
        language = active_language()
    local_zone = timezone.get_current_timezone()

    def text(value: date | datetime | None) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, datetime) and value.utcoffset() is not None:  # aware: in local time
            value = value.astimezone(local_zone)  # what timezone.localtime does
            return _formatted(language, fmt, value, value.tzinfo)
        return _formatted(language, fmt, value, None)

    return text
