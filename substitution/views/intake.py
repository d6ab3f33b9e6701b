"""Paper intake pages (/backoffice/signalements/depot-papier/...): an agent of the report's
competent prefecture registers, at the desk, the paper file brought to a convocation; then the
receipt to print. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import role_required
from accounts.http import AuthenticatedHttpRequest
from applications.models import Procedure
from documents.selectors import documents_for_subject
from substitution import selectors, services
from substitution.intake_forms import IntakeForm, ProcedureChoiceForm
from substitution.models import Invitation

_desk_agents_only = role_required(
    selectors.may_register_paper,
    gettext_lazy("Seuls les agents de la préfecture compétente enregistrent un dossier déposé sur papier."),
)


def _refusal_shown(form: IntakeForm, refusal: ValidationError) -> None:
    """A service's refusal on the form: next to the field it names, else at the top."""
    errors = refusal.error_dict if hasattr(refusal, "error_dict") else {None: refusal.error_list}
    for name, messages in errors.items():
        form.add_error(name if name in form.fields else None, messages)


def _procedure(request: AuthenticatedHttpRequest,
               invitation: Invitation) -> tuple[Procedure | None, ProcedureChoiceForm]:
    """The procedure filed: the one chosen on the page, else the one the report names."""
    source = request.POST if request.method == "POST" else request.GET
    chooser = ProcedureChoiceForm(source if "procedure" in source else None,
                                  initial={"procedure": invitation.report.procedure_id})
    if chooser.is_bound and chooser.is_valid():
        return chooser.cleaned_data["procedure"], chooser
    procedure = invitation.report.procedure
    return (procedure if procedure is not None and procedure.is_active else None), chooser


@login_required
@require_http_methods(["GET", "POST"])
@_desk_agents_only
def register(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = selectors.invitation_get_for_desk(user=request.user, pk=pk)
    report = invitation.report
    if invitation.status == Invitation.Status.HONOURED and report.dossier_id is not None:
        return redirect("substitution_backoffice:intake_registered", pk=invitation.pk)
    procedure, chooser = _procedure(request, invitation)
    form = None
    status = 200
    if procedure is not None:
        form = IntakeForm(request.POST if request.method == "POST" else None, procedure=procedure, report=report)
        if request.method == "POST":
            if form.is_valid():
                try:
                    services.paper_intake_register(invitation=invitation, by=request.user, paper=form.paper_file())
                except ValidationError as refusal:
                    _refusal_shown(form, refusal)
                else:
                    return redirect("substitution_backoffice:intake_registered", pk=invitation.pk)
            status = 400
    return render(request, "substitution/backoffice/intake.html", {
        "invitation": invitation, "report": report, "procedure": procedure, "chooser": chooser, "form": form,
        "scheduled": invitation.status == Invitation.Status.SCHEDULED,
    }, status=status)


@login_required
@require_GET
@_desk_agents_only
def registered(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The dossier registered and its receipt, to print at once (the PDF is rendered by a worker:
    the link opens documents' "preparing" page until it is ready)."""
    invitation = selectors.invitation_get_for_desk(user=request.user, pk=pk)
    report = invitation.report
    dossier = report.dossier
    receipt = (documents_for_subject(subject=dossier).filter(kind="filing_receipt").first()
               if dossier is not None else None)
    response = render(request, "substitution/backoffice/intake_registered.html", {
        "invitation": invitation, "report": report, "dossier": dossier, "receipt": receipt,
    })
    response["Cache-Control"] = "private, no-store"
    return response
