"""The serializers of the agents' endpoints (``api/v1/backoffice.py``).

Output serializers read what the back-office selectors return (a dossier of the queue; the file:
the dossier, ``dossier_file_data``, ``staff_actions``, the clock and the applicant snapshot). They
are read-only by construction: nothing in them is ever written. Input serializers only turn a
request body into the arguments of one service, with the same fields as the back-office forms
(``applications/backoffice/forms.py``); every rule (required reasons, allowed states, dates,
who may do what) is the service's, so none is written here.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from applications.clock import QUEUE_STATUSES
from applications.models import Channel, DocumentType, PermitCategory, Status
from applications.workflow import CARD_STEPS

#: The outcomes an agent may record (``services.dossier_decide``), as the decision form offers them.
OUTCOMES = (Status.DECIDED_FAVOURABLE, Status.DECIDED_UNFAVOURABLE, Status.CLOSED_WITHOUT_ACTION)
#: The card's steps (``services.card_mark``), in order.
CARD_STATUSES = tuple(dict.fromkeys(CARD_STEPS.values()))


# --- Pieces shared by the queue and the file ---------------------------------------------------

class NamedSerializer(serializers.Serializer):
    """A person (agent, applicant account) as the back-office names them."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)


class ProcedureSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class PrefectureSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    department = serializers.CharField(source="department.code", read_only=True)


class ClockSerializer(serializers.Serializer):
    """The legal clock of the file (``applications.clock.clock_for``), as the queue's badges say it."""

    deadline = serializers.DateField(read_only=True, allow_null=True)
    days_left = serializers.IntegerField(read_only=True, allow_null=True)
    paused = serializers.BooleanField(read_only=True)
    overdue = serializers.BooleanField(read_only=True)
    rights_at_risk = serializers.BooleanField(read_only=True)


class QueueRowSerializer(serializers.Serializer):
    """A row of the queue: a dossier with what the queue's table shows. ``instance`` is
    ``{"dossier", "clock", "applicant_name"}``."""

    id = serializers.IntegerField(source="dossier.pk", read_only=True)
    reference = serializers.CharField(source="dossier.reference", read_only=True)
    status = serializers.ChoiceField(source="dossier.status", choices=Status.choices, read_only=True)
    status_label = serializers.CharField(source="dossier.get_status_display", read_only=True)
    channel = serializers.ChoiceField(source="dossier.channel", choices=Channel.choices, read_only=True)
    procedure = ProcedureSerializer(source="dossier.procedure", read_only=True)
    prefecture = PrefectureSerializer(source="dossier.prefecture", read_only=True)
    applicant_name = serializers.CharField(read_only=True,
                                           help_text="As the file's identity step gives it (the applicant snapshot).")
    assigned_to = NamedSerializer(source="dossier.assigned_to", read_only=True, allow_null=True)
    submitted_at = serializers.DateTimeField(source="dossier.submitted_at", read_only=True)
    priority = serializers.IntegerField(
        source="dossier.priority", read_only=True,
        help_text="0 rights at risk, 1 past the legal deadline, 2 the rest by filing date (ADR 0003).")
    priority_date = serializers.DateField(source="dossier.priority_date", read_only=True, allow_null=True)
    clock = ClockSerializer(read_only=True)


class QueuePageSerializer(serializers.Serializer):
    next = serializers.URLField(read_only=True, allow_null=True,
                                help_text="The next page (the same filters, the queue's own cursor); null at the end.")
    results = QueueRowSerializer(many=True, read_only=True)


# --- The file ----------------------------------------------------------------------------------

class SnapshotSerializer(serializers.Serializer):
    """Who the file is about (``applications.selectors.applicant_snapshot``)."""

    name = serializers.CharField(read_only=True)
    birth_date = serializers.CharField(read_only=True, help_text="ISO date, or empty.")
    foreigner_number = serializers.CharField(read_only=True)


class AnswerItemSerializer(serializers.Serializer):
    label = serializers.CharField(read_only=True)
    value = serializers.CharField(read_only=True)


class AnswerSectionSerializer(serializers.Serializer):
    title = serializers.CharField(read_only=True)
    items = AnswerItemSerializer(many=True, read_only=True)


class DocumentTypeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class StaffAttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    document_type = DocumentTypeSerializer(read_only=True)
    original_name = serializers.CharField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    uploaded_at = serializers.DateTimeField(read_only=True)
    added_after_submission = serializers.BooleanField(read_only=True)
    review = serializers.CharField(read_only=True, help_text="pending, accepted or rejected.")
    review_reason = serializers.CharField(read_only=True)


class StaffEventSerializer(serializers.Serializer):
    """One line of the file's timeline."""

    at = serializers.DateTimeField(read_only=True)
    kind = serializers.CharField(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    actor = serializers.CharField(source="actor.get_full_name", read_only=True, allow_null=True, default=None)
    on_behalf_of = serializers.CharField(source="on_behalf_of.get_full_name", read_only=True, allow_null=True,
                                         default=None)
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)
    data = serializers.DictField(read_only=True, help_text="What the event records (depends on its kind).")


class StaffComplementRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    requested_at = serializers.DateTimeField(read_only=True)
    due_on = serializers.DateField(read_only=True)
    message = serializers.CharField(read_only=True)
    document_types = DocumentTypeSerializer(source="document_types.all", many=True, read_only=True)
    answered_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ActionsSerializer(serializers.Serializer):
    """What the agent may do on the file now (``applications.actions.staff_actions``): the file page
    offers exactly these."""

    take = serializers.BooleanField(read_only=True)
    assign = serializers.BooleanField(read_only=True)
    complete = serializers.BooleanField(read_only=True)
    complements = serializers.BooleanField(read_only=True)
    review = serializers.BooleanField(read_only=True)
    biometrics = serializers.BooleanField(read_only=True, help_text="The convocation may be made now.")
    decide = serializers.ListField(child=serializers.CharField(), read_only=True,
                                   help_text="The outcomes that may be recorded now (the decision's `outcome` values).")
    card_next = serializers.CharField(read_only=True, allow_null=True,
                                      help_text="The card's next step, when one may be recorded now.")
    extension = serializers.BooleanField(read_only=True)
    favourable_waits_for_biometrics = serializers.BooleanField(read_only=True)
    biometrics_state = serializers.CharField(read_only=True, help_text="'', none, convoked or done.")


class DossierFileSerializer(QueueRowSerializer):
    """The file as an agent sees it. ``instance`` is the summary's dict with ``applicant``,
    ``answers``, ``data`` (``dossier_file_data``) and ``actions`` added."""

    applicant = SnapshotSerializer(read_only=True)
    filed_on_time = serializers.BooleanField(source="dossier.filed_on_time", read_only=True, allow_null=True)
    extension_granted = serializers.BooleanField(source="dossier.extension_granted", read_only=True)
    completed_at = serializers.DateTimeField(source="dossier.completed_at", read_only=True, allow_null=True)
    decided_at = serializers.DateTimeField(source="dossier.decided_at", read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(source="dossier.closed_at", read_only=True, allow_null=True)
    decision_reasons = serializers.CharField(source="dossier.decision_reasons", read_only=True)
    appeal_routes = serializers.CharField(source="dossier.appeal_routes", read_only=True)
    answers = AnswerSectionSerializer(many=True, read_only=True)
    attachments = StaffAttachmentSerializer(source="data.attachments", many=True, read_only=True,
                                       help_text="The current pieces.")
    requirements = DocumentTypeSerializer(
        many=True, read_only=True, help_text="The pieces this procedure asks for (what a complement request may name).")
    complement_requests = StaffComplementRequestSerializer(source="data.complement_requests", many=True, read_only=True)
    timeline = StaffEventSerializer(source="data.events", many=True, read_only=True)
    actions = ActionsSerializer(read_only=True)


# --- Inputs of the actions ---------------------------------------------------------------------

class ComplementsInputSerializer(serializers.Serializer):
    """``services.complements_request``: pieces among those the procedure asks for, and/or a message,
    due by a date."""

    document_types = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=DocumentType.objects.none(),
        help_text="Ids among the file's `requirements`.")
    message = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="",
                                    help_text="What is missing and why: the applicant reads it.")
    due_on = serializers.DateField(help_text="The date the pieces are due by (in the future, within a year).")

    def __init__(self, *args, procedure=None, **kwargs):
        super().__init__(*args, **kwargs)
        if procedure is not None:  # as the back-office form: the procedure's document types only
            relation = self.fields["document_types"].child_relation  # type: ignore[attr-defined]
            relation.queryset = DocumentType.objects.filter(procedures=procedure)


class DecisionInputSerializer(serializers.Serializer):
    """``services.dossier_decide``: recorded at once (the file page's confirmation step is a page's
    affordance; the service's checks are the same)."""

    outcome = serializers.ChoiceField(choices=[(o.value, o.label) for o in OUTCOMES],
                                      error_messages={"required": _("Choisissez une décision.")})
    reasons = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="",
                                    help_text="Required for an unfavourable decision or a closing without action.")
    appeal_routes = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="",
                                          help_text="Required for an unfavourable decision.")


class CardInputSerializer(serializers.Serializer):
    """``services.card_mark``: the card's next step; at delivery, what the card says."""

    to = serializers.ChoiceField(choices=[(s, Status(s).label) for s in CARD_STATUSES])
    number = serializers.CharField(required=False, allow_blank=True, max_length=40, default="",
                                   help_text="At delivery: the number printed on the card.")
    valid_from = serializers.DateField(required=False, allow_null=True, default=None)
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)
    category = serializers.ChoiceField(choices=PermitCategory.choices, required=False, allow_blank=True, default="",
                                       help_text="Empty: the procedure's (or the renewed card's).")


#: The queue's statuses, for the schema of the ``status`` filter.
QUEUE_STATUS_CHOICES = [s.value for s in QUEUE_STATUSES]
