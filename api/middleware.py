"""What every ``/api/`` response needs that Django's middleware does for pages in another way.

- Language: the request's ``Accept-Language`` decides (FR or EN, French by default), not the
  portal's language cookie: a client says what it wants on each request.
- A 404 from URL resolution (``/api/v1/dossiers/abc/``: no view was reached, so no exception
  handler ran) is the API's JSON error too, not the portal's HTML page.
- ``Cache-Control: private, no-store``: an API answer names a person; a token-authenticated
  request is anonymous to ``accounts.middleware.PrivatePagesMiddleware`` (DRF authenticates later),
  so it is said here for every answer.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

from api.errors import DEFAULT_MESSAGES, error_body

PREFIX = "/api/"


def language_from_header(header: str) -> str:
    """The first supported language of an ``Accept-Language`` header, by weight; the default else."""
    choices = []
    for position, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag and weight > 0:
            choices.append((-weight, position, tag.strip()))
    for _weight, _position, tag in sorted(choices):
        try:
            return translation.get_supported_language_variant(tag.lower())
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        language = language_from_header(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if response.status_code == 404 and not response.get("Content-Type", "").startswith("application/json"):
            response = JsonResponse(error_body("not_found", str(DEFAULT_MESSAGES["not_found"]())), status=404)
        patch_vary_headers(response, ["Accept-Language", "Authorization"])
        if request.path.startswith(PREFIX + "v1/"):
            patch_cache_control(response, private=True, no_store=True)
        return response
