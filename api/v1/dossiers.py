"""The applicant's dossiers and drafts: list, detail, timeline; start a draft, answer its steps,
add and remove pieces, file it; answer a complement request. The same forms parse the input and
the same selectors and services act as on the filing pages (applications/views.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from accounts.mandates import applicant_for, assisted_dossier_allowed, assisted_dossier_check
from api.views import ApplicantListView, ApplicantView
from applications import forms, selectors, services, steps
from applications.workflow import NEXT_ACTION, PLAIN_STATUS


def dossier_get(request, pk: int):
    """The access-checked getter of these endpoints: the person's own dossier, within the mandate."""
    dossier = selectors.dossier_get_for_user(user=applicant_for(request), pk=pk)
    assisted_dossier_check(request, dossier.pk)
    return dossier


def form_errors(form) -> ValidationError:
    """A form's errors as the ``ValidationError`` the error handler writes (fields and codes)."""
    return ValidationError({field: errors for field, errors in form.errors.as_data().items()})


# --- Serializers -----------------------------------------------------------------------------------

class DossierSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True, allow_null=True)
    procedure = serializers.CharField(source="procedure.code", read_only=True)
    procedure_name = serializers.CharField(source="procedure.name", read_only=True)
    status = serializers.CharField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    current_step = serializers.CharField(read_only=True)
    prefecture = serializers.CharField(source="prefecture.name", read_only=True, allow_null=True, default=None)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)


class RequirementSerializer(serializers.Serializer):
    document_type = serializers.IntegerField(source="document_type.pk")
    code = serializers.CharField(source="document_type.code")
    name = serializers.CharField(source="document_type.name")
    required = serializers.BooleanField()
    allowed_formats = serializers.ListField(source="document_type.allowed_formats", child=serializers.CharField())
    max_size_mb = serializers.IntegerField(source="document_type.max_size_mb")


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    document_type = serializers.IntegerField(source="document_type_id")
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    review = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class ComplementRequestSerializer(serializers.Serializer):
    message = serializers.CharField()
    due_on = serializers.DateField()
    requested_at = serializers.DateTimeField()
    document_types = serializers.SerializerMethodField()

    def get_document_types(self, obj) -> list[int]:
        return [t.pk for t in obj.document_types.all()]


class DossierDetailSerializer(DossierSummarySerializer):
    plain_status = serializers.SerializerMethodField()
    next_action = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField()
    answers = serializers.JSONField(read_only=True)
    channel = serializers.CharField(read_only=True)
    filed_on_time = serializers.BooleanField(read_only=True, allow_null=True)
    legal_deadline = serializers.DateField(read_only=True, allow_null=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    requirements = RequirementSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    complement_request = ComplementRequestSerializer(read_only=True, allow_null=True)

    def get_plain_status(self, obj) -> str:
        return str(PLAIN_STATUS[obj.status])

    def get_next_action(self, obj) -> str:
        return str(NEXT_ACTION[obj.status])

    def get_steps(self, obj) -> list[str]:
        return steps.steps_for(obj.procedure)


class _DossierPage:
    """The dossier with what its page shows beside it (``dossier_page_data``), for the serializer."""

    def __init__(self, dossier, page: dict):
        self._dossier, self._page = dossier, page

    def __getattr__(self, name):
        if name in ("requirements", "attachments", "complement_request"):
            return self._page[name]
        return getattr(self._dossier, name)


def detail_data(dossier) -> dict:
    return DossierDetailSerializer(_DossierPage(dossier, selectors.dossier_page_data(dossier=dossier))).data


class EventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    label = serializers.CharField(source="get_kind_display")
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    on_behalf = serializers.SerializerMethodField(help_text="Done by a mediator on the person's behalf.")

    def get_on_behalf(self, obj) -> bool:
        return obj.on_behalf_of_id is not None


DOSSIER_EXAMPLE = {
    "id": 12, "reference": None, "procedure": "renouvellement-salarie",
    "procedure_name": "Renouvellement de la carte de séjour « salarié »", "status": "draft",
    "status_label": "Brouillon", "current_step": "identity", "prefecture": "Préfecture du Rhône",
    "created_at": "2026-12-01T09:30:00+01:00", "updated_at": "2026-12-01T09:31:00+01:00", "submitted_at": None,
}


# --- Views -----------------------------------------------------------------------------------------

class DossiersView(ApplicantListView):
    serializer_class = DossierSummarySerializer

    def get_queryset(self):
        queryset = selectors.dossiers_for_applicant(user=applicant_for(self.request))
        mandate = getattr(self.request, "mandate", None)
        if not assisted_dossier_allowed(self.request, None):  # a dossier mandate: that dossier only
            queryset = queryset.filter(pk=mandate.dossier_id)
        return queryset

    @extend_schema(operation_id="dossiers_list", tags=["dossiers"], summary="The person's dossiers, newest first",
                   examples=[OpenApiExample("A page", value={"next": None, "previous": None,
                                                              "results": [DOSSIER_EXAMPLE]})])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="drafts_create", tags=["drafts"],
        summary="Start a draft of a procedure (or get the open one back: 200 instead of 201)",
        request=inline_serializer("DraftCreate", {"procedure": serializers.CharField(
            max_length=60, help_text="The procedure's code, from the catalogue (/demarches/).")}),
        responses={201: DossierDetailSerializer, 200: DossierDetailSerializer},
        examples=[OpenApiExample("A renewal", value={"procedure": "renouvellement-salarie"}, request_only=True)],
    )
    def post(self, request):
        code = request.data.get("procedure") if hasattr(request.data, "get") else None
        if not isinstance(code, str) or not code:
            raise ValidationError({"procedure": [ValidationError(_("Choisissez une démarche."), code="required")]})
        procedure = selectors.procedure_get_active(code=code[:60])
        assisted_dossier_check(request, None)  # a mandate for one dossier starts no other
        dossier, created = services.draft_start(applicant=applicant_for(request), procedure=procedure,
                                                by=request.user)
        return Response(detail_data(dossier), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DossierView(ApplicantView):
    @extend_schema(operation_id="dossiers_retrieve", tags=["dossiers"], responses=DossierDetailSerializer,
                   summary="One dossier: status in plain words, next action, answers, pieces, complement request",
                   examples=[OpenApiExample("A draft", value={
                       **DOSSIER_EXAMPLE, "plain_status": "Votre demande n'est pas encore envoyée.",
                       "next_action": "Terminez et envoyez votre demande.",
                       "steps": ["identity", "situation", "documents", "review"], "answers": {},
                       "channel": "online", "filed_on_time": None, "legal_deadline": None, "decided_at": None,
                       "requirements": [], "attachments": [], "complement_request": None})])
    def get(self, request, pk: int):
        return Response(detail_data(dossier_get(request, pk)))


class TimelineView(ApplicantView):
    @extend_schema(operation_id="dossiers_timeline", tags=["dossiers"], responses=EventSerializer(many=True),
                   summary="Every event of the dossier, oldest first",
                   examples=[OpenApiExample("Filed", value=[
                       {"at": "2026-12-01T09:30:00+01:00", "kind": "created", "label": "Brouillon créé",
                        "from_status": "", "to_status": "draft", "on_behalf": False},
                       {"at": "2026-12-02T10:00:00+01:00", "kind": "submitted", "label": "Demande déposée",
                        "from_status": "draft", "to_status": "submitted", "on_behalf": False}])])
    def get(self, request, pk: int):
        dossier = dossier_get(request, pk)
        return Response(EventSerializer(selectors.dossier_page_data(dossier=dossier)["events"], many=True).data)


class StepView(ApplicantView):
    @extend_schema(
        operation_id="drafts_step_update", tags=["drafts"], responses=DossierDetailSerializer,
        summary="Save one step's answers (eligibility, identity, situation, questions)",
        description=("The answers are checked as on the filing page; the draft moves to the next step. "
                     "`situation` sets the competent prefecture from `department` and, for a renewal, "
                     "`renewed_permit` (the id of one of the person's permits)."),
        request=inline_serializer("StepAnswers", {"answers": serializers.DictField()}),
        examples=[OpenApiExample("Identity", request_only=True, value={"answers": {
            "last_name": "Ndiaye", "first_name": "Awa", "birth_date": "1990-04-12", "birth_place": "Dakar",
            "nationality": "sénégalaise", "foreigner_number": "0123456789"}})],
    )
    def put(self, request, pk: int, step: str):
        dossier = dossier_get(request, pk)
        if step not in forms.FORM_STEPS or step not in steps.steps_for(dossier.procedure):
            raise Http404
        answers = request.data.get("answers") if hasattr(request.data, "get") else None
        if not isinstance(answers, dict):
            raise ValidationError({"answers": [ValidationError(_("Envoyez les réponses de l'étape."),
                                                               code="required")]})
        form = forms.step_form(step, {k: v for k, v in answers.items() if isinstance(v, str | int | bool)},
                               procedure=dossier.procedure, applicant=applicant_for(request))
        if not form.is_valid():
            raise form_errors(form)
        dossier = services.draft_save_step(dossier=dossier, step=step, data=forms.step_answers(form), by=request.user)
        return Response(detail_data(dossier))


class AttachmentsView(ApplicantView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="attachments_create", tags=["drafts"], responses={201: AttachmentSerializer},
        summary="Add a piece (PDF, JPEG or PNG), checked as on the filing page; replaces the current one of its type",
        description=("Also after filing: a new version of a piece, or what a complement request asks for. "
                     "Refusals say why (`fields.file`: format, size, content that does not match its type)."),
        request={"multipart/form-data": inline_serializer("AttachmentUpload", {
            "document_type": serializers.CharField(help_text="The document type's id or code (`requirements`)."),
            "file": serializers.FileField()})},
        examples=[OpenApiExample("Added", response_only=True, status_codes=["201"], value={
            "id": 5, "document_type": 3, "original_name": "passeport.pdf", "content_type": "application/pdf",
            "size": 48213, "review": "pending", "uploaded_at": "2026-12-01T09:40:00+01:00"})],
    )
    def post(self, request, pk: int):
        dossier = dossier_get(request, pk)
        wanted = str(request.data.get("document_type", ""))[:60]  # its id, or its code ("passeport")
        requirements = dossier.procedure.requirements.select_related("document_type")
        requirement = (requirements.filter(document_type_id=int(wanted)) if wanted.isdigit() and len(wanted) < 10
                       else requirements.filter(document_type__code=wanted)).first() if wanted else None
        if requirement is None:
            raise ValidationError({"document_type": [ValidationError(
                "Cette pièce n'est pas demandée pour cette démarche.", code="document_type_not_asked")]})
        form = forms.UploadForm(request.data, request.FILES, document_type=requirement.document_type)
        if not form.is_valid():
            raise form_errors(form)
        attachment = services.attachment_add(dossier=dossier, document_type=requirement.document_type,
                                             uploaded_file=form.cleaned_data["file"], by=request.user)
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentView(ApplicantView):
    @extend_schema(operation_id="attachments_destroy", tags=["drafts"], responses={204: None},
                   summary="Remove a piece from a draft")
    def delete(self, request, pk: int, attachment_pk: int):
        assisted_dossier_check(request, pk)
        item = selectors.attachment_get_for_user(user=applicant_for(request), dossier_pk=pk, pk=attachment_pk)
        services.attachment_remove(attachment=item, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubmitInput(serializers.Serializer):
    certify = serializers.BooleanField(help_text="The person certifies their answers and pieces.")
    tax_stamp_number = serializers.CharField(required=False, allow_blank=True, max_length=24)
    ephoto_code = serializers.CharField(required=False, allow_blank=True, max_length=30)
    accept_late = serializers.BooleanField(required=False, default=False)


class SubmitView(ApplicantView):
    @extend_schema(
        operation_id="drafts_submit", tags=["drafts"], request=SubmitInput, responses=DossierDetailSerializer,
        summary="File the draft: completeness, on-time rule, reference, filing receipt at once",
        description="Every reason it cannot be filed comes back at once in `fields` (`__all__`: the dossier).",
        examples=[OpenApiExample("Filing", request_only=True, value={
            "certify": True, "tax_stamp_number": "1234567890123456", "ephoto_code": "ABCDEFGHJK2345678901XY"})],
    )
    def post(self, request, pk: int):
        dossier = dossier_get(request, pk)
        readiness = selectors.dossier_submission_readiness(dossier=dossier)
        data = request.data if hasattr(request.data, "get") else {}
        form = forms.ReviewForm({k: data[k] for k in SubmitInput().fields if k in data},
                                procedure=dossier.procedure, late=readiness.timing == "closed")
        stamp = str(data.get("tax_stamp_number", "") or "")[:30]
        photo = str(data.get("ephoto_code", "") or "")[:30]
        late = data.get("accept_late") in (True, "true", "1", 1)
        if not form.is_valid():
            errors = form.errors.as_data()
            checked = services.dossier_submit_check(dossier=dossier, readiness=readiness, tax_stamp_number=stamp,
                                                    ephoto_code=photo, accept_late=late)
            for field, field_errors in checked.items():
                errors.setdefault(field, field_errors)
            raise ValidationError(errors)
        dossier = services.dossier_submit(dossier=dossier, by=request.user, tax_stamp_number=stamp,
                                          ephoto_code=photo, accept_late=late)
        return Response(detail_data(dossier))


class ComplementsView(ApplicantView):
    @extend_schema(
        operation_id="complements_answer", tags=["dossiers"], responses=DossierDetailSerializer,
        summary="Answer the prefecture's complement request (send the pieces first, to /attachments/)",
        request=inline_serializer("ComplementsAnswer", {"message": serializers.CharField(
            required=False, allow_blank=True, max_length=2000)}),
        examples=[OpenApiExample("Answer", request_only=True, value={"message": "Voici mon bulletin de salaire."})],
    )
    def post(self, request, pk: int):
        dossier = dossier_get(request, pk)
        form = forms.ComplementsAnswerForm(request.data if hasattr(request.data, "get") else {})
        if not form.is_valid():
            raise form_errors(form)
        dossier = services.complements_answer(dossier=dossier, by=request.user, message=form.cleaned_data["message"])
        return Response(detail_data(dossier))


