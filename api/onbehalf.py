"""A mediator acting for a person through the API (ADR 0010, docs/api/README.md "On behalf").

The request names the mandate it acts under in the ``X-Anef-Mandate`` header (the mandate's id,
as the mediator's list of mandates shows it). A mandate names exactly one person and what it
covers (the whole account, or one dossier), so the header says both who and how far; a person's id
alone would not. The mandate must hold now for the caller (``accounts.mandates.mandate_get_for_mediator``:
a verified mediator of its help point, not revoked, not expired); anything else is refused with
``mandate_not_held`` and nothing is done.

Once it holds, the request is what the HTML assisted session makes of a page: ``request.mandate``
is set, ``accounts.mandates.applicant_for`` names the person whose data the endpoint reads, the
services get ``by=request.user`` (the mediator) and record each action as done on the person's
behalf (``accounts.mandates.mandate_covering``), and a dossier mandate reaches that dossier only
(``assisted_dossier_check``). Without the header the API ignores any assisted session of the
browser: a client acts for someone only when it says so.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions

from accounts.mandates import mandate_get_for_mediator

HEADER = "X-Anef-Mandate"
META_KEY = "HTTP_X_ANEF_MANDATE"

MANDATE_PARAMETER = OpenApiParameter(
    name=HEADER, type=OpenApiTypes.INT, location=OpenApiParameter.HEADER, required=False,
    description=("Mediators only: the id of the mandate to act under. The call is then made for the "
                 "person who gave it, within its scope, and recorded as done on their behalf."),
)


class MandateNotHeld(exceptions.PermissionDenied):
    default_detail = _("Ce mandat n'est pas valable pour vous (révoqué, expiré, ou d'un autre point d'accueil) : "
                       "rien n'a été fait.")
    default_code = "mandate_not_held"


def resolve_mandate(request) -> None:
    """Sets ``request.mandate`` from the header (None without it)."""
    django_request = request._request
    django_request.mandate = None
    raw = request.META.get(META_KEY, "").strip()
    if not raw:
        return
    if not raw.isdigit() or len(raw) > 18:
        raise MandateNotHeld
    try:
        django_request.mandate = mandate_get_for_mediator(by=request.user, pk=int(raw))
    except Http404 as error:
        raise MandateNotHeld from error


class OnBehalfMixin:
    """For the applicant endpoints: the mandate is resolved once the caller is known."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        resolve_mandate(request)
