"""Fragments of pages that are the same for every visitor (the catalogue's cards, the help home),
rendered once per language and content version and kept in the cache (issue 14), and whole public
pages as an anonymous visitor sees them (``public_page``).

A content version is a stamp kept in the cache under its name; whatever writes that content (a
service, an admin save) calls ``fragment_changed(name)``, which replaces the stamp once the
transaction commits, so the next request renders the fragment anew. An edit that bypasses those
writers (a data migration, the shell) is seen after ``FRAGMENT_SECONDS`` at the latest. Each
process keeps the stamps it read for ``VERSION_SECONDS`` and what it read from the cache for
``FRAGMENT_SECONDS`` (under keys that carry the stamps), so a page served from the cache costs no
round trip to Redis.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from uuid import uuid4

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.utils.safestring import SafeData, SafeString, mark_safe

from core.csrf import masked_token
from core.l10n import active_language as get_language

FRAGMENT_SECONDS = 600
#: How long a process trusts the content versions it read: a page served from the cache costs
#: no round trip to the cache server in between (issue 14).
VERSION_SECONDS = 2.0
T = TypeVar("T")

#: Stand for the visitor's CSRF token and CSP nonce in a cached page: characters neither holds.
CSRF_PLACEHOLDER = "__anef-csrf-token__"
NONCE_PLACEHOLDER = "__anef-csp-nonce__"
_CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]+(")')


def fragment_version(name: str) -> str:
    return fragment_versions((name,))[0]


def fragment_versions(names: tuple[str, ...]) -> list[str]:
    """The current stamp of each content, in one cache round trip (two when one is new), or none
    when this process read them less than ``VERSION_SECONDS`` ago."""
    if not names:
        return []
    now = time.monotonic()
    remembered = _VERSIONS.get(names)
    if remembered is not None and remembered[0] > now:
        return remembered[1]
    keys = [f"fragment-version:{name}" for name in names]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, uuid4().hex, None)
            found[key] = cache.get(key) or ""
    versions = [found[key] for key in keys]
    _VERSIONS[names] = (now + VERSION_SECONDS, versions)
    return versions


def fragment_changed(name: str) -> None:
    """A new stamp for ``name`` once the current transaction commits (at once outside one); this
    process sees it on its next request, the others within ``VERSION_SECONDS``."""

    def change() -> None:
        cache.set(f"fragment-version:{name}", uuid4().hex, None)
        _VERSIONS.clear()

    transaction.on_commit(change)


def cached_fragment(name: str, *, depends_on: tuple[str, ...], render: Callable[[], T]) -> T:
    """What ``render()`` gives (HTML, or a list of choices), from the cache when the language and
    the versions of ``depends_on`` are those it was rendered for."""
    versions = ":".join(fragment_versions(depends_on))
    key = f"fragment:{name}:{get_language()}:{versions}"
    html = _LOCAL.get(key)
    if html is None:
        html = cache.get(key)
        if html is None:
            html = render()
            cache.set(key, html, FRAGMENT_SECONDS)
        _LOCAL.put(key, html)
    return html


def local_fragment(*key_parts: object, render: Callable[[], T]) -> T:
    """What ``render()`` gives for these key parts and the current language, kept by this process
    only: for output that depends on nothing but what the key holds (a filter form from its choices
    and the values entered), so that no change elsewhere can make it stale."""
    return local_fragment_of(local_digest(*key_parts), render)


def local_digest(*key_parts: object) -> str:
    """What ``local_fragment`` makes of these key parts, for a caller whose parts never change
    (a template node): made once, then given to ``local_fragment_of``."""
    return hashlib.blake2b(repr(key_parts).encode(), digest_size=16).hexdigest()


def local_fragment_of(digest: str, render: Callable[[], T]) -> T:
    """``local_fragment`` with the digest of its key parts made beforehand (``local_digest``): the
    same key, the same copy (issue 17: the digest is half the cost of a kept part of the layout)."""
    key = f"local:{get_language()}:{digest}"
    value = _LOCAL.get(key)
    if value is None:
        value = render()
        _LOCAL.put(key, value)
    return value


class _LocalCopies:
    """This process's copies of what it read from the shared cache, for ``FRAGMENT_SECONDS`` at most:
    the key carries the content versions, so a changed content is a new key, read anew. Saves the
    round trip and the unpickling of tens of kilobytes on every request."""

    #: Past this many, all are dropped and read anew. The file page's parts add a few per language
    #: and shape (issue 17: tens in practice, each of a few kilobytes).
    LIMIT = 1024

    def __init__(self) -> None:
        self._items: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any:
        item = self._items.get(key)
        if item is None or item[0] < time.monotonic():
            return None
        return item[1]

    def put(self, key: str, value: Any) -> None:
        if len(self._items) >= self.LIMIT:
            self._items.clear()
        self._items[key] = (time.monotonic() + FRAGMENT_SECONDS, value)

    def clear(self) -> None:
        self._items.clear()


_LOCAL = _LocalCopies()
_VERSIONS: dict[tuple[str, ...], tuple[float, list[str]]] = {}


def forget_local_copies() -> None:
    """Drops this process's copies (when the shared cache is cleared, as between tests)."""
    _LOCAL.clear()
    _VERSIONS.clear()


def with_csrf_token(html: str, *, token: object = None, request: HttpRequest | None = None) -> SafeString:
    """HTML marked safe (a presenter's, a fragment kept per process) with ``CSRF_PLACEHOLDER`` in its
    forms, with the CSRF token put in: ``token`` when given, which should be the page's own (the
    context processor's ``csrf_token``, which every ``{% csrf_token %}`` of the page shows: masking
    another costs 33 random choices), else a new one for ``request``, else none (a page rendered
    without its request). ``{% with_csrf_token %}`` (anef/templatetags/anef.py) passes the page's."""
    if not isinstance(html, SafeData):
        raise TypeError("with_csrf_token takes HTML marked safe (a presenter's), not text to escape")
    if token is None:
        token = masked_token(request) if request is not None else ""
    return mark_safe(html.replace(CSRF_PLACEHOLDER, escape(str(token))))  # noqa: S308 (safe HTML, escaped token)


def _anonymous_without_news(request: HttpRequest) -> bool:
    """A GET of the bare URL by someone not signed in, with no message waiting to be shown: the
    page is then the same for every such visitor of a language, but for the CSRF token and the
    CSP nonce."""
    return (
        request.method == "GET"
        and not request.GET
        and not request.user.is_authenticated
        and not len(get_messages(request))
    )


def public_page(*, depends_on: tuple[str, ...] = ()) -> Callable:
    """Serves the view's page from the cache to anonymous visitors (issue 14): rendered once per
    path, language and versions of ``depends_on``, then given to each visitor with their own CSRF
    token and CSP nonce put in. Signed-in people, query strings, other methods and pending messages
    go to the view as usual. Only for views whose page depends on nothing else for an anonymous
    visitor (no query, no cookie but the language)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not _anonymous_without_news(request):
                return view(request, *args, **kwargs)
            versions = ":".join(fragment_versions(depends_on))
            key = f"page:{request.path}:{get_language()}:{versions}"
            html = _LOCAL.get(key)
            if html is None:
                html = cache.get(key)
                if html is None:
                    response = view(request, *args, **kwargs)
                    render = getattr(response, "render", None)
                    if render is not None:
                        render()
                    if response.status_code != 200 or response.streaming:
                        return response
                    html = _placeholders(request, response.content.decode(response.charset))
                    cache.set(key, html, FRAGMENT_SECONDS)
                _LOCAL.put(key, html)
            nonce = str(request.csp_nonce)  # type: ignore[attr-defined]  # set by django-csp's middleware
            return HttpResponse(html.replace(CSRF_PLACEHOLDER, masked_token(request)).replace(NONCE_PLACEHOLDER, nonce))

        return wrapped

    return decorator


def _placeholders(request: HttpRequest, html: str) -> str:
    """The rendered page with this visitor's CSRF tokens and CSP nonce taken out."""
    html = _CSRF_INPUT.sub(lambda match: match.group(1) + CSRF_PLACEHOLDER + match.group(2), html)
    nonce = getattr(request, "_csp_nonce", None)
    if isinstance(nonce, str):
        html = html.replace(f'nonce="{nonce}"', f'nonce="{NONCE_PLACEHOLDER}"')
    return html


#: Marks a slot in a template rendered by ``slotted_template`` (characters no rendered value holds).
_SLOT = "\x1fslot:{}\x1f"
_SLOT_SPLIT = re.compile("\x1fslot:([A-Za-z_]+)\x1f")
#: Stand for the integers a slotted template passes to ``{% url %}`` (an ``<int:…>`` converter
#: takes no marker text): the first is ``_ID_BASE``, the next one more.
_ID_BASE = 918_273_645


def slotted_template(name: str, *, context: dict[str, Any], slots: dict[str, str],
                     ids: dict[str, int] | None = None) -> SafeString:
    """The template ``name`` rendered once per language and ``context`` by this process, with a
    marker in place of each of ``slots`` and ``ids``, then filled with their values (issue 17).

    For the parts of a page whose text is mostly fixed: their tags, translations and conditions
    run once per shape (``context``: flags and choices, small values with a stable ``repr``, all of
    the key), and each request only puts its own values in. ``slots`` are HTML, each value already
    escaped by the caller as ``{{ value }}`` would have (``django.utils.html.conditional_escape``);
    the template must use them as they are (no filter, no condition on them). ``ids`` are integers
    for ``{% url %}``. What else the template reads comes from ``context`` only."""
    ids = ids or {}
    parts = local_fragment("slotted", name, sorted(context.items()), sorted(slots), sorted(ids),
                           render=lambda: _slotted_parts(name, context, slots, ids))
    values = {**slots, **{key: str(int(value)) for key, value in ids.items()}}
    # parts: text, slot name, text, slot name, ... text (``re.split`` with one group)
    return mark_safe("".join([values[part] if index & 1 else part  # noqa: S308 (values escaped by the caller)
                              for index, part in enumerate(parts)]))


def _slotted_parts(name: str, context: dict[str, Any], slots: dict[str, str], ids: dict[str, int]) -> tuple[str, ...]:
    from django.template.loader import render_to_string

    markers = {key: _ID_BASE + index for index, key in enumerate(sorted(ids))}
    html: str = render_to_string(name, {**context, **{key: mark_safe(_SLOT.format(key)) for key in slots},  # noqa: S308
                                   **markers})
    for key, marker in markers.items():
        html = html.replace(str(marker), _SLOT.format(key))
    return tuple(_SLOT_SPLIT.split(html))
