"""The agents' endpoints (``/api/v1/backoffice/…``): the queue and the file actions.

Every view here admits instructing staff only (agents and supervisors of a prefecture, second
factor verified: ``IsInstructingStaff``, as ``instructing_staff_required`` guards the back-office
pages) and reaches a dossier only through the back-office's access-checked getter
(``applications.backoffice.selectors.dossier_get_for_staff``: 404 outside the agent's prefectures).
Each action calls the one service the back-office page calls (``applications.services``); its
refusals rise to ``api.errors``, which answers them with their stable code and their message in
the language asked. No rule is written here or in the serializers.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import views
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api.pagination import CursorPagination
from api.permissions import IsPerson, IsVerifiedStaff
from api.schema import COMMON, WRITES
from api.v1.backoffice_serializers import (
    CARD_STATUSES,
    OUTCOMES,
    QUEUE_STATUS_CHOICES,
    CardInputSerializer,
    ComplementsInputSerializer,
    DecisionInputSerializer,
    DossierFileSerializer,
    QueuePageSerializer,
)
from applications import presenters, services
from applications.actions import staff_actions
from applications.backoffice import forms, selectors
from applications.backoffice.selectors import DEADLINE_STATES, Cursor
from applications.clock import clock_for
from applications.models import Channel, Dossier
from applications.selectors import applicant_snapshot
from applications.staff import agent_prefecture_ids

TAGS = ["Agents"]


class IsInstructingStaff(BasePermission):
    """Agents and supervisors of at least one prefecture, second factor verified (the back-office's
    ``instructing_staff_required``): a mediator or a support agent gets nothing here."""

    message = gettext_lazy("Réservé aux agents instructeurs et aux chefs de bureau d'une préfecture.")
    code = "instructing_staff_only"

    def has_permission(self, request, view) -> bool:
        return bool(agent_prefecture_ids(user=request.user))


class AgentView(views.APIView):
    """Base of the agents' endpoints: signed in (401), staff with a verified second factor
    (``second_factor_required``, ``staff_only``), and instructing (``instructing_staff_only``)."""

    permission_classes = [IsPerson, IsVerifiedStaff, IsInstructingStaff]


# --- Examples of the schema (tests/api/test_backoffice_actions.py checks real answers have their shape) ---

ROW_VALUE = {
    "id": 1234, "reference": "2026-69-0001234", "status": "submitted", "status_label": "Déposé",
    "channel": "online", "procedure": {"id": 3, "code": "renouvellement-salarie", "name": "Renouvellement salarié"},
    "prefecture": {"id": 1, "name": "Préfecture du Rhône", "department": "69"},
    "applicant_name": "Amina DIALLO", "assigned_to": None, "submitted_at": "2026-11-20T10:12:00+01:00",
    "priority": 0, "priority_date": "2026-12-15",
    "clock": {"deadline": "2026-12-20", "days_left": 15, "paused": False, "overdue": False, "rights_at_risk": True},
}
FILE_VALUE = {
    **ROW_VALUE, "status": "under_review", "status_label": "En cours d'instruction",
    "assigned_to": {"id": 7, "name": "Jeanne MARTIN"},
    "applicant": {"name": "Amina DIALLO", "birth_date": "1990-04-12", "foreigner_number": "0123456789"},
    "filed_on_time": True, "extension_granted": False, "completed_at": "2026-11-22T09:00:00+01:00",
    "decided_at": None, "closed_at": None, "decision_reasons": "", "appeal_routes": "",
    "answers": [{"title": "Identité", "items": [{"label": "Nom", "value": "Diallo"}]}],
    "attachments": [{"id": 55, "document_type": {"id": 2, "code": "passeport", "name": "Passeport"},
                     "original_name": "passeport.pdf", "content_type": "application/pdf", "size": 183422,
                     "uploaded_at": "2026-11-19T18:40:00+01:00", "added_after_submission": False,
                     "review": "pending", "review_reason": ""}],
    "requirements": [{"id": 2, "code": "passeport", "name": "Passeport"}],
    "complement_requests": [],
    "timeline": [
        {"at": "2026-11-20T10:12:00+01:00", "kind": "submitted", "kind_label": "Demande déposée",
         "actor": "Amina DIALLO", "on_behalf_of": None, "from_status": "draft", "to_status": "submitted", "data": {}},
        {"at": "2026-11-22T09:00:00+01:00", "kind": "assigned", "kind_label": "Dossier attribué",
         "actor": "Jeanne MARTIN", "on_behalf_of": None, "from_status": "", "to_status": "",
         "data": {"to": "Jeanne MARTIN", "from": ""}},
    ],
    "actions": {"take": False, "assign": False, "complete": False, "complements": True, "review": True,
                "biometrics": True, "decide": ["decided_unfavourable", "closed_without_action"], "card_next": None,
                "extension": False, "favourable_waits_for_biometrics": True, "biometrics_state": "none"},
}
FILE_EXAMPLE = OpenApiExample("A file under review", value=FILE_VALUE, response_only=True)


def _error(code: str, message: str, status: str = "409", fields: dict | None = None) -> OpenApiExample:
    value: dict[str, Any] = {"code": code, "message": message}
    if fields:
        value["fields"] = fields
    return OpenApiExample(f"Refused: {code}", value=value, response_only=True, status_codes=[status])


def _responses(ok, examples) -> dict[int, Any]:
    """The success, and each error status an example illustrates, in the ``Error`` format (the
    component ``api.schema`` adds; the other error statuses it adds to every operation itself)."""
    responses: dict[int, Any] = {200: ok}
    errors: dict[str, list[OpenApiExample]] = {}
    for example in examples:
        for status in example.status_codes or ():
            if str(status) != "200":
                errors.setdefault(str(status), []).append(example)
    for status, items in errors.items():
        responses[int(status)] = OpenApiResponse(
            response={"$ref": "#/components/schemas/Error"}, examples=items,
            description={**COMMON, **WRITES}.get(status, "") or "Refused.")
    return responses


# --- The queue ---------------------------------------------------------------------------------

QUEUE_PARAMETERS = [
    OpenApiParameter("prefecture", OpenApiTypes.INT, description="One of your prefectures (id)."),
    OpenApiParameter("procedure", OpenApiTypes.INT, description="A procedure (id)."),
    OpenApiParameter("status", {"type": "array", "items": {"type": "string", "enum": QUEUE_STATUS_CHOICES}},
                     explode=True, description="Repeat for several statuses; none: every status of the queue."),
    OpenApiParameter("channel", OpenApiTypes.STR, enum=Channel.values),
    OpenApiParameter("assigned", OpenApiTypes.STR,
                     description="`me`, `none` (nobody), or the id of an agent of your prefectures."),
    OpenApiParameter("deadline", OpenApiTypes.STR, enum=list(DEADLINE_STATES)),
    OpenApiParameter("q", OpenApiTypes.STR,
                     description="A reference (2026-69-0000123), the start of a family name, or a foreigner number."),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="From the previous page's `next`."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 100 (default 25)."),
]


def _filter_errors(form: forms.QueueFilterForm, params, prefectures) -> dict[str, list[DjangoValidationError]]:
    """The filters' errors. An agent of one prefecture has no prefecture choice on the page; here a
    prefecture other than theirs is an error rather than silently ignored."""
    errors = dict(form.errors.as_data()) if form.is_bound else {}
    if "prefecture" in params and "prefecture" not in form.fields:
        if params.get("prefecture") not in {str(prefecture.pk) for prefecture in prefectures}:
            errors["prefecture"] = [DjangoValidationError(_("Choisissez une de vos préfectures."),
                                                          code="invalid_choice")]
    return errors


QUEUE_REFUSALS = [
    _error("invalid_choice", "Choisissez une de vos préfectures.", "400",
           {"prefecture": [{"code": "invalid_choice", "message": "Choisissez une de vos préfectures."}]}),
    _error("invalid_cursor", "Ce curseur n'est pas valable : repartez de la première page.", "400",
           {"cursor": [{"code": "invalid_cursor",
                        "message": "Ce curseur n'est pas valable : repartez de la première page."}]}),
]


class QueueView(AgentView):
    @extend_schema(
        operation_id="backoffice_queue", tags=TAGS, parameters=QUEUE_PARAMETERS,
        responses=_responses(QueuePageSerializer, QUEUE_REFUSALS),
        summary="The queue of your prefectures, by priority",
        description=(
            "The files waiting in your prefectures, in the back-office queue's order: rights at risk, then past "
            "the legal deadline, then by filing date (ADR 0003). The filters are the back-office queue's; a "
            "filter value that is not one of yours is refused (`invalid_choice`). Pages follow the queue's own "
            "keyset: follow `next` (an invalid cursor is refused: `invalid_cursor`)."),
        examples=[OpenApiExample("One page", value={"next": "https://anef.example/api/v1/backoffice/dossiers/"
                                                            "?cursor=0.2026-12-15.1234", "results": [ROW_VALUE]},
                                 response_only=True), *QUEUE_REFUSALS],
    )
    def get(self, request):
        user = request.user
        prefectures = selectors.instructing_prefectures(user=user)
        agents = selectors.prefecture_agents(prefecture_ids={p.pk for p in prefectures})
        params = request.query_params.copy()
        for key in ("cursor", "page_size"):
            params.pop(key, None)
        form = forms.QueueFilterForm(params or None, prefectures=prefectures, agents=agents)
        errors = _filter_errors(form, params, prefectures)
        after = None
        raw_cursor = request.query_params.get("cursor", "")
        if raw_cursor:
            after = Cursor.decode(raw_cursor)
            if after is None:
                errors["cursor"] = [DjangoValidationError(
                    _("Ce curseur n'est pas valable : repartez de la première page."), code="invalid_cursor")]
        if errors:
            raise DjangoValidationError(errors)
        limit = CursorPagination().get_page_size(request) or CursorPagination.page_size
        rows, next_cursor = selectors.queue_page(user=user, filters=form.filters(), after=after, limit=limit)
        today = timezone.localdate()
        next_url = (replace_query_param(request.build_absolute_uri(), "cursor", next_cursor.encode())
                    if next_cursor else None)
        return Response(QueuePageSerializer({"next": next_url, "results": [
            {"dossier": dossier, "clock": clock_for(dossier, today),
             "applicant_name": applicant_snapshot(dossier=dossier)["name"]} for dossier in rows
        ]}).data)


# --- The file ----------------------------------------------------------------------------------

def file_data(request, dossier: Dossier) -> dict[str, Any]:
    """The file as the back-office page shows it: the same selectors, serialized."""
    snapshot = applicant_snapshot(dossier=dossier)
    data = selectors.dossier_file_data(dossier=dossier)
    return DossierFileSerializer({
        "dossier": dossier,
        "clock": clock_for(dossier, timezone.localdate()),
        "applicant_name": snapshot["name"],
        "applicant": snapshot,
        "answers": [{"title": str(title), "items": [{"label": label, "value": value} for label, value in rows]}
                    for title, rows in presenters.answer_sections(dossier)],
        "data": data,
        "requirements": [requirement.document_type for requirement in data["requirements"]],
        "actions": staff_actions(dossier=dossier, user=request.user),
    }).data


class FileView(AgentView):
    @extend_schema(
        operation_id="backoffice_file", tags=TAGS, responses=DossierFileSerializer, examples=[FILE_EXAMPLE],
        summary="A file: the applicant, the pieces, the timeline and what you may do now",
        description="404 (`not_found`) for a file outside your prefectures, as for one that does not exist.",
    )
    def get(self, request, pk: int):
        return Response(file_data(request, selectors.dossier_get_for_staff(user=request.user, pk=pk)))


class ActionView(AgentView):
    """POST: the file through the access-checked getter, the body parsed, one service called; the
    answer is the file as it is now."""

    input_serializer: type | None = None

    def post(self, request, pk: int):
        dossier = selectors.dossier_get_for_staff(user=request.user, pk=pk)
        data: dict[str, Any] = {}
        if self.input_serializer is not None:
            serializer = self.input_serializer(data=request.data, **self.input_kwargs(dossier))
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        self.perform(request, dossier, data)
        return Response(file_data(request, selectors.dossier_get_for_staff(user=request.user, pk=pk)))

    def input_kwargs(self, dossier: Dossier) -> dict[str, Any]:
        return {}

    def perform(self, request, dossier: Dossier, data: dict[str, Any]) -> None:
        raise NotImplementedError


def _action_schema(operation_id: str, summary: str, description: str, *, request=None, examples=()):
    return extend_schema(operation_id=operation_id, tags=TAGS, request=request,
                         responses=_responses(DossierFileSerializer, examples),
                         summary=summary, description=description, examples=[FILE_EXAMPLE, *examples])


@extend_schema_view(post=_action_schema(
    "backoffice_file_take", "Take the file (assign it to yourself)",
    "Assigns an unassigned file to you (`services.dossier_assign`); taking a file already yours changes "
    "nothing and answers the file (idempotent). A colleague's file: `permission_denied` (a supervisor "
    "assigns it). The timeline says who took it.",
    examples=[_error("permission_denied", "Seul un chef de bureau peut attribuer un dossier à un autre agent.",
                     "403")],
))
class TakeView(ActionView):
    def perform(self, request, dossier, data):
        services.dossier_assign(dossier=dossier, agent=request.user, by=request.user)


@extend_schema_view(post=_action_schema(
    "backoffice_file_complete", "Declare the file complete (the review starts)",
    "`services.dossier_mark_complete`: a submitted file, or one whose complements came back, goes under "
    "review. Any other state: `transition_not_allowed`.",
    examples=[_error("transition_not_allowed", "Cette action n'est pas possible : le dossier est "
                                               "« En cours d'instruction ».")],
))
class CompleteView(ActionView):
    def perform(self, request, dossier, data):
        services.dossier_mark_complete(dossier=dossier, by=request.user)


@extend_schema_view(post=_action_schema(
    "backoffice_file_complements", "Ask the applicant for complements",
    "`services.complements_request`: pieces among the file's `requirements` and/or a message, due by a "
    "date; the legal clock stops until the applicant answers, and the applicant is told.",
    request=ComplementsInputSerializer,
    examples=[
        OpenApiExample("Two pieces", request_only=True, value={
            "document_types": [2, 5], "message": "Votre dernier bulletin de salaire.", "due_on": "2027-01-05"}),
        OpenApiExample("Refused: a date in the past", response_only=True, status_codes=["400"], value={
            "code": "invalid", "message": "La date limite doit être dans le futur.",
            "fields": {"due_on": [{"code": "invalid", "message": "La date limite doit être dans le futur."}]}}),
    ],
))
class ComplementsView(ActionView):
    input_serializer = ComplementsInputSerializer

    def input_kwargs(self, dossier):
        return {"procedure": dossier.procedure}

    def perform(self, request, dossier, data):
        services.complements_request(dossier=dossier, by=request.user, document_types=list(data.get(
            "document_types", [])), message=data["message"], due_on=data["due_on"])


@extend_schema_view(post=_action_schema(
    "backoffice_file_convocation", "Convoke the applicant to have their fingerprints taken",
    "`services.biometrics_request`: books the earliest free biometrics slot at the prefecture's sites that "
    "leaves the minimum notice, issues the convocation letter and tells the applicant. Refusals: "
    "`not_under_review`, `not_needed`, `already_done`, `already_convoked`, `no_free_slot`.",
    examples=[_error("already_convoked", "Le demandeur est déjà convoqué pour le relevé d'empreintes.", "400")],
))
class ConvocationView(ActionView):
    def perform(self, request, dossier, data):
        services.biometrics_request(dossier=dossier, by=request.user)


@extend_schema_view(post=_action_schema(
    "backoffice_file_decision", "Record the decision",
    "`services.dossier_decide`: favourable (issues the favourable-decision certificate; only once the "
    "fingerprints are taken when the procedure needs them: `biometrics_missing`), unfavourable (reasons "
    "and appeal routes required) or closed without action (a reason required). The file must be under "
    "review (`transition_not_allowed`). Outcomes: " + ", ".join(f"`{o.value}`" for o in OUTCOMES) + ".",
    request=DecisionInputSerializer,
    examples=[
        OpenApiExample("Unfavourable", request_only=True, value={
            "outcome": "decided_unfavourable", "reasons": "Les conditions de ressources ne sont pas remplies.",
            "appeal_routes": "Recours gracieux auprès du préfet dans un délai de deux mois."}),
        OpenApiExample("Refused: fingerprints missing", response_only=True, status_codes=["400"], value={
            "code": "biometrics_missing",
            "message": "Une décision favorable n'est possible qu'une fois les empreintes du demandeur "
                       "relevées au guichet.",
            "fields": {"outcome": [{"code": "biometrics_missing", "message": "Une décision favorable n'est "
                                    "possible qu'une fois les empreintes du demandeur relevées au guichet."}]}}),
    ],
))
class DecisionView(ActionView):
    input_serializer = DecisionInputSerializer

    def perform(self, request, dossier, data):
        services.dossier_decide(dossier=dossier, by=request.user, outcome=data["outcome"], reasons=data["reasons"],
                                appeal_routes=data["appeal_routes"])


@extend_schema_view(post=_action_schema(
    "backoffice_file_card", "Record the card's next step",
    "`services.card_mark`, one step at a time after a favourable decision: "
    + " → ".join(f"`{s}`" for s in CARD_STATUSES) + " (another order: `transition_not_allowed`). At "
    "delivery give what the card says (number, validity, category): it is recorded as the holder's new "
    "permit and the card-collection appointment of the day is closed.",
    request=CardInputSerializer,
    examples=[
        OpenApiExample("In production", request_only=True, value={"to": "card_in_production"}),
        _error("transition_not_allowed", "Cette action n'est pas possible : le dossier est « Décision favorable ».",
               "409"),
        OpenApiExample("Delivered", request_only=True, value={
            "to": "card_delivered", "number": "AB12345678", "valid_from": "2026-12-01",
            "valid_until": "2030-11-30", "category": ""}),
    ],
))
class CardView(ActionView):
    input_serializer = CardInputSerializer

    def perform(self, request, dossier, data):
        services.card_mark(dossier=dossier, by=request.user, to=data["to"], number=data["number"],
                           valid_from=data["valid_from"], valid_until=data["valid_until"], category=data["category"])


urlpatterns = [
    path("backoffice/dossiers/", QueueView.as_view(), name="backoffice-queue"),
    path("backoffice/dossiers/<int:pk>/", FileView.as_view(), name="backoffice-file"),
    path("backoffice/dossiers/<int:pk>/take/", TakeView.as_view(), name="backoffice-take"),
    path("backoffice/dossiers/<int:pk>/complete/", CompleteView.as_view(), name="backoffice-complete"),
    path("backoffice/dossiers/<int:pk>/complements/", ComplementsView.as_view(), name="backoffice-complements"),
    path("backoffice/dossiers/<int:pk>/convocation/", ConvocationView.as_view(), name="backoffice-convocation"),
    path("backoffice/dossiers/<int:pk>/decision/", DecisionView.as_view(), name="backoffice-decision"),
    path("backoffice/dossiers/<int:pk>/card/", CardView.as_view(), name="backoffice-card"),
]
