"""Back-office reports (DESIGN §6): the statistics of a prefecture and the CSV exports of the queue,
under their own URL module (urls_reports.py). Agents and supervisors only
(``instructing_staff_required``); an export's file is reached through ``export_get_for_user``
(the requester's own, else 404)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedHttpRequest
from accounts.services import audit_record
from applications import services
from applications.backoffice import selectors
from applications.backoffice.forms import FILTER_PARAMETERS, queue_filters_from_querydict
from applications.backoffice.statistics_cells import statistics_heading, statistics_html
from applications.backoffice.views import instructing_staff_required
from applications.models import QueueExport
from core.layout import slotted_page
from core.replica import reading_from_replica


@require_GET
@instructing_staff_required
def statistics_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    prefectures = selectors.instructing_prefectures(user=request.user)
    chosen = prefectures[0]
    raw = request.GET.get("prefecture", "")
    if raw.isdigit():
        chosen = next((p for p in prefectures if p.pk == int(raw)), chosen)
    with reading_from_replica():  # figures only: a moment's lag is harmless (core.replica)
        stats = selectors.prefecture_statistics(user=request.user, prefecture_id=chosen.pk, prefectures=prefectures)
    heading = statistics_heading(stats)
    # The page's layout kept with it (core.layout): its template reads these two alone.
    response = slotted_page(request, "applications/backoffice/statistics.html", context={}, slots={
        "heading": heading,
        "content": statistics_html(stats, heading=heading, prefectures=prefectures, chosen=chosen, windows={
            "processing_window_days": selectors.PROCESSING_WINDOW.days,
            "certificates_window_days": selectors.CERTIFICATES_WINDOW.days,
            "rights_at_risk_days": settings.RIGHTS_AT_RISK_DAYS,
        }),
    })
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@instructing_staff_required
def exports_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        # The queue's filters, from the form's query string (its action repeats the queue's URL
        # parameters) or from hidden fields of the form itself.
        source = request.POST if set(FILTER_PARAMETERS) & set(request.POST) else request.GET
        try:
            services.queue_export_request(user=request.user, filters=queue_filters_from_querydict(source))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Votre export est en préparation. Il apparaîtra ici dès qu'il sera prêt."))
        return redirect("backoffice_reports:exports")
    rows = selectors.exports_for_user(user=request.user)
    # ?fragment=table: the table alone, which the page's script asks for while an export is pending.
    fragment = request.GET.get("fragment") == "table"
    template = "applications/backoffice/_exports_table.html" if fragment else "applications/backoffice/exports.html"
    response = render(request, template, {
        "exports": rows, "exports_pending": any(e.status == QueueExport.Status.PENDING for e in rows),
    })
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@instructing_staff_required
def export_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    export = selectors.export_get_for_user(user=request.user, pk=pk)
    try:
        content = export.file.open("rb")
    except FileNotFoundError:  # purged, or lost with a volume
        raise Http404 from None
    audit_record(actor=request.user, action="queue.export_downloaded", obj=export)
    response = FileResponse(
        content, as_attachment=True,
        filename=f"file-{timezone.localtime(export.created_at):%Y-%m-%d}-{export.pk}.csv",
        content_type="text/csv; charset=utf-8",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
