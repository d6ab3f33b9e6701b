"""Anomaly pages under /backoffice/signalements/anomalies/ (the technical team and CCC agents).
Thin: parse, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from accounts.http import AuthenticatedHttpRequest
from substitution import selectors, services
from substitution.access import is_technical, may_see_anomalies
from substitution.anomaly_forms import FixForm, LinkReportForm, WorkaroundForm
from substitution.models import Anomaly

_anomalies_only = role_required(
    may_see_anomalies,
    gettext_lazy("Seuls l'équipe technique et les agents du centre de contact voient les anomalies."),
)
_technical_only = role_required(
    is_technical, gettext_lazy("Seule l'équipe technique enregistre un contournement ou une correction.")
)


@login_required
@require_GET
@_anomalies_only
def ranking(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Open anomalies, the one blocking the most people first."""
    return render(request, "substitution/backoffice/anomalies.html", {
        "anomalies": list(selectors.anomalies_ranked()), "today": timezone.localdate()})


def _page(request: AuthenticatedHttpRequest, anomaly: Anomaly, *, status: int = 200, **forms: Form) -> HttpResponse:
    technical = is_technical(user=request.user)
    open_ = anomaly.status != Anomaly.Status.FIXED
    return render(request, "substitution/backoffice/anomaly.html", {
        "anomaly": anomaly, "reports": list(selectors.anomaly_reports(anomaly=anomaly)),
        "today": timezone.localdate(), "may_fix": technical and open_, "may_link": open_,
        "workaround_form": forms.get("workaround_form") or WorkaroundForm(
            prefix="workaround", initial={"text": anomaly.workaround}),
        "fix_form": forms.get("fix_form") or FixForm(prefix="fix"),
        "link_form": forms.get("link_form") or LinkReportForm(prefix="link"),
    }, status=status)


@login_required
@require_GET
@_anomalies_only
def detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _page(request, selectors.anomaly_get_for_user(user=request.user, pk=pk))


def _act(request: AuthenticatedHttpRequest, pk: int, form_name: str, form: Form, action, done) -> HttpResponse:
    anomaly = selectors.anomaly_get_for_user(user=request.user, pk=pk)
    if form.is_valid():
        try:
            result = action(anomaly, form.cleaned_data)
        except ValidationError as refusal:
            form.add_error(None, refusal)
        else:
            messages.success(request, done(result))
            return redirect("substitution_backoffice:anomaly", pk=pk)
    return _page(request, anomaly, status=400, **{form_name: form})


@login_required
@require_POST
@_technical_only
def workaround(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "workaround_form", WorkaroundForm(request.POST, prefix="workaround"),
                lambda anomaly, data: services.anomaly_record_workaround(anomaly=anomaly, by=request.user,
                                                                         text=data["text"]),
                lambda _result: _("Le contournement est enregistré."))


@login_required
@require_POST
@_technical_only
def fix(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    def done(fixed: services.Fixed) -> str:
        count = len(fixed.notified)
        return ngettext("L'anomalie est corrigée ; %(count)s personne est prévenue qu'elle peut réessayer.",
                        "L'anomalie est corrigée ; %(count)s personnes sont prévenues qu'elles peuvent réessayer.",
                        count) % {"count": count}

    return _act(request, pk, "fix_form", FixForm(request.POST, prefix="fix"),
                lambda anomaly, data: services.anomaly_fix(anomaly=anomaly, by=request.user, note=data["note"]),
                done)


@login_required
@require_POST
@_anomalies_only
def link_report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    form = LinkReportForm(request.POST, prefix="link")

    def link(anomaly, data):
        try:
            report = selectors.report_get_to_link(user=request.user, reference=data["reference"])
        except Http404:
            raise ValidationError(_("Aucun signalement ne porte cette référence.")) from None
        return services.report_link_anomaly(report=report, by=request.user, anomaly=anomaly)

    return _act(request, pk, "link_form", form, link,
                lambda report: _("Le signalement %(ref)s est rattaché à l'anomalie.") % {"ref": report.reference})
