"""The walk-in figures (``/backoffice/mediation/chiffres/``) and their CSV: per PAN and per
prefecture, for a period; each person sees the PANs whose log they read (``mediation.access``).
The CSV is written as the other figures are (UTF-8 with a byte order mark and semicolons: what
French Excel opens in columns)."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from accounts.http import AuthenticatedHttpRequest
from mediation.access import may_see_visits
from mediation.forms import PeriodForm
from mediation.models import Outcome
from mediation.selectors import VisitFigures, default_period, visit_figures

_figures_readers = role_required(
    may_see_visits,
    gettext_lazy("Seuls les médiateurs numériques, les chefs de bureau et les administrateurs consultent les "
                 "chiffres des visites."),
)


def _figures(request: AuthenticatedHttpRequest) -> tuple[VisitFigures, PeriodForm]:
    start, end = default_period(timezone.localdate())
    form = PeriodForm(request.GET or None, initial={"start": start, "end": end})
    if form.is_bound and form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
    return visit_figures(user=request.user, start=start, end=end), form


@require_GET
@_figures_readers
def figures_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    figures, form = _figures(request)
    return render(request, "mediation/backoffice/figures.html", {
        "figures": figures, "form": form, "query": request.GET.urlencode(),
        "outcome_labels": Outcome.labels})


def _minutes(value: float | None) -> str:
    return "" if value is None else formats.number_format(value, 1, use_l10n=True)


def figures_csv_rows(figures: VisitFigures) -> list[list[str]]:
    """One line per PAN, per prefecture and the total: visits, ended, each outcome, the median."""
    header = [_("Périmètre"), _("Ligne"), _("Visites"), _("Visites terminées"),
              *[str(label) for label in Outcome.labels], _("Durée médiane (minutes)")]
    rows = [header, [_("Période"), f"{figures.start.isoformat()} – {figures.end.isoformat()}"]]
    for scope, lines in ((_("Point d'accueil"), figures.by_site), (_("Préfecture"), figures.by_prefecture),
                         (_("Total"), [figures.total])):
        for line in lines:
            rows.append([scope, _("Toutes") if line is figures.total else line.label, str(line.visits),
                         str(line.ended), *[str(count) for _value, count in line.outcome_counts()],
                         _minutes(line.median_minutes)])
    return rows


@require_GET
@_figures_readers
def figures_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    figures, _form = _figures(request)
    buffer = io.StringIO()
    buffer.write("\ufeff")  # the byte order mark, once the text is encoded in UTF-8
    writer = csv.writer(buffer, delimiter=";")
    with translation.override("fr"):  # the file is in French, as the other exports
        writer.writerows(figures_csv_rows(figures))
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (f'attachment; filename="visites-pan-{figures.start:%Y%m%d}-'
                                       f'{figures.end:%Y%m%d}.csv"')
    response["X-Content-Type-Options"] = "nosniff"
    return response
