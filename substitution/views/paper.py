"""Pages of the paper path. Thin: parse, call one service or selector, render.

Staff: the act of impossibility, on the report's page, for agents and supervisors of its
prefecture. The person: the invitation on the status page (date, place, letter) and "Demander une
autre date", through the secret follow link or their own space.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import staff_prefecture_ids
from documents.views import document_response
from substitution import selectors, services
from substitution.forms import ImpossibilityForm
from substitution.models import BlockingReport
from substitution.views.reports import detail_page, own_report, person_action, staff_report
from substitution.workflow import ACTIVE_STATUSES


def _prefecture_staff(*, user) -> bool:
    return bool(staff_prefecture_ids(user=user))


_prefecture_only = role_required(
    _prefecture_staff, gettext_lazy("Seuls les agents de la préfecture compétente constatent l'impossibilité."))


def detail_context(request: HttpRequest, report: BlockingReport, form: ImpossibilityForm | None = None) -> dict:
    """What the staff page of a report shows of the paper path (reports.detail_page adds it)."""
    return {
        "may_record_impossibility": report.status in ACTIVE_STATUSES
        and services.may_record_impossibility(user=request.user, report=report),  # type: ignore[arg-type]
        "impossibility_form": form or ImpossibilityForm(prefix="impossibility"),
        "invitation": selectors.invitation_current(report=report),
    }


def status_context(report: BlockingReport) -> dict[str, Any]:
    """What the person's status page shows of the paper path (reports._status_context adds it)."""
    invitation = selectors.invitation_current(report=report)
    return {"invitation": invitation,
            "may_ask_another_date": selectors.may_ask_another_date(report=report, invitation=invitation)}


@login_required
@require_POST
@_prefecture_only
def impossibility(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    report = staff_report(request, reference)
    form = ImpossibilityForm(request.POST, prefix="impossibility")
    if form.is_valid():
        try:
            services.impossibility_record(report=report, by=request.user, grounds=form.cleaned_data["grounds"])
        except ValidationError as refusal:
            form.add_error(None, refusal)
        else:
            report.refresh_from_db()
            messages.success(request, _("L'impossibilité est constatée.") + " " + (
                _("La personne est convoquée pour un dépôt sur papier.") if report.status == "invited" else
                _("Aucun créneau de dépôt papier n'est libre : les chefs de bureau sont alertés.")))
            return redirect("substitution_backoffice:detail", reference=reference)
    return detail_page(request, report, status=400, impossibility_form=form)


# --- The person ---------------------------------------------------------------------------------

def _another_date(request: HttpRequest, report: BlockingReport, *, by, back: str, secret: str = "") -> HttpResponse:
    return person_action(
        request, lambda: services.invitation_ask_another_date(report=report, by=by, secret=secret),
        done=_("Votre nouvelle date est ci-dessous ; une nouvelle convocation vous est envoyée."), back=back)


@require_POST
def follow_another_date(request: HttpRequest, reference: str, secret: str) -> HttpResponse:
    report = selectors.report_get_by_secret(reference=reference, secret=secret)
    return _another_date(request, report, by=None, secret=secret,
                         back=reverse("substitution:follow", args=[reference, secret]))


@login_required
@require_POST
def mine_another_date(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    report = own_report(request, reference)
    return _another_date(request, report, by=request.user,
                         back=reverse("substitution:mine_detail", args=[reference]))


@require_GET
def follow_letter(request: HttpRequest, reference: str, secret: str, pk: int) -> HttpResponseBase:
    """The convocation letter, for the holder of the follow link (an account holder signed in uses
    documents' own download)."""
    report = selectors.report_get_by_secret(reference=reference, secret=secret)
    response = document_response(request, selectors.invitation_letter(report=report, pk=pk))
    response["Referrer-Policy"] = "no-referrer"  # the secret is in this page's address
    return response


def _supervisor(*, user) -> bool:
    from accounts.models import Role

    return bool(staff_prefecture_ids(user=user, roles=(Role.SUPERVISOR,)))


@login_required
@require_GET
@role_required(_supervisor, gettext_lazy("Seuls les chefs de bureau voient les signalements sans créneau."))
def without_slot(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The supervisors' list: impossibility established, no paper-filing slot free in the horizon."""
    return render(request, "substitution/backoffice/without_slot.html", {
        "reports": list(selectors.reports_without_slot(user=request.user))})
