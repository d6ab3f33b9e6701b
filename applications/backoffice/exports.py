"""CSV exports of a filtered back-office queue (DESIGN §6).

An agent asks for an export with the queue's own filters; a ``QueueExport`` row is created and the
``export_queue`` task (applications/export_tasks.py) is queued after commit. The task reads the
rows through ``queue_base`` with the requester's memberships at run time, in priority order and
in keyset batches, and writes a CSV French spreadsheets open as is: semicolon separator, UTF-8
with a byte order mark. Only the requester may download it, as an attachment that no cache keeps.

Columns are what an agent needs to organise the work, nothing more: no birth date, address,
answers or documents. Text cells that a spreadsheet would read as a formula are neutralised.

Old exports: the files are copies of personal data and should not outlive their use. A daily job
could delete the file and row of exports finished more than 7 days ago
(``QueueExport.objects.filter(finished_at__lt=now - 7 days)``, ``file.delete()`` then ``delete()``);
it is not built yet.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.fields.json import KT
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from accounts.permissions import role_prefecture_ids
from accounts.services import audit_record
from applications.backoffice.selectors import DEADLINE_STATES, QueueFilters, queue_base
from applications.backoffice.views import instructing_staff_required
from applications.clock import QUEUE_STATUSES, clock_for
from applications.models import Channel, QueueExport, Status
from applications.selectors import person_name
from applications.staff import INSTRUCTING_ROLES, agent_prefecture_ids

BATCH_SIZE = 2_000
#: Exports being prepared at once for one person; more waits until one is done.
PENDING_LIMIT = 3
#: The GET parameters of the queue that an export takes over.
FILTER_PARAMETERS = ("prefecture", "procedure", "status", "channel", "assigned", "deadline", "q")
#: Cells a spreadsheet would evaluate as a formula start with one of these (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
QUERY_MAX_LENGTH = 100


# --- Filters --------------------------------------------------------------------------------------

def _positive_int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None


def filters_from_querydict(querydict: QueryDict) -> QueueFilters:
    """The queue's filters from its URL parameters; anything unknown or malformed is dropped.

    ``prefecture``, ``procedure``: ids; ``status``: repeated, among the queue's statuses; ``channel``;
    ``assigned``: "me", "none" or an agent id; ``deadline``: one of ``DEADLINE_STATES``; ``q``: a
    reference, a name or a foreigner number. Scoping to the person's prefectures is ``queue_base``'s.
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


def filters_to_json(filters: QueueFilters) -> dict:
    data = asdict(filters)
    data["statuses"] = list(filters.statuses)
    return data


def filters_from_json(data: dict) -> QueueFilters:
    known = {k: v for k, v in data.items() if k in QueueFilters.__dataclass_fields__}
    known["statuses"] = tuple(known.get("statuses") or ())
    return QueueFilters(**known)


# --- Services -------------------------------------------------------------------------------------

@transaction.atomic
def queue_export_request(*, user: User, filters: QueueFilters) -> QueueExport:
    """Records the request and queues the export task after commit."""
    from applications.export_tasks import export_queue

    prefectures = agent_prefecture_ids(user=user)
    if not prefectures or (filters.prefecture is not None and filters.prefecture not in prefectures):
        raise PermissionDenied
    if QueueExport.objects.filter(requested_by=user, status=QueueExport.Status.PENDING).count() >= PENDING_LIMIT:
        raise ValidationError(_("Vous avez déjà %(count)s exports en préparation : attendez qu'ils soient prêts.")
                              % {"count": PENDING_LIMIT})
    prefecture_id = filters.prefecture or (next(iter(prefectures)) if len(prefectures) == 1 else None)
    export = QueueExport.objects.create(requested_by=user, prefecture_id=prefecture_id,
                                        filters=filters_to_json(filters))
    audit_record(actor=user, action="queue.export_requested", obj=export, data=export.filters)
    transaction.on_commit(lambda: export_queue.delay(export.pk))
    return export


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _after(row) -> Q:
    """Rows after ``row`` in (priority, priority_date NULLS LAST, id) order. The leading
    ``priority >= p`` bounds the index range scan; the rest is the exact keyset condition."""
    p, day, pk = row.priority, row.priority_date, row.id
    if day is None:
        return Q(priority__gte=p) & (Q(priority__gt=p) | Q(priority=p, priority_date__isnull=True, id__gt=pk))
    return Q(priority__gte=p) & (
        Q(priority__gt=p) | Q(priority=p, priority_date__gt=day) | Q(priority=p, priority_date=day, id__gt=pk)
        | Q(priority=p, priority_date__isnull=True)
    )


def _export_rows(*, user: User, filters: QueueFilters, prefecture_ids: set[int] | None) -> QuerySet:
    return (
        queue_base(user=user, filters=filters, prefecture_ids=prefecture_ids)
        .order_by("priority", F("priority_date").asc(nulls_last=True), "id")
        .annotate(
            procedure_name=F("procedure__name"), prefecture_name=F("prefecture__name"),
            agent_first_name=F("assigned_to__first_name"), agent_last_name=F("assigned_to__last_name"),
            applicant_first_name=F("applicant__first_name"), applicant_last_name=F("applicant__last_name"),
            identity_first_name=KT("answers__identity__first_name"),
            identity_last_name=KT("answers__identity__last_name"),
        )
        .values_list(
            "id", "reference", "status", "submitted_at", "legal_deadline", "clock_paused_on",
            "permit_expires_on", "certificate_valid_until", "priority", "priority_date",
            "procedure_name", "prefecture_name", "agent_first_name", "agent_last_name",
            "applicant_first_name", "applicant_last_name", "identity_first_name", "identity_last_name",
            named=True,
        )
    )


def queue_rows(
    *, user: User, filters: QueueFilters, batch_size: int | None = None, prefecture_ids: set[int] | None = None
) -> Iterator:
    """The queue's rows in priority order, read in keyset batches (never one long cursor)."""
    batch_size = batch_size or BATCH_SIZE
    rows = _export_rows(user=user, filters=filters, prefecture_ids=prefecture_ids)
    batch = list(rows[:batch_size])
    while batch:
        yield from batch
        if len(batch) < batch_size:
            return
        batch = list(rows.filter(_after(batch[-1]))[:batch_size])


def _header() -> list[str]:
    return [_("Référence"), _("Démarche"), _("Statut"), _("Préfecture"), _("Déposé le"), _("Échéance légale"),
            _("Jours restants"), _("Droits menacés"), _("Agent en charge"), _("Demandeur")]


def _line(row, today: date) -> list[str]:
    clock = clock_for(row, today)  # the row has the attributes the clock reads
    # The way the portal names people everywhere (``person_name``); the applicant as in
    # ``applicant_snapshot``: each part from the identity step, else from the account.
    applicant = person_name(first=row.identity_first_name or row.applicant_first_name,
                            last=row.identity_last_name or row.applicant_last_name)
    agent = person_name(first=row.agent_first_name, last=row.agent_last_name)
    return [
        _cell(row.reference), _cell(row.procedure_name), _cell(Status(row.status).label),
        _cell(row.prefecture_name),
        _day(timezone.localtime(row.submitted_at).date() if row.submitted_at else None),
        _day(row.legal_deadline),
        "" if clock.days_left is None else str(clock.days_left),
        _("oui") if clock.rights_at_risk else _("non"),
        _cell(agent), _cell(applicant),
    ]


def queue_export_write(*, export: QueueExport, today: date | None = None) -> QueueExport:
    """Writes the export's CSV, stores it and marks the export ready."""
    today = today or timezone.localdate()
    user, filters = export.requested_by, filters_from_json(export.filters)
    # The worker has no session: the second factor was required when the export was requested
    # (queue_export_request); here only the roles are read again, in case one was withdrawn since.
    prefectures = role_prefecture_ids(user=user, roles=INSTRUCTING_ROLES)
    count = 0
    with tempfile.TemporaryFile() as raw, translation.override("fr"):
        # Semicolons and a byte order mark: what French Excel expects to open a CSV in columns.
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        writer = csv.writer(text, delimiter=";")
        writer.writerow(_header())
        for row in queue_rows(user=user, filters=filters, prefecture_ids=prefectures):
            writer.writerow(_line(row, today))
            count += 1
        text.flush()
        text.detach()
        raw.seek(0)
        export.file.save("export.csv", File(raw), save=False)  # named by queue_export_path
    export.status = QueueExport.Status.READY
    export.row_count = count
    export.finished_at = timezone.now()
    export.save(update_fields=["file", "status", "row_count", "finished_at"])
    return export


def queue_export_fail(*, export: QueueExport) -> None:
    QueueExport.objects.filter(pk=export.pk).exclude(status=QueueExport.Status.READY).update(
        status=QueueExport.Status.FAILED, finished_at=timezone.now()
    )


# --- Selectors ------------------------------------------------------------------------------------

def exports_for_user(*, user: User, limit: int = 50) -> list[QueueExport]:
    return list(QueueExport.objects.filter(requested_by=user).select_related("prefecture")[:limit])


def export_get_for_user(*, user: User, pk: int) -> QueueExport:
    """The only way to reach an export's file: the requester's own and ready, else 404 (whoever
    else asks, even an agent of the same prefecture, cannot learn that it exists)."""
    export = QueueExport.objects.filter(pk=pk, requested_by_id=user.pk, status=QueueExport.Status.READY).first()
    if export is None or not export.file:
        raise Http404
    return export


# --- Views ----------------------------------------------------------------------------------------
# Here rather than in applications/backoffice/views.py: the reporting pages are a unit of their
# own, with their own URL module (urls_reports.py). StaffSecondFactorMiddleware has already
# required a staff role and a verified second factor.

@require_http_methods(["GET", "POST"])
@instructing_staff_required
def exports_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        # The queue's filters, from the form's query string (its action repeats the queue's URL
        # parameters) or from hidden fields of the form itself.
        source = request.POST if set(FILTER_PARAMETERS) & set(request.POST) else request.GET
        try:
            queue_export_request(user=request.user, filters=filters_from_querydict(source))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Votre export est en préparation. Il apparaîtra ici dès qu'il sera prêt."))
        return redirect("backoffice_reports:exports")
    rows = exports_for_user(user=request.user)
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
    export = export_get_for_user(user=request.user, pk=pk)
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
