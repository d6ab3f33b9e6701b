"""The API's one error format and the one exception handler that writes it (ADR 0010).

Every error is a JSON body::

    {"code": "<stable_snake_code>", "message": "<in the request's language>", "fields": {...}}

``fields`` is there for validation errors only: ``{"<field>": [{"code": ..., "message": ...}]}``
(``"__all__"`` for the object as a whole). ``code`` is stable: clients branch on it, never on the
message, which is translated (Accept-Language, see ``api.middleware``).

Viewsets hold no rule, so they do not catch the services' exceptions either: they let them rise,
and this handler maps them. How an exception becomes a code:

1. an exception class registered in ``ERRORS`` (below, or with ``register_error`` from a module of
   this app) gives its status and code; the most specific class wins (the MRO is walked), so
   ``TransitionNotAllowed`` (a ``ValidationError``) answers 409 ``transition_not_allowed``;
2. a Django ``ValidationError`` raised by a service with a ``code`` (``ValidationError(msg,
   code="too_many_versions")``) keeps that code, so a new refusal in a service needs no change
   here; one without a code is ``invalid``;
3. DRF's own exceptions keep their ``default_code`` (``not_authenticated``, ``throttled``...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from applications.workflow import TransitionNotAllowed

#: exception class -> (HTTP status, stable code). ``register_error`` adds to it.
ERRORS: dict[type[BaseException], tuple[int, str]] = {
    Http404: (status.HTTP_404_NOT_FOUND, "not_found"),
    PermissionDenied: (status.HTTP_403_FORBIDDEN, "permission_denied"),
    DjangoValidationError: (status.HTTP_400_BAD_REQUEST, "invalid"),
    TransitionNotAllowed: (status.HTTP_409_CONFLICT, "transition_not_allowed"),
}

#: The default message of each code that has no message of its own (a 404 says nothing more).
DEFAULT_MESSAGES = {
    "not_found": lambda: _("Rien ne correspond à cette adresse, ou vous n'y avez pas accès."),
    "permission_denied": lambda: _("Vous n'avez pas le droit de faire cela."),
    "invalid": lambda: _("Certaines données sont à corriger."),
}


def register_error(exception: type[BaseException], *, status_code: int, code: str) -> None:
    """Maps a service's exception class to a status and a stable code (call it at import time of
    the module that needs it; a code, once published, never changes meaning)."""
    ERRORS[exception] = (status_code, code)


def _registered(exc: BaseException) -> tuple[int, str] | None:
    for klass in type(exc).__mro__:
        if klass in ERRORS:
            return ERRORS[klass]
    return None


def _detail_items(detail: Any) -> list[dict[str, str]]:
    """DRF's error detail (a string, a list, or nested) as ``[{"code", "message"}]``."""
    if isinstance(detail, list):
        return [item for entry in detail for item in _detail_items(entry)]
    if isinstance(detail, Mapping):  # a nested serializer: flatten its messages under this field
        return [item for value in detail.values() for item in _detail_items(value)]
    return [{"code": getattr(detail, "code", None) or "invalid", "message": force_str(detail)}]


def _django_fields(error: DjangoValidationError) -> dict[str, list[dict[str, str]]]:
    if hasattr(error, "error_dict"):
        return {field: [{"code": e.code or "invalid", "message": m} for e in errors for m in e.messages]
                for field, errors in error.error_dict.items()}
    return {"__all__": [{"code": e.code or "invalid", "message": m} for e in error.error_list for m in e.messages]}


def error_body(code: str, message: str, fields: dict | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return body


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error the API answers, in the one format."""
    if isinstance(exc, DjangoValidationError):
        status_code, code = _registered(exc) or (status.HTTP_400_BAD_REQUEST, "invalid")
        fields = _django_fields(exc)
        # One refusal with its own code (a service's "no_free_slot", a field's "biometrics_missing"):
        # that code; several, or none: "invalid". The message says every reason, as the form's summary does.
        codes = {item["code"] for items in fields.values() for item in items} - {"invalid"}
        if code == "invalid" and len(codes) == 1:
            code = codes.pop()
        messages = [item["message"] for items in fields.values() for item in items]
        message = " ".join(messages) or DEFAULT_MESSAGES["invalid"]()
        return Response(error_body(code, message, fields if code != "transition_not_allowed" else None),
                        status=status_code)

    registered = _registered(exc) if not isinstance(exc, exceptions.APIException) else None
    if registered is not None:
        status_code, code = registered
        message = force_str(exc.args[0]) if exc.args and exc.args[0] else DEFAULT_MESSAGES.get(code, lambda: "")()
        if isinstance(exc, Http404):  # never says why: the object may exist, and be someone else's
            message = DEFAULT_MESSAGES["not_found"]()
        return Response(error_body(code, message), status=status_code)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: a 500, logged by Django
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, Mapping):
            fields = {key: _detail_items(value) for key, value in detail.items()}
        else:
            fields = {"__all__": _detail_items(detail)}
        response.data = error_body("invalid", DEFAULT_MESSAGES["invalid"](), fields)
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = getattr(detail, "code", None) or exc.default_code
        response.data = error_body(str(code), force_str(detail))
    return response
