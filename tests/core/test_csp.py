"""The Content-Security-Policy header is django-csp's, whether built per process (core.csp) or not."""

import re

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, SELF
from csp.decorators import csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from core.csp import CSPMiddleware


def _with_nonce(request):
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")


def _without_nonce(request):
    return HttpResponse("no script")


@csp_update({"frame-src": [SELF]})
def _own_policy(request):
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")


def _headers(middleware_class, view, path="/"):
    """The CSP headers of two requests, each request's nonce written as "N", the directives in order."""
    found = []
    for _ in range(2):
        request = RequestFactory().get(path)
        response = middleware_class(view)(request)
        nonce = getattr(request, "_csp_nonce", None)
        for header in (HEADER, HEADER_REPORT_ONLY):
            policy = response.get(header)
            if policy is not None and nonce is not None:
                policy = policy.replace(nonce, "N")
            found.append((header, sorted(re.split(r";\s*", policy)) if policy is not None else None))
        if nonce is None:
            with pytest.raises(CSPNonceError):  # as django-csp: no nonce once the header is written
                str(request.csp_nonce)
    return found


@pytest.mark.parametrize("view", [_with_nonce, _without_nonce, _own_policy])
def test_the_policy_is_django_csps(view):
    ours = _headers(CSPMiddleware, view)
    assert ours == _headers(DjangoCSPMiddleware, view)
    assert ("'nonce-N'" in " ".join(ours[0][1])) is (view is not _without_nonce)


def test_the_report_only_policy_and_excluded_prefixes_are_django_csps_and_follow_the_settings():
    policy = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, "'nonce-placeholder'"]}}
    with override_settings(CONTENT_SECURITY_POLICY_REPORT_ONLY={"DIRECTIVES": {"img-src": [SELF]}}):
        assert _headers(CSPMiddleware, _with_nonce) == _headers(DjangoCSPMiddleware, _with_nonce)
    with override_settings(CONTENT_SECURITY_POLICY={**policy, "EXCLUDE_URL_PREFIXES": ["/excluded/"]}):
        for path in ("/excluded/page/", "/other/"):
            assert _headers(CSPMiddleware, _with_nonce, path) == _headers(DjangoCSPMiddleware, _with_nonce, path)
    middleware = CSPMiddleware(_without_nonce)  # one instance, as in a process: the settings read each time
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": [SELF]}}):
        assert middleware(RequestFactory().get("/"))[HEADER] == "default-src 'self'"
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"img-src": [SELF]}}):
        assert "img-src 'self'" in middleware(RequestFactory().get("/"))[HEADER]
