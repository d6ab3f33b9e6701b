"""The Content-Security-Policy header (django-csp's middleware), its text built once per process.

django-csp builds the policy from the settings on every response, twice (the policy and the
report-only one): about 340 Python calls a request, on every page (issue 17). For a response that
brings no policy of its own (no ``@csp_update``, ``@csp_replace``, ``@csp_exempt``...), the policy
depends only on the settings and on whether the page used a nonce: ``CSPMiddleware`` builds it once
per process for each, with django-csp's own ``build_policy``, and puts the request's nonce in. So
does a response with an ``@csp_update`` alone (the agent's file page: frames of the portal), per
update. Any other response goes through django-csp unchanged.
"""

from __future__ import annotations

import http.client

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as _DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

#: Stands for the request's nonce in the policies kept: characters no nonce (base64) holds.
_NONCE = "__anef-csp-nonce__"
#: The attributes django-csp's decorators set on a response: such a response has its own policy.
_OWN_POLICY = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt",
               "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro", "_csp_exempt_ro")


class CSPMiddleware(_DjangoCSPMiddleware):
    """django-csp's ``CSPMiddleware``, the policy of a response without its own kept per process
    (module docstring)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: (the ids of the settings' policies, nonce used) -> (policy, report-only policy, with the
        #: nonce as ``_NONCE``; the settings' policies themselves, kept so that their ids stay theirs)
        self._policies: dict[tuple, tuple[str, str, object, object]] = {}

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        own = [name for name in _OWN_POLICY if name in response.__dict__]
        # ``@csp_update`` alone (the file page's frames) is kept too, per update; anything else
        # goes through django-csp.
        update = response.__dict__["_csp_update"] if own == ["_csp_update"] else None
        if own and update is None:
            return super().process_response(request, response)
        if response.status_code in (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND) and settings.DEBUG:
            return response
        nonce = getattr(request, "_csp_nonce", None)
        config = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        config_ro = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        # settings overridden (tests): other dicts; an update: its text (a few fixed ones)
        key = (id(config), id(config_ro), nonce is not None, repr(sorted(update.items())) if update else "")
        policies = self._policies.get(key)
        if policies is None:
            marker = _NONCE if nonce is not None else None
            policies = (build_policy(update=update, nonce=marker), build_policy(nonce=marker, report_only=True),
                        config, config_ro)
            if len(self._policies) >= 8:  # settings overridden many times (tests)
                self._policies.clear()
            self._policies[key] = policies
        for header, policy, policy_settings in ((HEADER, policies[0], config),
                                                (HEADER_REPORT_ONLY, policies[1], config_ro)):
            if not policy or header in response:
                continue
            prefixes = (policy_settings or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy.replace(_NONCE, nonce) if nonce is not None else policy
        # As django-csp: once the header is written, reading the nonce is an error.
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
