"""Every route of the URL configuration, found by walking ``get_resolver()``: what the
authorisation matrix and the security battery iterate over, so that a route added later is covered
without anyone listing it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.urls import URLPattern, URLResolver, get_resolver, reverse


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or "namespace:[pattern]" for a route without a name
    pattern: str  # the full pattern, for messages
    name: str | None  # what reverse() takes, None for an unnamed route
    kwargs: tuple[str, ...]
    view: str  # module.function of the view, for messages


def _walk(resolver: URLResolver, prefix: str, namespace: str):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            key = name or (f"{namespace}:[{pattern}]" if namespace else f"[{pattern}]")
            callback = entry.callback
            view = f"{callback.__module__}.{getattr(callback, '__qualname__', callback.__name__)}"
            yield Route(key=key, pattern=pattern, name=name, kwargs=tuple(entry.pattern.regex.groupindex),
                        view=view)


def all_routes() -> list[Route]:
    """Every route, once per key (the help centre's home is reachable under two names: both kept)."""
    seen: dict[str, Route] = {}
    for route in _walk(get_resolver(), "", ""):
        seen.setdefault(route.key, route)
    return list(seen.values())


# Outcomes a request can have, as the matrix declares them.
OK = "ok"  # 2xx
REDIRECT = "redirect"  # 3xx somewhere else than the login or second-factor pages
LOGIN = "login"  # 3xx to the login page
SECOND_FACTOR = "2fa"  # 3xx to the second-factor pages (staff who have not proved it yet)
UNAUTHORIZED = "401"  # the API, to a request without credentials (no redirect to a login page)
FORBIDDEN = "403"
NOT_FOUND = "404"
NOT_ALLOWED = "405"
LOCKED = "429"


def outcome(response) -> str:
    status = response.status_code
    if 300 <= status < 400:
        path = urlsplit(response["Location"]).path
        if path in (reverse("accounts:login"), "/admin/login/"):  # the admin's login sends on to the portal's
            return LOGIN
        if path.startswith("/compte/double-authentification/"):
            return SECOND_FACTOR
        return REDIRECT
    if 200 <= status < 300:
        return OK
    return str(status)
