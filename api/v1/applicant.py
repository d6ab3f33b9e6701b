"""The applicant's endpoints: their account, permits, dossiers, drafts, documents, appointments
and messages. Each view parses, calls the service or selector the HTML page calls, and serializes;
the person is ``applicant_for(request)``, the actor ``request.user`` (``api.onbehalf``)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.mandates import applicant_for, assisted_dossier_check
from api.v1 import appointments, documents, dossiers
from api.views import ApplicantView
from applications import selectors


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.EmailField(allow_null=True)
    preferred_language = serializers.CharField()
    acting_for = serializers.BooleanField(help_text="True when a mediator calls under a mandate.")


class MeView(ApplicantView):
    @extend_schema(
        operation_id="me_retrieve", responses=MeSerializer, tags=["account"],
        summary="The person the calls are about",
        examples=[OpenApiExample("An applicant", value={
            "id": 42, "first_name": "Awa", "last_name": "Ndiaye", "email": "awa@example.org",
            "preferred_language": "fr", "acting_for": False})],
    )
    def get(self, request):
        person = applicant_for(request)
        return Response(MeSerializer({
            "id": person.pk, "first_name": person.first_name, "last_name": person.last_name,
            "email": person.email, "preferred_language": person.preferred_language,
            "acting_for": person.pk != request.user.pk,
        }).data)


class PermitSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="permit.pk")
    category = serializers.CharField(source="permit.category")
    category_label = serializers.CharField(source="permit.get_category_display")
    number = serializers.CharField(source="permit.number")
    valid_from = serializers.DateField(source="permit.valid_from")
    valid_until = serializers.DateField(source="permit.valid_until")
    allows_work = serializers.BooleanField(source="permit.allows_work")
    days_left = serializers.IntegerField()
    renewal_window_opens = serializers.DateField(source="window.opens")
    renewal_window_closes = serializers.DateField(source="window.closes")
    renewal_window_state = serializers.CharField(source="window_state")
    renewal_dossier = serializers.IntegerField(source="renewal.pk", allow_null=True, default=None)
    renewal_stage = serializers.CharField(source="stage")


class PermitsView(ApplicantView):
    @extend_schema(
        operation_id="permits_list", responses=PermitSerializer(many=True), tags=["permits"],
        summary="The person's residence permits, newest first, with their renewal window",
        examples=[OpenApiExample("One permit", value=[{
            "id": 7, "category": "employee", "category_label": "Salarié", "number": "TS00000007",
            "valid_from": "2025-06-01", "valid_until": "2026-06-01", "allows_work": True, "days_left": 178,
            "renewal_window_opens": "2026-02-01", "renewal_window_closes": "2026-04-02",
            "renewal_window_state": "not_yet", "renewal_dossier": None, "renewal_stage": ""}])],
    )
    def get(self, request):
        assisted_dossier_check(request, None)  # a mandate for one dossier reaches nothing else
        rows = selectors.permits_for_holder(user=applicant_for(request))
        return Response(PermitSerializer(rows, many=True).data)


urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("permits/", PermitsView.as_view(), name="permits"),
    path("dossiers/", dossiers.DossiersView.as_view(), name="dossiers"),
    path("dossiers/<int:pk>/", dossiers.DossierView.as_view(), name="dossier"),
    path("dossiers/<int:pk>/timeline/", dossiers.TimelineView.as_view(), name="dossier-timeline"),
    path("dossiers/<int:pk>/steps/<slug:step>/", dossiers.StepView.as_view(), name="dossier-step"),
    path("dossiers/<int:pk>/attachments/", dossiers.AttachmentsView.as_view(), name="dossier-attachments"),
    path("dossiers/<int:pk>/attachments/<int:attachment_pk>/", dossiers.AttachmentView.as_view(),
         name="dossier-attachment"),
    path("dossiers/<int:pk>/submit/", dossiers.SubmitView.as_view(), name="dossier-submit"),
    path("dossiers/<int:pk>/complements/", dossiers.ComplementsView.as_view(), name="dossier-complements"),
    path("documents/", documents.DocumentsView.as_view(), name="documents"),
    path("documents/<int:pk>/pdf/", documents.DocumentDownloadView.as_view(), name="document-pdf"),
    path("messages/", documents.MessagesView.as_view(), name="messages"),
    path("appointments/", appointments.BookingsView.as_view(), name="appointments"),
    path("appointments/slots/", appointments.SlotsView.as_view(), name="appointment-slots"),
    path("appointments/<int:pk>/", appointments.BookingView.as_view(), name="appointment"),
    path("appointments/<int:pk>/cancel/", appointments.CancelView.as_view(), name="appointment-cancel"),
    path("appointments/<int:pk>/reschedule/", appointments.RescheduleView.as_view(), name="appointment-reschedule"),
]
