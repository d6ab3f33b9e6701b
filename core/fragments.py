"""Fragments of pages that are the same for every visitor (the catalogue's cards, the help home),
rendered once per language and content version and kept in the cache (issue 14).

A content version is a stamp kept in the cache under its name; whatever writes that content (a
service, an admin save) calls ``fragment_changed(name)``, which replaces the stamp once the
transaction commits, so the next request renders the fragment anew. An edit that bypasses those
writers (a data migration, the shell) is seen after ``FRAGMENT_SECONDS`` at the latest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import uuid4

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import get_language

FRAGMENT_SECONDS = 600
T = TypeVar("T")


def fragment_version(name: str) -> str:
    key = f"fragment-version:{name}"
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid4().hex, None)
        version = cache.get(key) or ""
    return version


def fragment_changed(name: str) -> None:
    """A new stamp for ``name`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: cache.set(f"fragment-version:{name}", uuid4().hex, None))


def cached_fragment(name: str, *, depends_on: tuple[str, ...], render: Callable[[], T]) -> T:
    """What ``render()`` gives (HTML, or a list of choices), from the cache when the language and
    the versions of ``depends_on`` are those it was rendered for."""
    versions = ":".join(fragment_version(content) for content in depends_on)
    key = f"fragment:{name}:{get_language()}:{versions}"
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, FRAGMENT_SECONDS)
    return html
