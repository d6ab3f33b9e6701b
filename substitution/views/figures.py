"""The figures page of substitution (``/backoffice/signalements/chiffres/``) and its CSV.

CCC agents see the national figures and may choose a prefecture; a prefecture supervisor sees
their prefecture only (``substitution.selectors.figures``): asking for another one is refused
(403), as the selector refuses it. The CSV carries the same figures as the page, for the same
period and prefecture, written as the queue's exports are (UTF-8 with a byte order mark and
semicolons: what French Excel opens in columns; see ``applications/services/exports.py``).
"""

from __future__ import annotations

import csv
import io

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from accounts.http import AuthenticatedHttpRequest
from substitution.selectors.figures import (
    Figures,
    default_period,
    figures_prefecture_ids,
    may_see_figures,
    substitution_figures,
)
from territory.models import Prefecture

_figures_only = role_required(
    may_see_figures,
    gettext_lazy("Seuls les agents du centre de contact (CCC) et les superviseurs de préfecture consultent les "
                 "chiffres des signalements."),
)


class FiguresFilterForm(forms.Form):
    """The page's GET filters. Kept beside its only view: ``substitution/forms.py`` holds the
    report forms."""

    no_report_link = True

    start = forms.DateField(label=gettext_lazy("Du"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=gettext_lazy("Au"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    prefecture = forms.TypedChoiceField(label=gettext_lazy("Préfecture"), required=False, coerce=int,
                                        empty_value=None)

    def __init__(self, *args, prefectures: list[Prefecture], national: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(p.pk, f"{p.department.code} – {p.name}") for p in prefectures]
        # A prefecture outside this list is not a form error but a refusal (the view checks it).
        self.fields["prefecture"].choices = (  # type: ignore[attr-defined]
            [("", gettext_lazy("France entière"))] + choices if national else choices)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", gettext_lazy("La date de fin doit suivre la date de début."))
        return data


def _prefecture_param(request: AuthenticatedHttpRequest) -> int | None:
    raw = request.GET.get("prefecture", "")
    return int(raw) if raw.isdigit() else None


def _figures(request: AuthenticatedHttpRequest) -> tuple[Figures, FiguresFilterForm, list[Prefecture]]:
    allowed = figures_prefecture_ids(user=request.user)
    prefectures = Prefecture.objects.select_related("department").order_by("department__code")
    if allowed is not None:
        prefectures = prefectures.filter(pk__in=allowed)
    choices = list(prefectures)
    today = timezone.localdate()
    default_start, default_end = default_period(today)
    wanted = _prefecture_param(request)
    if allowed is not None:
        if wanted is not None and wanted not in allowed:
            raise PermissionDenied(_("Vous ne pouvez consulter que les chiffres de votre préfecture."))
        wanted = wanted or choices[0].pk
    elif wanted is not None and wanted not in {p.pk for p in choices}:
        raise Http404
    form = FiguresFilterForm(request.GET or None, prefectures=choices, national=allowed is None,
                             initial={"start": default_start, "end": default_end, "prefecture": wanted})
    start, end = default_start, default_end
    if form.is_bound and form.is_valid():
        start = form.cleaned_data["start"] or default_start
        end = form.cleaned_data["end"] or default_end
    figures = substitution_figures(user=request.user, start=start, end=end, prefecture_id=wanted, today=today)
    return figures, form, choices


@require_GET
@_figures_only
def figures_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    figures, form, choices = _figures(request)
    response = render(request, "substitution/backoffice/figures.html", {
        "figures": figures, "form": form, "national_view": figures_prefecture_ids(user=request.user) is None,
        "several_prefectures": len(choices) > 1, "query": request.GET.urlencode(),
    })
    response["Cache-Control"] = "private, no-store"
    return response


def _number(value: float | None, digits: int = 1) -> str:
    return "" if value is None else formats.number_format(value, digits, use_l10n=True)


def figures_csv_rows(figures: Figures) -> list[list[str]]:
    """The page's figures as rows of (section, line, measure, value), in French."""
    scope = (f"{figures.prefecture.department.code} – {figures.prefecture.name}" if figures.prefecture
             else _("France entière"))
    rows = [
        [_("Rubrique"), _("Ligne"), _("Mesure"), _("Valeur")],
        [_("Périmètre"), scope, _("du"), figures.start.isoformat()],
        [_("Périmètre"), scope, _("au"), figures.end.isoformat()],
    ]
    section = _("Signalements pour 1 000 demandes")
    rows += [
        [section, _("Toutes difficultés"), _("Demandes déposées"), str(figures.applications)],
        [section, _("Toutes difficultés"), _("Signalements"), str(figures.reports)],
        [section, _("Toutes difficultés"), _("Pour 1 000 demandes"), _number(figures.per_1000)],
        [section, _("Toutes difficultés"), _("Référence nationale 2024, pour 1 000 demandes"),
         _number(figures.reference_per_1000)],
    ]
    for kind in figures.by_kind:
        rows.append([section, str(kind.label), _("Signalements"), str(kind.reports)])
        rows.append([section, str(kind.label), _("Pour 1 000 demandes"), _number(kind.per_1000, 2)])
    section = _("Délais (jours)")
    for label, delay in ((_("Jusqu'à la résolution"), figures.resolution),
                         (_("Jusqu'à la convocation"), figures.invitation)):
        rows.append([section, label, _("Signalements"), str(delay.count)])
        rows.append([section, label, _("Médiane"), _number(delay.p50_days)])
        rows.append([section, label, _("9 sur 10 en moins de"), _number(delay.p90_days)])
    section = _("Convocations dans le délai")
    rows += [
        [section, _("Dépôt papier"), _("Signalements arrivés au dépôt papier"), str(figures.paper_path)],
        [section, _("Dépôt papier"), _("Pas encore convoqués, date limite à venir"), str(figures.paper_pending)],
        [section, _("Dépôt papier"), _("Convoqués au plus tard la nuit suivant la date limite"),
         str(figures.invited_within_deadline)],
        [section, _("Dépôt papier"), _("Part convoquée dans le délai (%)"), _number(figures.within_deadline_share)],
        [section, _("Dépôt papier"), _("Objectif (%)"), str(figures.goal_within_deadline)],
    ]
    section = _("Anomalies ouvertes")
    for anomaly in figures.anomalies:
        rows.append([section, anomaly.title, _("Personnes bloquées"), str(anomaly.people_blocked)])
    for row in figures.by_prefecture:
        line = f"{row.code} – {row.name}"
        section = _("Par préfecture")
        rows.append([section, line, _("Demandes déposées"), str(row.applications)])
        rows.append([section, line, _("Signalements"), str(row.reports)])
        rows.append([section, line, _("Pour 1 000 demandes"), _number(row.per_1000)])
    return rows


@require_GET
@_figures_only
def figures_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    figures, _form, _choices = _figures(request)
    buffer = io.StringIO()
    buffer.write("\ufeff")  # the byte order mark, once the text is encoded in UTF-8
    writer = csv.writer(buffer, delimiter=";")
    with translation.override("fr"):  # the file is in French, as the queue's exports
        writer.writerows(figures_csv_rows(figures))
    scope = figures.prefecture.department.code if figures.prefecture else "france"
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (f'attachment; filename="signalements-chiffres-{scope}-'
                                       f'{figures.start:%Y%m%d}-{figures.end:%Y%m%d}.csv"')
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


