"""Input parsing for the back-office. Rules (required reasons, allowed states, who may assign)
live in applications/services/instruction.py; these forms only turn the request into values (the
queue's filters into ``QueueFilters``, for the queue page and for an export)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from applications.backoffice.selectors import DEADLINE_STATES, QueueFilters
from applications.catalogue_cache import procedure_choices
from applications.clock import QUEUE_STATUSES
from applications.models import Channel, DocumentType, Dossier, PermitCategory, Procedure, Status
from applications.presenters import agent_label, dossier_label

CHECKBOXES_TEMPLATE = "applications/backoffice/forms/checkboxes.html"
CHECKBOXES_INLINE_TEMPLATE = "applications/backoffice/forms/checkboxes_inline.html"
RADIOS_TEMPLATE = "applications/backoffice/forms/radios.html"


# Django takes ``template_name`` on every form field, but django-stubs lists it only on ``Field``,
# not on the choice fields that pass it on: these two say it, typed, instead of ignoring the error.
class TemplatedChoiceField(forms.ChoiceField):
    template_name: str | None

    def __init__(self, *, template_name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.template_name = template_name


class TemplatedMultipleChoiceField(forms.MultipleChoiceField):
    template_name: str | None

    def __init__(self, *, template_name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.template_name = template_name

DEADLINE_CHOICES = [
    ("", _("Toutes les échéances")),
    ("at_risk", _("Droits menacés")),
    ("overdue", _("Hors délai")),
    ("due_soon", _("Échéance dans les 7 jours")),
    ("paused", _("Délai suspendu")),
]


class AgentChoiceField(forms.ModelChoiceField):
    """An agent, named as everywhere in the back-office."""

    def label_from_instance(self, obj: User) -> str:
        return agent_label(obj)


class DossierMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Files, each named by its reference, the applicant and the procedure."""

    def label_from_instance(self, obj: Dossier) -> str:
        return dossier_label(obj)


# --- The queue ------------------------------------------------------------------------------------

def queue_filter_choices(*, prefectures, agents=(), agent_choices=None) -> dict[str, list[tuple[Any, str]]]:
    """The choices of the queue's filters that come from the data, as plain text: the procedures,
    the person's prefectures (none when they have one: no prefecture filter then) and the agents.
    The form's other choices are fixed, their labels following the language only: with the values
    entered and the language, these are all the rendered form depends on (the queue page keeps its
    HTML under them). ``agent_choices``: the agents' choices already (``prefecture_agent_choices``),
    in place of ``agents``."""
    several = len(prefectures) > 1
    return {
        "procedure": procedure_choices(),
        "prefecture": [(p.pk, f"{p.name} ({p.department.code})") for p in prefectures] if several else [],
        "assigned": agent_choices if agent_choices is not None else [
            (str(m.user_id), agent_label(m.user) + (f" – {m.prefecture.department.code}" if several else ""))
            for m in agents],
    }


class QueueFilterForm(forms.Form):
    """The queue's GET filters. Invalid values are dropped (a stale bookmark still opens the queue)."""

    prefecture = forms.TypedChoiceField(label=_("Préfecture"), coerce=int, required=False, empty_value=None)
    q = forms.CharField(
        label=_("Rechercher"), required=False, max_length=100,
        help_text=_("Référence (ex. 2026-69-0000123), nom de famille ou numéro étranger (10 chiffres)."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )
    procedure = forms.TypedChoiceField(label=_("Démarche"), coerce=int, required=False, empty_value=None)
    status = TemplatedMultipleChoiceField(
        label=_("Statut"), required=False, choices=[(s.value, s.label) for s in QUEUE_STATUSES],
        widget=forms.CheckboxSelectMultiple, template_name=CHECKBOXES_INLINE_TEMPLATE,
    )
    channel = forms.ChoiceField(label=_("Canal"), required=False,
                                choices=[("", _("Tous les canaux")), *Channel.choices])
    assigned = forms.ChoiceField(label=_("Agent en charge"), required=False)
    deadline = forms.ChoiceField(label=_("Échéance"), required=False, choices=DEADLINE_CHOICES)

    def __init__(self, *args, prefectures, agents=(), agent_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = queue_filter_choices(prefectures=prefectures, agents=agents, agent_choices=agent_choices)
        self.fields["procedure"].choices = [("", _("Toutes les démarches")), *choices["procedure"]]
        if choices["prefecture"]:
            self.fields["prefecture"].choices = [("", _("Toutes mes préfectures")), *choices["prefecture"]]
        else:
            del self.fields["prefecture"]
        self.fields["assigned"].choices = [
            ("", _("Tous")), ("me", _("Moi")), ("none", _("Personne (non attribués)")), *choices["assigned"],
        ]

    @property
    def cleaned(self) -> dict:
        """The valid values only: each invalid one falls back to 'no filter'."""
        self.is_valid()
        return getattr(self, "cleaned_data", {})

    def filters(self) -> QueueFilters:
        """The filters to apply: none for an unbound form, else the valid values."""
        cleaned = self.cleaned if self.is_bound else {}
        return QueueFilters(
            prefecture=cleaned.get("prefecture"),
            procedure=cleaned.get("procedure"),
            statuses=tuple(cleaned.get("status") or ()),
            channel=cleaned.get("channel", ""),
            assigned=cleaned.get("assigned", ""),
            deadline=cleaned.get("deadline", ""),
            q=cleaned.get("q", ""),
        )


#: The GET parameters of the queue that an export takes over.
FILTER_PARAMETERS = ("prefecture", "procedure", "status", "channel", "assigned", "deadline", "q")
QUERY_MAX_LENGTH = 100


def _positive_int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None


def queue_filters_from_querydict(querydict: QueryDict) -> QueueFilters:
    """The queue's filters from its URL parameters, for an export (which has no choices to offer,
    unlike ``QueueFilterForm``); anything unknown or malformed is dropped.

    ``prefecture``, ``procedure``: ids; ``status``: repeated, among the queue's statuses; ``channel``;
    ``assigned``: "me", "none" or an agent id; ``deadline``: one of ``DEADLINE_STATES``; ``q``: a
    reference, a name or a foreigner number. Scoping to the person's prefectures is ``queue_base``'s,
    and the export service refuses a prefecture that is not theirs.
    """
    statuses = tuple(dict.fromkeys(s for s in querydict.getlist("status") if s in QUEUE_STATUSES))
    channel = querydict.get("channel", "")
    assigned = querydict.get("assigned", "").strip()
    if assigned not in ("me", "none") and _positive_int(assigned) is None:
        assigned = ""
    deadline = querydict.get("deadline", "")
    return QueueFilters(
        prefecture=_positive_int(querydict.get("prefecture")),
        procedure=_positive_int(querydict.get("procedure")),
        statuses=statuses,
        channel=channel if channel in Channel.values else "",
        assigned=assigned,
        deadline=deadline if deadline in DEADLINE_STATES else "",
        q=querydict.get("q", "").strip()[:QUERY_MAX_LENGTH],
    )


# --- Actions on a file ----------------------------------------------------------------------------

class AssignForm(forms.Form):
    agent = AgentChoiceField(
        label=_("Attribuer à"), queryset=User.objects.none(), required=False,
        empty_label=_("Personne (retirer l'attribution)"),
    )

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        # Only agents of the dossier's prefecture can be chosen (the service checks it too).
        cast(AgentChoiceField, self.fields["agent"]).queryset = User.objects.filter(
            pk__in=[m.user_id for m in agents])


class ComplementsForm(forms.Form):
    document_types: forms.ModelMultipleChoiceField[DocumentType] = forms.ModelMultipleChoiceField(
        label=_("Pièces à fournir"), queryset=DocumentType.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple, template_name=CHECKBOXES_TEMPLATE,
    )
    message = forms.CharField(
        label=_("Précisions pour le demandeur"), required=False, max_length=2000,
        help_text=_("Le demandeur lira ce texte : écrivez simplement ce qui manque et pourquoi."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    due_on = forms.DateField(
        label=_("À fournir avant le"),
        error_messages={"required": _("Indiquez la date limite."), "invalid": _("Saisissez une date valide.")},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, procedure: Procedure, **kwargs):
        kwargs.setdefault("initial", {"due_on": timezone.localdate() + timedelta(days=30)})
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["document_types"]).queryset = (
            DocumentType.objects.filter(procedures=procedure).order_by("name")
        )


class AttachmentReviewForm(forms.Form):
    decision = TemplatedChoiceField(
        label=_("Vérification"), choices=[("accept", _("Accepter")), ("reject", _("Refuser"))],
        widget=forms.RadioSelect, template_name=RADIOS_TEMPLATE,
        error_messages={"required": _("Choisissez d'accepter ou de refuser la pièce.")},
    )
    reason = forms.CharField(
        label=_("Motif du refus"), required=False, max_length=1000,
        help_text=_("Obligatoire en cas de refus : le demandeur le lira."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecisionForm(forms.Form):
    outcome = TemplatedChoiceField(label=_("Sens de la décision"), widget=forms.RadioSelect,
                                   template_name=RADIOS_TEMPLATE,
                                   error_messages={"required": _("Choisissez une décision.")})
    reasons = forms.CharField(
        label=_("Motifs"), required=False, max_length=5000,
        help_text=_("Obligatoires pour un refus ou un classement sans suite."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    appeal_routes = forms.CharField(
        label=_("Voies et délais de recours"), required=False, max_length=5000,
        help_text=_("Obligatoires pour un refus : recours gracieux, hiérarchique et contentieux, avec leurs délais."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    OUTCOMES = {
        Status.DECIDED_FAVOURABLE: _("Favorable"),
        Status.DECIDED_UNFAVOURABLE: _("Défavorable (refus motivé)"),
        Status.CLOSED_WITHOUT_ACTION: _("Classer sans suite"),
    }

    def __init__(self, *args, outcomes=None, **kwargs):
        super().__init__(*args, **kwargs)
        outcomes = outcomes or list(self.OUTCOMES)
        self.fields["outcome"].choices = [(o.value, self.OUTCOMES[o]) for o in outcomes]


class CardForm(forms.Form):
    """The card's next step; at delivery, what the card says (the service checks the bounds and
    records it as the holder's new permit)."""

    to = forms.ChoiceField(choices=[(s.value, s.label) for s in (
        Status.CARD_IN_PRODUCTION, Status.CARD_READY, Status.CARD_DELIVERED)])
    number = forms.CharField(
        label=_("Numéro du titre remis"), required=False, max_length=40,
        help_text=_("Tel qu'imprimé sur la carte : lettres et chiffres."),
    )
    valid_from = forms.DateField(
        label=_("Valable à partir du"), required=False,
        error_messages={"invalid": _("Saisissez une date valide.")},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    valid_until = forms.DateField(
        label=_("Valable jusqu'au"), required=False,
        error_messages={"invalid": _("Saisissez une date valide.")},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    category = forms.ChoiceField(
        label=_("Catégorie du titre"), required=False,
        choices=[("", _("Celle de la démarche"))] + list(PermitCategory.choices),
    )


class ExtensionForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif"), required=False, max_length=1000,
        help_text=_("Pourquoi ce renouvellement tardif bénéficie d'attestations de prolongation."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EmptyForm(forms.Form):
    """Actions that take no input (take the file, mark complete, request biometrics)."""


# --- Supervision ----------------------------------------------------------------------------------

class ReassignForm(forms.Form):
    dossiers = DossierMultipleChoiceField(
        label=_("Dossiers à réattribuer"), queryset=Dossier.objects.none(), widget=forms.CheckboxSelectMultiple,
        template_name=CHECKBOXES_TEMPLATE,
        error_messages={"required": _("Cochez au moins un dossier.")},
    )
    to_agent = AgentChoiceField(
        label=_("Nouvel agent"), queryset=User.objects.none(), empty_label=_("Choisissez un agent"),
        error_messages={"required": _("Choisissez l'agent qui reprend ces dossiers.")},
    )

    def __init__(self, *args, dossiers, agents, exclude_agent: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # self.fields holds deep copies of the fields declared above, of the same types.
        cast(DossierMultipleChoiceField, self.fields["dossiers"]).queryset = dossiers
        cast(AgentChoiceField, self.fields["to_agent"]).queryset = User.objects.filter(
            pk__in=[m.user_id for m in agents if m.user_id != exclude_agent]
        ).order_by("last_name", "first_name")
