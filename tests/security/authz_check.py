"""Runs the authorisation matrix: requests every route as every role and compares what happened
with what ``authz_matrix.py`` declares. Kept apart from the declarations so that the table reads
alone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.security.matrix_world import ROLES, World, url_kwargs
from tests.security.routes import Route, all_routes, outcome

#: Tables a refused request may still write: the session (a sign-in's bookkeeping), the lockout's
#: counters, the second factor's throttling. Anything else written by a refused request is a side effect.
BOOKKEEPING = ("django_session", "axes_", "otp_")
#: A request made with an API key notes when the key was last used (at most once a minute): the
#: key's bookkeeping, that exact update only (a refused revocation writing ``revoked_at`` is still seen).
KEY_LAST_USED = re.compile(
    r"""^\s*UPDATE\s+"accounts_apitoken"\s+SET\s+"last_used_at"\s*=\s*'[^']*'(::\w+)?\s+WHERE""", re.IGNORECASE)
WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([a-z0-9_]+)', re.IGNORECASE)


@dataclass
class Observed:
    route: Route
    role: str
    method: str
    url: str
    outcome: str
    response: object
    writes: tuple[str, ...] = ()


@contextmanager
def without_api_throttles() -> Iterator[None]:
    """The matrix sends thousands of requests from one address within minutes: the API's rate
    limits (``api.throttling``, tested on their own in tests/api/) would answer 429 to most."""
    from rest_framework.throttling import SimpleRateThrottle

    with mock.patch.object(SimpleRateThrottle, "THROTTLE_RATES", {"user": None, "ip": None}):
        yield


def route_url(route: Route, world: World) -> str:
    if route.name is None:
        # An unnamed route (the admin's "object without an action" redirect): its pattern, with ids.
        return "/" + re.sub(r"<(?:\w+:)?\w+>", "1", route.pattern)
    return reverse(route.name, kwargs=url_kwargs(route.key, list(route.kwargs), world))


@contextmanager
def rolled_back() -> Iterator[None]:
    """Whatever a request writes is undone (a savepoint rolled back), so that one role's allowed POST
    does not change the world the next role is asked about."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def request(world: World, role: str, route: Route, url: str, method: str, *, csrf: bool = False) -> Observed:
    """One request as ``role``; ``csrf=True``: a POST by a client that enforces CSRF checks as a
    browser's would (the role's cookies, no token)."""
    client = world.clients[role]
    cookies = client.cookies
    if csrf:
        client = Client(enforce_csrf_checks=True, **client.defaults)
        client.cookies = type(cookies)(cookies)
    else:
        client.cookies = type(cookies)(cookies)  # a logout must not sign this role's client out for good
    # The connection keeps its last 9,000 queries only; once full, CaptureQueriesContext's slice would
    # be empty and every write would go unseen: start each request from an empty log.
    connection.queries_log.clear()
    with rolled_back(), CaptureQueriesContext(connection) as queries:
        response = client.post(url) if method == "POST" else client.get(url)
    if not csrf:
        client.cookies = cookies
    writes = tuple(sorted({
        match.group(2) for query in queries.captured_queries
        if (match := WRITE.match(query["sql"])) and not match.group(2).startswith(BOOKKEEPING)
        and not KEY_LAST_USED.match(query["sql"])
    }))
    return Observed(route, role, method, url, outcome(response), response, writes)


__all__ = ["ROLES", "Observed", "all_routes", "request", "route_url", "without_api_throttles"]
