"""Base classes of the API's views. Settings give every view the authentication, the permission
(``api.permissions.IsPerson``), the throttles, the pagination and the error handler; these add
what an audience needs."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, views

from api.onbehalf import MANDATE_PARAMETER, OnBehalfMixin


@extend_schema(parameters=[MANDATE_PARAMETER])
class ApplicantView(OnBehalfMixin, views.APIView):
    # An applicant endpoint: the person is ``accounts.mandates.applicant_for(request)`` (the caller,
    # or the person whose mandate ``X-Anef-Mandate`` names). A comment, not a docstring: the schema
    # would show a docstring as the description of every operation.
    pass


@extend_schema(parameters=[MANDATE_PARAMETER])
class ApplicantListView(OnBehalfMixin, generics.ListAPIView):
    # A paginated list of the person's objects (cursor pagination).
    pass
