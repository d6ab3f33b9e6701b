"""Back-office instruction pages (DESIGN §6): the queue, the file with its actions, the audit
journal and supervision. Thin: parse the input, call one selector or one service, render.

StaffSecondFactorMiddleware already keeps out anyone without a staff role and a verified second
factor; ``role_required`` (accounts/decorators.py) also keeps out staff who do not instruct
(mediators, support agents) with a 403, and every dossier is reached through an access-checked
getter (404 outside one's prefectures).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from csp.constants import SELF
from csp.decorators import csp_update
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from accounts.http import AuthenticatedHttpRequest
from accounts.models import Membership
from accounts.selectors import user_memberships
from accounts.services import second_factor_failures
from applications import forms as applicant_forms
from applications import services
from applications.actions import staff_actions
from applications.backoffice import forms, selectors
from applications.backoffice.selectors import Cursor, QueueFilters
from applications.clock import QUEUE_STATUSES, clock_for
from applications.models import Attachment, Dossier, DossierEvent, Status
from applications.selectors import applicant_snapshot
from applications.services.certificates import favourable_decision_certificate_facts
from applications.staff import agent_prefecture_ids, supervised_prefecture_ids
from applications.steps import STEP_LABELS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
JOURNAL_PAGE_SIZE = 25


# --- Access ---------------------------------------------------------------------------------------

#: Pages of the instruction back-office: agents and supervisors of a prefecture (accounts.decorators).
instructing_staff_required = role_required(
    agent_prefecture_ids, _lazy("Seuls les agents instructeurs et les chefs de bureau ont accès à cette page."))
#: Supervision pages: supervisors only.
supervisor_required = role_required(
    supervised_prefecture_ids, _lazy("Seuls les chefs de bureau ont accès à cette page."))


def _allow_previews(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The file page shows the attachments in frames served by the portal itself. (django-csp's
    own annotation admits only views without URL arguments, hence this typed wrapper.)"""
    return csp_update({"frame-src": [SELF]})(view)


def _dossier_agents(dossier: Dossier) -> list[Membership]:
    """Whom the file may be assigned to: the instructing staff of its prefecture."""
    if dossier.prefecture_id is None:
        return []
    return selectors.prefecture_agents(prefecture_ids={dossier.prefecture_id})


def _instructing_prefectures(user) -> list:
    allowed = agent_prefecture_ids(user=user)
    return sorted({m.prefecture for m in user_memberships(user=user) if m.prefecture_id in allowed},
                  key=lambda p: p.department.code)


# --- The queue ------------------------------------------------------------------------------------

@require_GET
@instructing_staff_required
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    prefectures = _instructing_prefectures(user)
    agents = selectors.prefecture_agents(prefecture_ids={p.pk for p in prefectures})
    params = request.GET.copy()
    for key in ("after", "limit"):
        params.pop(key, None)
    form = forms.QueueFilterForm(params or None, prefectures=prefectures, agents=agents)
    cleaned = form.cleaned if params else {}
    filters = QueueFilters(
        prefecture=cleaned.get("prefecture"),
        procedure=cleaned["procedure"].pk if cleaned.get("procedure") else None,
        statuses=tuple(cleaned.get("status") or ()),
        channel=cleaned.get("channel", ""),
        assigned=cleaned.get("assigned", ""),
        deadline=cleaned.get("deadline", ""),
        q=cleaned.get("q", ""),
    )
    limit = _page_size(request.GET.get("limit"))
    after = Cursor.decode(request.GET.get("after", ""))
    rows, next_cursor = selectors.queue_page(user=user, filters=filters, after=after, limit=limit)
    counts = selectors.queue_status_counts(user=user, filters=filters)
    today = timezone.localdate()

    kept = params.copy()
    if limit != DEFAULT_PAGE_SIZE:
        kept["limit"] = str(limit)
    return render(request, "applications/backoffice/queue.html", {
        "form": form,
        "rows": [(dossier, clock_for(dossier, today), applicant_snapshot(dossier=dossier)["name"]) for dossier in rows],
        "today": today,
        "after": after,
        "next_url": f"?{_with(kept, after=next_cursor.encode())}" if next_cursor else "",
        "first_url": f"?{kept.urlencode()}",
        "export_query": params.urlencode(),
        "status_tabs": _status_tabs(kept, counts, filters.statuses),
        "total": sum(counts.values()),
        "filtered": bool(params),
        "several_prefectures": len(prefectures) > 1,
    })


def _page_size(raw: str | None) -> int:
    try:
        return max(1, min(MAX_PAGE_SIZE, int(raw or DEFAULT_PAGE_SIZE)))
    except ValueError:
        return DEFAULT_PAGE_SIZE


def _with(query: QueryDict, **changes) -> str:
    query = query.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


def _status_tabs(kept: QueryDict, counts: dict[str, int], selected: tuple[str, ...]) -> list[dict]:
    without_status = kept.copy()
    without_status.pop("status", None)
    tabs = [{"label": _("Tous"), "count": sum(counts.values()), "url": f"?{without_status.urlencode()}",
             "current": not selected}]
    for status in QUEUE_STATUSES:
        tabs.append({
            "label": status.label, "count": counts.get(status.value, 0),
            "url": f"?{_with(without_status, status=status.value)}",
            "current": selected == (status.value,),
        })
    return tabs


# --- The file -------------------------------------------------------------------------------------

@require_GET
@instructing_staff_required
@_allow_previews
def dossier(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    dossier = selectors.dossier_get_for_staff(user=request.user, pk=pk)
    return _file_page(request, dossier)


def _file_page(
    request: AuthenticatedHttpRequest, dossier: Dossier, *, bound: dict | None = None, status: int = 200
) -> HttpResponse:
    """The file page, with the forms of the actions possible in the current state. ``bound`` holds
    a form that came back with errors ({name: form}), shown in place of the blank one."""
    user = request.user
    bound = bound or {}
    data = selectors.dossier_file_data(dossier=dossier)
    today = timezone.localdate()
    actions = staff_actions(dossier=dossier, user=user)
    agents = _dossier_agents(dossier) if actions.assign else []
    blank = {
        "assign": lambda: forms.AssignForm(prefix="assign", agents=agents,
                                           initial={"agent": dossier.assigned_to_id}),
        "complements": lambda: forms.ComplementsForm(prefix="complements", procedure=dossier.procedure),
        "decide": lambda: forms.DecisionForm(prefix="decision", outcomes=actions.decide),
        "extension": lambda: forms.ExtensionForm(prefix="extension"),
        # Issue 9 (item 3): at delivery the agent types what the card says.
        "card": lambda: forms.CardForm(initial={"category": dossier.procedure.permit_category}),
    }
    action_forms = {name: bound.get(name) or make() for name, make in blank.items() if getattr(actions, name)}
    review_forms = {}
    if actions.review:
        for attachment in data["attachments"]:
            review_forms[attachment.pk] = bound.get(f"review-{attachment.pk}") or forms.AttachmentReviewForm(
                prefix=f"att{attachment.pk}")
    # A form of an action this state no longer offers: say why at the top of the page.
    shown = {*action_forms, *(f"review-{pk}" for pk in review_forms)}
    for name, form in bound.items():
        if name not in shown:
            for error in form.non_field_errors():
                messages.error(request, error)
    attachments = [(a, review_forms.get(a.pk), _preview_kind(a)) for a in data["attachments"]]
    labels = _amendable_labels()
    for event in data["events"]:
        if event.kind == "amended":
            event.field_label = labels.get(event.data.get("field"), event.data.get("field", ""))
        elif event.kind == "complements_requested" and event.data.get("due_on"):
            event.due_on = _french_date(event.data["due_on"])
    response = render(request, "applications/backoffice/dossier.html", {
        "dossier": dossier,
        "clock": clock_for(dossier, today),
        "today": today,
        "answer_sections": _answer_sections(dossier),
        "applicant_name": applicant_snapshot(dossier=dossier)["name"],
        **data,
        "attachments": attachments,
        "open_request": next((r for r in data["complement_requests"] if r.answered_at is None), None),
        "actions": actions,
        "action_forms": action_forms,
        "card_next": Status(actions.card_next) if actions.card_next else None,
    }, status=status)
    return response


def _preview_kind(attachment: Attachment) -> str:
    if attachment.content_type.startswith("image/"):
        return "image"
    if attachment.content_type == "application/pdf":
        return "pdf"
    return ""


def _amendable_labels() -> dict[str, str]:
    labels = {}
    for form_class in (applicant_forms.IdentityForm, applicant_forms.SituationForm):
        labels.update({name: str(field.label) for name, field in form_class.base_fields.items()})
    return labels


def _answer_sections(dossier: Dossier) -> list[tuple[StrOrPromise, list[tuple[str, str]]]]:
    """The applicant's answers, step by step, as (label, value) pairs in the form's own words."""
    answers = dossier.answers if isinstance(dossier.answers, dict) else {}
    procedure = dossier.procedure
    yes_no = dict(applicant_forms.YES_NO)
    family = dict(applicant_forms.FAMILY)
    sections: list[tuple[StrOrPromise, list[tuple[str, str]]]] = []
    if procedure.eligibility and "eligibility" in answers:
        rows = [(q["text"], str(yes_no.get(answers["eligibility"].get(q["code"]), "–")))
                for q in procedure.eligibility]
        sections.append((STEP_LABELS["eligibility"], rows))
    for step, form_class in (("identity", applicant_forms.IdentityForm), ("situation", applicant_forms.SituationForm)):
        values = answers.get(step)
        if not values:
            continue
        rows = []
        for name, field in form_class.base_fields.items():
            value = values.get(name, "")
            if name == "family_situation":
                value = family.get(value, value)
            elif name == "birth_date" and value:
                value = _french_date(value)
            rows.append((str(field.label), str(value) if value not in (None, "") else "–"))
        if step == "situation" and procedure.is_renewal:
            rows.append((_("Titre renouvelé"), str(dossier.renewed_permit) if dossier.renewed_permit else "–"))
        sections.append((STEP_LABELS[step], rows))
    if procedure.questions and "questions" in answers:
        rows = []
        for question in procedure.questions:
            value = answers["questions"].get(question["code"], "")
            if question.get("kind") == "boolean":
                value = yes_no.get(value, value)
            elif question.get("kind") == "date" and value:
                value = _french_date(value)
            rows.append((question["label"], str(value) if value not in (None, "") else "–"))
        sections.append((STEP_LABELS["questions"], rows))
    return sections


def _french_date(value: str) -> str:
    try:
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    except ValueError:
        return value


@require_GET
@instructing_staff_required
def attachment(request: AuthenticatedHttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """The file of an attachment, for the inline preview on the file page (and only there: it may
    be framed by this site alone, and runs sandboxed with nothing allowed to load)."""
    item = selectors.attachment_get_for_staff(user=request.user, dossier_pk=pk, pk=attachment_pk)
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Content-Disposition"] = f'inline; filename="piece-{item.pk}{item.extension}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # Set here, so neither the CSP middleware nor the clickjacking middleware replaces them.
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    )
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


# --- Actions: one POST, one service ---------------------------------------------------------------

def _run(request, dossier, *, name, form, call, success, status=200):
    """Runs the service when the form parses; on a ValidationError the file page comes back with
    the form bound and the messages next to their fields; otherwise a redirect with a message."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as error:  # TransitionNotAllowed included
            _add_service_errors(form, error)
        else:
            messages.success(request, success)
            return redirect("backoffice_instruction:dossier", pk=dossier.pk)
    dossier = selectors.dossier_get_for_staff(user=request.user, pk=dossier.pk)  # as it is now
    return _file_page(request, dossier, bound={name: form}, status=status)


def _add_service_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)


def _action(view):
    """POST only, instructing staff only, and the dossier through the access-checked getter."""

    @require_POST
    @instructing_staff_required
    @_allow_previews  # the file page may come back
    @wraps(view)
    def wrapped(request, pk, *args, **kwargs):
        dossier = selectors.dossier_get_for_staff(user=request.user, pk=pk)
        return view(request, dossier, *args, **kwargs)

    return wrapped


@_action
def take(request: AuthenticatedHttpRequest, dossier: Dossier) -> HttpResponse:
    return _run(request, dossier, name="take", form=forms.EmptyForm(request.POST),
                call=lambda _data: services.dossier_assign(dossier=dossier, agent=request.user, by=request.user),
                success=_("Le dossier vous est attribué."))


@_action
def assign(request: AuthenticatedHttpRequest, dossier: Dossier) -> HttpResponse:
    agents = _dossier_agents(dossier)
    form = forms.AssignForm(request.POST, prefix="assign", agents=agents)

    def call(data):
        services.dossier_assign(dossier=dossier, agent=data["agent"], by=request.user)

    return _run(request, dossier, name="assign", form=form, call=call, success=_("L'attribution est enregistrée."))


@_action
def complete(request: AuthenticatedHttpRequest, dossier: Dossier) -> HttpResponse:
    return _run(request, dossier, name="complete", form=forms.EmptyForm(request.POST),
                call=lambda _data: services.dossier_mark_complete(dossier=dossier, by=request.user),
                success=_("Le dossier est déclaré complet : l'instruction commence."))


@_action
def complements(request: AuthenticatedHttpRequest, dossier: Dossier) -> HttpResponse:
    form = forms.ComplementsForm(request.POST, prefix="complements", procedure=dossier.procedure)

    def call(data):
        services.complements_request(dossier=dossier, by=request.user, document_types=list(data["document_types"]),
                                     message=data["message"], due_on=data["due_on"])

    return _run(request, dossier, name="complements", form=form, call=call,
                success=_("La demande de compléments est envoyée au demandeur. Le délai d'instruction est suspendu."))


@_action
def attachment_review(request: AuthenticatedHttpRequest, dossier: Dossier, attachment_pk: int) -> HttpResponse:
    item = selectors.attachment_get_for_staff(user=request.user, dossier_pk=dossier.pk, pk=attachment_pk)
    form = forms.AttachmentReviewForm(request.POST, prefix=f"att{item.pk}")

    def call(data):
        services.attachment_review(attachment=item, by=request.user, accepted=data["decision"] == "accept",
                                   reason=data["reason"])

    return _run(request, dossier, name=f"review-{item.pk}", form=form, call=call,
                success=_("%(name)s : vérification enregistrée.") % {"name": item.document_type.name})


@_action
def biometrics(request: AuthenticatedHttpRequest, dossier: Dossier) -> HttpResponse:
    return _run(request, dossier, name="biometrics", form=forms.EmptyForm(request.POST),
                call=lambda _data: services.biometrics_request(dossier=dossier, by=request.user),
                success=_("Le relevé d'empreintes est demandé ; le demandeur en est informé."))


@_action
def decide(request: AuthenticatedHttpRequest, dossier: Dossier) -> HttpResponse:
    """Two steps: the chosen decision comes back as a confirmation page saying what will be issued
    and told to the applicant; only its "Confirm" button records it. "Change" goes back to the file
    page with what was typed."""
    form = forms.DecisionForm(request.POST, prefix="decision")
    if "edit" in request.POST:
        form.is_valid()
        return _file_page(request, dossier, bound={"decide": form})
    if "confirm" in request.POST or not form.is_valid():
        def call(data):
            services.dossier_decide(dossier=dossier, by=request.user, outcome=data["outcome"],
                                    reasons=data["reasons"], appeal_routes=data["appeal_routes"])

        favourable = form.is_valid() and form.cleaned_data["outcome"] == Status.DECIDED_FAVOURABLE
        return _run(request, dossier, name="decide", form=form, call=call, success=_(
            "La décision est enregistrée. L'attestation de décision favorable est en cours de préparation : "
            "elle sera téléchargeable dans quelques instants.") if favourable else _("La décision est enregistrée."))
    data = form.cleaned_data
    try:
        services.dossier_decision_check(dossier=dossier, by=request.user, outcome=data["outcome"],
                                        reasons=data["reasons"], appeal_routes=data["appeal_routes"])
    except ValidationError as error:
        _add_service_errors(form, error)
        return _file_page(request, dossier, bound={"decide": form})
    return render(request, "applications/backoffice/decision_confirm.html", {
        "dossier": dossier,
        "applicant_name": applicant_snapshot(dossier=dossier)["name"],
        "form": form,
        "outcome": forms.DecisionForm.OUTCOMES[Status(data["outcome"])],
        "reasons": data["reasons"].strip(),
        "appeal_routes": data["appeal_routes"].strip(),
        "certificate": (favourable_decision_certificate_facts(dossier=dossier)
                        if data["outcome"] == Status.DECIDED_FAVOURABLE else None),
    })


@_action
def card(request: AuthenticatedHttpRequest, dossier: Dossier) -> HttpResponse:
    form = forms.CardForm(request.POST)

    def call(data):
        services.card_mark(dossier=dossier, by=request.user, to=data["to"], number=data["number"],
                           valid_from=data["valid_from"], valid_until=data["valid_until"], category=data["category"])

    return _run(request, dossier, name="card", form=form, call=call, success=_("L'étape du titre est enregistrée."))


@_action
def extension(request: AuthenticatedHttpRequest, dossier: Dossier) -> HttpResponse:
    form = forms.ExtensionForm(request.POST, prefix="extension")
    return _run(request, dossier, name="extension", form=form,
                call=lambda data: services.extension_grant(dossier=dossier, by=request.user, reason=data["reason"]),
                success=_("Les attestations de prolongation sont accordées à ce renouvellement."))


# --- Audit journal --------------------------------------------------------------------------------

@require_GET
@instructing_staff_required
def journal(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    dossier = selectors.dossier_get_for_staff(user=request.user, pk=pk)
    page = Paginator(selectors.dossier_audit_events(dossier=dossier), JOURNAL_PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "applications/backoffice/journal.html", {
        "dossier": dossier, "page": page,
        "rows": [(event, _audit_label(event.action), _audit_details(event.data)) for event in page],
    })


def _audit_label(action: str) -> str:
    kind = action.removeprefix("dossier.")
    return str(DossierEvent.Kind(kind).label) if kind in DossierEvent.Kind.values else action


#: How the journal names the keys of an audit event's details (unknown keys are shown as they are).
AUDIT_KEYS = {
    "from": _lazy("Avant"), "to": _lazy("Après"), "outcome": _lazy("Décision"), "reasons": _lazy("Motifs"),
    "reason": _lazy("Motif"), "message": _lazy("Message"), "documents": _lazy("Pièces demandées"),
    "due_on": _lazy("À fournir avant le"), "document_type": _lazy("Pièce"), "replaces": _lazy("Remplace une version"),
    "accepted": _lazy("Acceptée"), "kind": _lazy("Type de document"), "number": _lazy("Numéro"),
    "document": _lazy("Document (identifiant)"), "on_time": _lazy("Dans les délais"), "step": _lazy("Étape"),
    "field": _lazy("Réponse"), "before": _lazy("Avant"), "after": _lazy("Après"), "valid_from": _lazy("Valable du"),
    "valid_until": _lazy("Valable jusqu'au"), "at": _lazy("Date"), "site": _lazy("Lieu"),
}


def _audit_details(data) -> list[tuple[str, str]]:
    if not isinstance(data, dict):
        return [("", str(data))]
    statuses = dict(Status.choices)
    rows = []
    for key, value in data.items():
        if value in ("", None, [], {}):
            continue
        if key in ("from", "to", "outcome") and value in statuses:
            value = statuses[value]
        elif isinstance(value, bool):
            value = _("oui") if value else _("non")
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, str) and len(value) == 10 and value[4:5] == "-" and value[7:8] == "-":
            value = _french_date(value)
        rows.append((str(AUDIT_KEYS.get(key, key)), str(value)))
    return rows


# --- Supervision ----------------------------------------------------------------------------------

@require_GET
@supervisor_required
def workload(request: AuthenticatedHttpRequest) -> HttpResponse:
    loads, unassigned = selectors.workload_for_supervisor(user=request.user)
    return _workload_page(request, loads, unassigned)


def _workload_page(request, loads, unassigned, *, form=None, agent_id=None, status=200):
    prefectures = [p for p in _instructing_prefectures(request.user)
                   if p.pk in supervised_prefecture_ids(user=request.user)]
    if agent_id is None and request.GET.get("agent", "").isdigit():
        agent_id = int(request.GET["agent"])
    selected = next((load.membership for load in loads if load.membership.user_id == agent_id), None)
    if selected is not None and form is None:
        form = forms.ReassignForm(
            dossiers=selectors.open_dossiers_of_agent(supervisor=request.user, agent_id=selected.user_id),
            agents=[load.membership for load in loads if load.membership.prefecture_id == selected.prefecture_id],
            exclude_agent=selected.user_id,
        )
    return render(request, "applications/backoffice/workload.html", {
        "prefectures": [(p, [load for load in loads if load.membership.prefecture_id == p.pk], unassigned.get(p.pk, 0))
                        for p in prefectures],
        "selected": selected, "form": form,
        # Agents who typed wrong codes in a row: the supervisor may end their wait.
        "code_failures": second_factor_failures(user_ids=[load.membership.user_id for load in loads]),
    }, status=status)


@require_POST
@supervisor_required
def reassign(request: AuthenticatedHttpRequest) -> HttpResponse:
    loads, unassigned = selectors.workload_for_supervisor(user=request.user)
    raw_agent = request.POST.get("from_agent", "")
    selected = next((load.membership for load in loads if str(load.membership.user_id) == raw_agent), None)
    if selected is None:
        messages.error(request, _("Choisissez l'agent dont vous réattribuez les dossiers."))
        return redirect("backoffice_instruction:workload")
    form = forms.ReassignForm(
        request.POST,
        dossiers=selectors.open_dossiers_of_agent(supervisor=request.user, agent_id=selected.user_id),
        agents=[load.membership for load in loads if load.membership.prefecture_id == selected.prefecture_id],
        exclude_agent=selected.user_id,
    )
    if form.is_valid():
        done = services.dossiers_reassign(dossiers=form.cleaned_data["dossiers"], from_agent=selected.user,
                                          to_agent=form.cleaned_data["to_agent"], by=request.user)
        moved = done.moved
        if moved:
            messages.success(request, ngettext(
                "%(count)s dossier réattribué à %(name)s.", "%(count)s dossiers réattribués à %(name)s.", moved,
            ) % {"count": moved, "name": form.cleaned_data["to_agent"].get_full_name()})
        for line in done.refused:
            messages.error(request, line)
        return redirect(f"{_workload_url()}?{urlencode({'agent': selected.user_id})}")
    return _workload_page(request, loads, unassigned, form=form, agent_id=selected.user_id)


def _workload_url() -> str:
    return reverse("backoffice_instruction:workload")
