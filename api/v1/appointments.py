"""The person's appointments: free slots, book, cancel, reschedule, list and detail. The same
selectors and services as the booking pages (appointments/views.py): the file a booking is about
and what it allows (``booking_subject_for``), the per-person attempt limit and the race-free seat
(``booking_create``), the convocation's date limit (``booking_reschedule``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.mandates import DOSSIER_SUBJECT_TYPE, applicant_for, assisted_subject_check
from api.errors import register_error
from api.views import ApplicantListView, ApplicantView
from appointments import selectors
from appointments.dates import parse_instant
from appointments.services import booking_cancel, booking_create, booking_reschedule
from appointments.services.bookings import AlreadyBooked, BookingError, SlotTaken, Subject

register_error(BookingError, status_code=status.HTTP_409_CONFLICT, code="booking_refused")
register_error(SlotTaken, status_code=status.HTTP_409_CONFLICT, code="slot_taken")
register_error(AlreadyBooked, status_code=status.HTTP_409_CONFLICT, code="already_booked")

#: Free slots returned per call; ``after`` (the last one's ``starts_at``) gives the next ones.
SLOTS_PER_PAGE = 25


class SlotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    site = serializers.CharField(source="desk.site.name")
    site_address = serializers.CharField(source="desk.site.full_address")
    desk = serializers.CharField(source="desk.name")


class BookingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    motive = serializers.CharField(source="motive.code")
    motive_label = serializers.CharField(source="motive.get_code_display")
    kind = serializers.CharField()
    status = serializers.CharField()
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    ends_at = serializers.DateTimeField(source="slot.ends_at")
    site = serializers.CharField(source="slot.desk.site.name")
    site_address = serializers.CharField(source="slot.desk.site.full_address")
    desk = serializers.CharField(source="slot.desk.name")
    dossier = serializers.SerializerMethodField()
    movable_until = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_dossier(self, obj) -> int | None:
        return int(obj.subject_id) if obj.subject_type == DOSSIER_SUBJECT_TYPE and obj.subject_id.isdigit() else None


class BookInput(serializers.Serializer):
    motive = serializers.CharField(max_length=40, help_text="biometrics, card_collection, pan_assistance")
    slot = serializers.IntegerField(help_text="A free slot, from /appointments/slots/.")
    dossier = serializers.IntegerField(required=False, help_text="The dossier the appointment is about.")


class RescheduleInput(serializers.Serializer):
    slot = serializers.IntegerField(help_text="Another free slot of the same motive and site.")


BOOKING_EXAMPLE = {
    "id": 4, "motive": "biometrics", "motive_label": "Relevé d'empreintes", "kind": "self", "status": "booked",
    "starts_at": "2026-12-10T09:00:00+01:00", "ends_at": "2026-12-10T09:15:00+01:00",
    "site": "Préfecture du Rhône", "site_address": "106 rue Pierre Corneille, 69003 Lyon", "desk": "Guichet 1",
    "dossier": 12, "movable_until": None, "created_at": "2026-12-03T08:00:00+01:00",
}


def _dossier_param(value) -> tuple[str, str]:
    """The file a booking is about, as the booking page names it (none: "", "")."""
    if value in (None, ""):
        return "", ""
    raw = str(value)
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationError({"dossier": [ValidationError(_("Identifiant de dossier invalide."), code="invalid")]})
    return DOSSIER_SUBJECT_TYPE, raw


def _booking_context(request, motive_code, dossier):
    """The motive, the file, and the sites where the person may book it; 403 when the file does not
    allow it (another person's, or a state that does not call for it)."""
    if not isinstance(motive_code, str) or not motive_code:
        raise ValidationError({"motive": [ValidationError(_("Choisissez un motif."), code="required")]})
    motive = selectors.motive_get_self_bookable(code=motive_code[:40])
    subject_type, subject_id = _dossier_param(dossier)
    assisted_subject_check(request, subject_type, subject_id)
    person = applicant_for(request)
    info, allowed = selectors.booking_subject_for(person=person, motive=motive, subject_type=subject_type,
                                                  subject_id=subject_id)
    if not allowed:
        raise BookingError(_("Ce rendez-vous ne peut pas être pris pour ce dossier maintenant."))
    sites = list(selectors.sites_for_person(user=person, motive=motive,
                                            prefecture_id=info.prefecture_id if info else None))
    return motive, info, sites


def booking_get(request, pk: int):
    booking = selectors.booking_get_for_user(user=applicant_for(request), pk=pk)
    assisted_subject_check(request, booking.subject_type, booking.subject_id)
    return booking


class SlotsView(ApplicantView):
    @extend_schema(
        operation_id="appointments_slots", tags=["appointments"], responses=SlotSerializer(many=True),
        summary="Free slots for a motive the person may book (about a dossier when the motive needs one)",
        parameters=[
            OpenApiParameter("motive", str, required=True, description="biometrics, card_collection, pan_assistance"),
            OpenApiParameter("dossier", int, description="The dossier the appointment is about."),
            OpenApiParameter("after", OpenApiTypes.DATETIME, description="Slots starting after this instant."),
        ],
        examples=[OpenApiExample("Two slots", value=[
            {"id": 31, "starts_at": "2026-12-10T09:00:00+01:00", "ends_at": "2026-12-10T09:15:00+01:00",
             "site": "Préfecture du Rhône", "site_address": "106 rue Pierre Corneille, 69003 Lyon",
             "desk": "Guichet 1"}])],
    )
    def get(self, request):
        motive, _info, sites = _booking_context(request, request.query_params.get("motive"),
                                                 request.query_params.get("dossier"))
        after = None
        if request.query_params.get("after"):
            try:
                after = parse_instant(request.query_params["after"][:40])
            except ValueError:
                raise ValidationError({"after": [ValidationError(_("Date et heure invalides."),
                                                                     code="invalid")]}) from None
        slots = selectors.free_slots(motive=motive, site_ids=[s.pk for s in sites], after=after)[:SLOTS_PER_PAGE]
        return Response(SlotSerializer(slots, many=True).data)


class BookingsView(ApplicantListView):
    serializer_class = BookingSerializer

    def get_queryset(self):
        bookings = selectors.bookings_for_person(user=applicant_for(self.request))
        mandate = getattr(self.request, "mandate", None)
        if mandate is not None and mandate.dossier_id is not None:  # a dossier mandate: that dossier's only
            bookings = bookings.filter(subject_type=DOSSIER_SUBJECT_TYPE, subject_id=str(mandate.dossier_id))
        return bookings

    @extend_schema(operation_id="appointments_list", tags=["appointments"], summary="The person's appointments",
                   examples=[OpenApiExample("A page", value={"next": None, "previous": None,
                                                              "results": [BOOKING_EXAMPLE]})])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="appointments_book", tags=["appointments"], responses={201: BookingSerializer},
        summary="Book a free slot (personal; a limited number of attempts per 10 minutes)",
        request=BookInput, examples=[
            OpenApiExample("Biometrics for a dossier", request_only=True,
                           value={"motive": "biometrics", "slot": 31, "dossier": 12}),
            OpenApiExample("Booked", response_only=True, status_codes=["201"], value=BOOKING_EXAMPLE)],
    )
    def post(self, request):
        data = request.data if hasattr(request.data, "get") else {}
        motive, info, sites = _booking_context(request, data.get("motive"), data.get("dossier"))
        raw_slot = str(data.get("slot", ""))
        slot = (selectors.slot_get_bookable(pk=int(raw_slot), motive=motive, site_ids=[s.pk for s in sites])
                if raw_slot.isdigit() and len(raw_slot) < 18 else None)
        if slot is None:
            raise ValidationError({"slot": [ValidationError(_("Choisissez un créneau dans la liste."),
                                                            code="invalid")]})
        booking = booking_create(person=applicant_for(request), slot=slot, by=request.user,
                                 subject=Subject(info.type, info.id, info.label) if info else None)
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)


class BookingView(ApplicantView):
    @extend_schema(operation_id="appointments_retrieve", tags=["appointments"], responses=BookingSerializer,
                   summary="One appointment", examples=[OpenApiExample("Booked", value=BOOKING_EXAMPLE)])
    def get(self, request, pk: int):
        return Response(BookingSerializer(booking_get(request, pk)).data)


class CancelView(ApplicantView):
    @extend_schema(operation_id="appointments_cancel", tags=["appointments"], request=None,
                   responses=BookingSerializer, summary="Cancel an upcoming appointment (the seat is offered on)",
                   examples=[OpenApiExample("Cancelled", value={**BOOKING_EXAMPLE, "status": "cancelled"})])
    def post(self, request, pk: int):
        booking = booking_cancel(booking=booking_get(request, pk), by=request.user)
        return Response(BookingSerializer(booking).data)


class RescheduleView(ApplicantView):
    @extend_schema(
        operation_id="appointments_reschedule", tags=["appointments"], responses=BookingSerializer,
        summary="Move an appointment to another free slot of the same motive and site (a convocation: up to its limit)",
        request=RescheduleInput,
        examples=[OpenApiExample("Another slot", request_only=True, value={"slot": 32}),
                  OpenApiExample("Moved", response_only=True, value={**BOOKING_EXAMPLE, "id": 5})],
    )
    def post(self, request, pk: int):
        booking = booking_get(request, pk)
        raw_slot = str(request.data.get("slot", "") if hasattr(request.data, "get") else "")
        slot = (selectors.slot_get_bookable(pk=int(raw_slot), motive=booking.motive,
                                            site_ids=[booking.slot.desk.site_id])
                if raw_slot.isdigit() and len(raw_slot) < 18 else None)
        if slot is None or slot.pk == booking.slot_id:
            raise ValidationError({"slot": [ValidationError(_("Choisissez un créneau dans la liste."),
                                                            code="invalid")]})
        return Response(BookingSerializer(booking_reschedule(booking=booking, slot=slot, by=request.user)).data)


