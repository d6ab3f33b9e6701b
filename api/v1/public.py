"""Endpoints anyone may call, without an account: certificate verification by code, with the
same rate limit (per client address, shared with the page) and the same minimal data as
``/verifier/`` (genuine or not, kind, validity, holder's name and birth date, and for a
certificate the permit category and the right to work)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from documents.forms import VerificationCodeForm
from documents.views import VERIFY_LOOKUP_WINDOW_SECONDS, verification_facts_for_code, verify_lookup_allowed


class VerificationSerializer(serializers.Serializer):
    found = serializers.BooleanField(help_text="False: no document or letter has this code.")
    kind = serializers.CharField(required=False)
    kind_label = serializers.CharField(required=False)
    number = serializers.CharField(required=False)
    issued_on = serializers.DateField(required=False)
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)
    status = serializers.CharField(required=False, help_text="valid, superseded, revoked, expired…")
    status_label = serializers.CharField(required=False)
    holder_name = serializers.CharField(required=False)
    holder_birth_date = serializers.DateField(required=False, allow_null=True)
    successor_number = serializers.CharField(required=False)
    successor_from = serializers.DateField(required=False, allow_null=True)
    permit_category = serializers.CharField(required=False)
    work = serializers.CharField(required=False, help_text="yes / no / empty (not stated)")


class VerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []  # the verification limit below is the one that counts

    @extend_schema(
        operation_id="verify_code", tags=["verification"], auth=[],
        summary="Is this document genuine? (the code printed under its QR code)",
        request=inline_serializer("VerifyInput", {"code": serializers.CharField(
            max_length=30, help_text="10 letters and digits, as printed (dash and case do not matter).")}),
        responses=VerificationSerializer,
        examples=[
            OpenApiExample("A code", request_only=True, value={"code": "ABCDE-23456"}),
            OpenApiExample("Genuine", response_only=True, value={
                "found": True, "kind": "extension_certificate",
                "kind_label": "Attestation de prolongation d'instruction", "number": "API-2026-000042",
                "issued_on": "2026-11-20", "valid_from": "2026-12-01", "valid_until": "2027-02-28",
                "status": "valid", "status_label": "en cours de validité", "holder_name": "Awa NDIAYE",
                "holder_birth_date": "1990-04-12", "successor_number": "", "successor_from": None,
                "permit_category": "employee", "work": "yes"}),
            OpenApiExample("Unknown", response_only=True, value={"found": False}),
        ],
    )
    def post(self, request):
        if not verify_lookup_allowed(request._request):
            raise exceptions.Throttled(wait=VERIFY_LOOKUP_WINDOW_SECONDS,
                                       detail=_("Trop de vérifications depuis cette adresse. Réessayez plus tard."))
        form = VerificationCodeForm(request.data if hasattr(request.data, "get") else {})
        if not form.is_valid():
            raise ValidationError({field: errors for field, errors in form.errors.as_data().items()})
        facts = verification_facts_for_code(form.cleaned_data["code"])
        if facts is None:
            return Response({"found": False})
        data = {name: getattr(facts, name) for name in VerificationSerializer().fields if name != "found"}
        return Response(VerificationSerializer({"found": True, **data}).data)


urlpatterns: list[URLPattern | URLResolver] = [
    path("verify/", VerifyView.as_view(), name="verify"),
]
