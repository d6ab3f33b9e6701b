"""The person's issued documents (list, download) and in-app messages (list)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.mandates import applicant_for, assisted_dossier_allowed, assisted_subject_allowed
from api.views import ApplicantListView, ApplicantView
from documents.selectors import documents_for_holder
from documents.views import document_for_download, document_response
from notifications.selectors import inbox_for_user


class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    number = serializers.CharField()
    verification_code = serializers.CharField()
    status = serializers.CharField()
    issued_at = serializers.DateTimeField()
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    dossier = serializers.SerializerMethodField()
    ready = serializers.BooleanField(source="is_rendered", help_text="False while the PDF is being prepared.")

    def get_dossier(self, obj) -> int | None:
        return int(obj.subject_id) if obj.subject_type == "applications.dossier" and obj.subject_id.isdigit() else None


DOCUMENT_EXAMPLE = {
    "id": 3, "kind": "filing_receipt", "kind_label": "Attestation de dépôt", "number": "AD-2026-000123",
    "verification_code": "7K2M9QXR", "status": "valid", "issued_at": "2026-12-02T10:00:00+01:00",
    "valid_from": None, "valid_until": None, "dossier": 12, "ready": True,
}


class DocumentsView(ApplicantListView):
    serializer_class = DocumentSerializer

    def get_queryset(self):
        documents = documents_for_holder(holder=applicant_for(self.request))
        mandate = getattr(self.request, "mandate", None)
        if not assisted_dossier_allowed(self.request, None):  # a dossier mandate: that dossier's only
            documents = documents.filter(subject_type="applications.dossier", subject_id=str(mandate.dossier_id))
        return documents

    @extend_schema(operation_id="documents_list", tags=["documents"],
                   summary="The documents issued to the person (receipts, certificates, letters), newest first",
                   examples=[OpenApiExample("A page", value={"next": None, "previous": None,
                                                              "results": [DOCUMENT_EXAMPLE]})])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DocumentDownloadView(ApplicantView):
    @extend_schema(
        operation_id="documents_download", tags=["documents"],
        summary="The document's PDF (202 while it is being prepared: try again in a few seconds)",
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="application/pdf"),
                   202: OpenApiResponse(description="Being prepared (`document_preparing`).")},
    )
    def get(self, request, pk: int):
        document = document_for_download(request._request, pk)
        if not document.is_rendered:
            return Response({"code": "document_preparing", "message": str(
                _("Le document est en cours de préparation : réessayez dans quelques secondes."))},
                status=status.HTTP_202_ACCEPTED, headers={"Retry-After": "5"})
        return document_response(request._request, document)


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.CharField()
    subject = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class MessagesView(ApplicantListView):
    serializer_class = MessageSerializer

    def get_queryset(self):
        if not assisted_subject_allowed(self.request, "", ""):  # a dossier mandate does not open the inbox
            return inbox_for_user(user=applicant_for(self.request)).none()
        return inbox_for_user(user=applicant_for(self.request))

    @extend_schema(operation_id="messages_list", tags=["messages"],
                   summary="The person's in-app messages, newest first",
                   examples=[OpenApiExample("A page", value={"next": None, "previous": None, "results": [{
                       "id": 9, "event": "dossier.submitted", "subject": "Votre demande est déposée",
                       "body": "Bonjour…", "created_at": "2026-12-02T10:00:01+01:00", "read_at": None}]})])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
