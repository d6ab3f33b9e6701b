"""Supervision pages (DESIGN §6): the workload of a supervisor's agents, and moving open files from
one agent to another. Thin: parse, call one selector or one service, render. Supervisors only
(``supervisor_required``); the files are reached through the supervisor's prefectures."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.services import second_factor_failures
from applications import services
from applications.backoffice import forms, selectors
from applications.backoffice.views import supervisor_required
from applications.staff import supervised_prefecture_ids


@require_GET
@supervisor_required
def workload(request: AuthenticatedHttpRequest) -> HttpResponse:
    loads, unassigned = selectors.workload_for_supervisor(user=request.user)
    return _workload_page(request, loads, unassigned)


def _workload_page(request, loads, unassigned, *, form=None, agent_id=None, status=200):
    prefectures = [p for p in selectors.instructing_prefectures(user=request.user)
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
