"""The authorisation matrix (issue 17, item 1): every route of the URL configuration, requested as
every role, gets what ``authz_matrix.py`` declares; a route without a row fails, naming it. Refused
roles are refused on POST too, without writing anything. The same responses are checked for the
security headers (``test_security_headers_on_every_page_of_the_matrix``).

The world (people, objects, signed-in clients) is built once for the module and rolled back after;
each request runs in a savepoint rolled back too, so one role's allowed action never changes what the
next role sees. See the docstring of ``authz_matrix.py`` for how to declare a route."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.urls import resolve

from tests.security.authz_check import ROLES, Observed, all_routes, request, route_url, without_api_throttles
from tests.security.authz_matrix import REFUSALS, row_for
from tests.security.matrix_world import build_world
from tests.security.routes import NOT_ALLOWED


def _matches(expected, got: str) -> bool:
    return got in expected if isinstance(expected, frozenset) else got == expected


def test_every_route_has_a_row_in_the_matrix():
    missing = [route for route in all_routes() if row_for(route.key) is None]
    assert not missing, "Routes without a row in tests/security/authz_matrix.py:\n" + "\n".join(
        f"  {route.key}  (/{route.pattern}, view {route.view}): add a row "
        f'"{route.key}": signed_in(...)/backoffice(...)/everyone(...) to MATRIX, '
        "see the module's docstring" for route in missing)


_RUN: dict[str, tuple] = {}


@pytest.fixture
def matrix(db, settings, tmp_path):
    """Every (route, role) observed: GET, and POST where the row asks for it. Requested once per
    test session (the first test that asks runs it; the others read its observations)."""
    if "run" not in _RUN:
        _RUN["run"] = _run_matrix()
    return _RUN["run"]


#: For routes covered only by a pattern row (the admin's 190 routes), the roles that tell the gates
#: apart: not signed in, an applicant, staff without the second factor, verified staff without the
#: admin's flag, the administrator. The other roles behave as one of these there.
PATTERN_ROLES = ("anonymous", "applicant", "staff_unverified", "agent", "administrator")


def _run_matrix():
    logger = logging.getLogger("django.request")  # every refusal logs a traceback: thousands of them
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with without_api_throttles():
            return _observe()
    finally:
        logger.setLevel(level)


def _observe():
    gets: list[Observed] = []
    posts: list[Observed] = []
    csrf: list[Observed] = []
    problems: list[str] = []
    with transaction.atomic():
        world = build_world()
        for route in all_routes():
            declared = row_for(route.key)
            if declared is None:
                continue
            key, row = declared
            try:
                url = route_url(route, world)
            except LookupError as error:
                problems.append(str(error))
                continue
            for role in (PATTERN_ROLES if key.endswith("*") else ROLES):
                expected = row.expected[role]
                gets.append(request(world, role, route, url, "GET"))
                refused = isinstance(expected, str) and expected in REFUSALS
                if row.post_only or (refused and not key.endswith("*")):
                    posts.append(request(world, role, route, url, "POST"))
            allowed = _allowed_role(row)
            if allowed and not key.endswith("*"):
                csrf.append(request(world, allowed, route, url, "POST", csrf=True))
        transaction.set_rollback(True)
    _RUN["csrf"] = csrf
    return gets, posts, problems


def _allowed_role(row) -> str | None:
    """A role that may use the route (a signed-in one first: its session is what CSRF protects)."""
    allowed = [role for role in ROLES if isinstance(row.expected[role], str)
               and row.expected[role] not in REFUSALS and row.expected[role] != NOT_ALLOWED]
    signed_in = [role for role in allowed if role not in ("anonymous", "api_token")]
    return (signed_in or allowed or [None])[0]


def test_no_route_lacks_the_objects_of_its_url(matrix):
    """Every declared route could be given real objects for its URL (else it is not requested)."""
    _gets, _posts, problems = matrix
    assert not problems, "\n".join(problems)


def test_every_route_answers_every_role_as_declared(matrix):
    gets, posts, _problems = matrix
    wrong = []
    for seen in gets:
        key, row = row_for(seen.route.key)
        expected = row.expected[seen.role]
        if row.post_only:
            ok = seen.outcome == NOT_ALLOWED or seen.outcome in REFUSALS
            expected = "405 or a refusal"
        else:
            ok = _matches(expected, seen.outcome)
        if not ok:
            shown = sorted(expected) if isinstance(expected, frozenset) else expected
            wrong.append(f"GET {seen.url} ({seen.route.key}, row {key!r}) as {seen.role}: "
                         f"got {seen.outcome}, declared {shown}")
    for seen in posts:
        key, row = row_for(seen.route.key)
        if row.post_only and not _matches(row.expected[seen.role], seen.outcome):
            wrong.append(f"POST {seen.url} ({seen.route.key}) as {seen.role}: got {seen.outcome}, "
                         f"declared {row.expected[seen.role]}")
    assert not wrong, f"{len(wrong)} differences with tests/security/authz_matrix.py:\n" + "\n".join(wrong)


def test_refused_roles_are_refused_on_post_and_write_nothing(matrix):
    _gets, posts, _problems = matrix
    wrong = []
    for seen in posts:
        _key, row = row_for(seen.route.key)
        refused = row.expected[seen.role] in REFUSALS if not row.post_only else (
            isinstance(row.expected[seen.role], str) and row.expected[seen.role] in REFUSALS)
        if not refused:
            continue
        if seen.outcome not in REFUSALS | {NOT_ALLOWED}:  # a GET-only view refuses every POST with a 405
            wrong.append(f"POST {seen.url} ({seen.route.key}) as {seen.role}: got {seen.outcome}, refused on GET")
        if seen.writes:
            wrong.append(f"POST {seen.url} ({seen.route.key}) as {seen.role} was refused but wrote {seen.writes}")
    assert len(posts) > 500, "the matrix sent fewer POSTs than the routes call for"
    # The writes are seen: allowed roles' POSTs (taking a file, marking it complete…) do write.
    assert any(seen.writes for seen in posts), "no write captured at all: the capture is broken"
    assert not wrong, "\n".join(wrong)


def test_pages_outside_a_role_are_refused_for_at_least_one_role(matrix):
    """The matrix would pass vacuously if every client were, say, anonymous: each kind of refusal
    and of access is seen."""
    gets, _posts, _problems = matrix
    seen = {(o.role, o.outcome) for o in gets}
    assert ("anonymous", "login") in seen and ("applicant", "403") in seen
    assert ("staff_unverified", "2fa") in seen and ("agent_other", "404") in seen
    assert ("agent", "ok") in seen and ("administrator", "ok") in seen


# --- Security headers on every page the matrix reached (issue 17, item 2) ----------------------

def _is_html(seen: Observed) -> bool:
    return seen.response.get("Content-Type", "").startswith("text/html")


def test_security_headers_on_every_page_of_the_matrix(matrix):
    gets, _posts, _problems = matrix
    pages = [seen for seen in gets if seen.outcome == "ok" and _is_html(seen)]
    wrong = []
    for seen in pages:
        response = seen.response
        csp = response.get("Content-Security-Policy", "")
        checks = {
            "X-Content-Type-Options: nosniff": response.get("X-Content-Type-Options") == "nosniff",
            "X-Frame-Options: DENY": response.get("X-Frame-Options") == "DENY",
            # same-origin everywhere; no-referrer where the URL itself carries a secret (a report's follow link)
            "Referrer-Policy": response.get("Referrer-Policy") in ("same-origin", "no-referrer"),
            "Cross-Origin-Opener-Policy": response.get("Cross-Origin-Opener-Policy") == "same-origin",
            "CSP default-src 'self' or 'none'": "default-src 'self'" in csp or "default-src 'none'" in csp,
            "CSP frame-ancestors or sandbox": "frame-ancestors 'none'" in csp or "sandbox" in csp,
            "CSP without unsafe-inline scripts": "'unsafe-inline'" not in csp.split("script-src")[-1].split(";")[0]
            if "script-src" in csp else True,
            "CSP without unsafe-eval": "unsafe-eval" not in csp,
        }
        if seen.role not in ("anonymous", "api_token") and response.wsgi_request.user.is_authenticated:
            checks["Cache-Control private, no-store"] = "no-store" in response.get("Cache-Control", "")
        failed = [name for name, good in checks.items() if not good]
        if failed:
            wrong.append(f"{seen.url} as {seen.role}: {failed} (CSP: {csp!r})")
    assert len(pages) > 300, "the matrix reached fewer HTML pages than expected"
    assert not wrong, "\n".join(wrong[:40])


# --- CSRF on every state-changing route (issue 17, item 2) --------------------------------------

def _ignores_the_session(url: str) -> bool:
    """An API view that authenticates no one (``authentication_classes = []``: the public
    verification, the schema and its docs page): the session is not used, so there is nothing for
    a forged request to ride on, and DRF checks no CSRF token there."""
    view_class = getattr(resolve(urlsplit(url).path).func, "cls", None)
    return view_class is not None and not view_class.authentication_classes


def test_a_post_without_csrf_token_is_refused_on_every_route(matrix):
    """Every route, POSTed by a role allowed to use it with a client that checks CSRF as a browser
    does and no token: refused by CsrfViewMiddleware (or DRF's session authentication) with a 403,
    nothing written. Views that ignore the session write nothing either."""
    csrf = _RUN["csrf"]
    ignoring = {seen.route.key for seen in csrf if _ignores_the_session(seen.url)}
    assert ignoring <= {"api:verify", "api:schema", "api:docs"}, (
        "a new view authenticates no one: check that it needs no CSRF protection")
    wrong = [f"POST {seen.url} ({seen.route.key}) as {seen.role} without a CSRF token: got {seen.outcome}"
             + (f", wrote {seen.writes}" if seen.writes else "")
             for seen in csrf
             if seen.writes or (seen.route.key not in ignoring
                                and (seen.outcome != "403" or b"CSRF" not in seen.response.content))]
    assert len(csrf) > 120, "fewer routes POSTed without a token than the matrix declares"
    assert not wrong, "\n".join(wrong)


def test_a_route_missing_from_the_table_fails_naming_it(monkeypatch):
    from tests.security import authz_matrix

    monkeypatch.delitem(authz_matrix.MATRIX, "applications:dossier")
    with pytest.raises(AssertionError, match=r"applications:dossier.*dossiers/<int:pk>/"):
        test_every_route_has_a_row_in_the_matrix()


def test_an_exact_row_wins_over_a_pattern_and_the_longest_pattern_wins(monkeypatch):
    from tests.security import authz_matrix

    assert row_for("admin:index")[0] == "admin:index"
    assert row_for("admin:accounts_user_changelist")[0] == "admin:*"
    monkeypatch.setitem(authz_matrix.MATRIX, "admin:accounts_*", authz_matrix.MATRIX["admin:*"])
    assert row_for("admin:accounts_user_changelist")[0] == "admin:accounts_*"
    assert row_for("api:v1-dossier-list") is None
