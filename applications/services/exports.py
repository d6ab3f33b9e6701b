"""CSV exports of a filtered back-office queue (DESIGN §6): asking for one, writing it, failing it.

An agent asks for an export with the queue's own filters; a ``QueueExport`` row is created and the
``applications.tasks.export_queue`` task is queued after commit (by name, ``core.tasks.enqueue``).
The task writes the rows of ``applications.backoffice.selectors.queue_rows`` with the requester's
memberships at run time, in a CSV French spreadsheets open as is: semicolon separator, UTF-8 with a
byte order mark. Only the requester may download it (``export_get_for_user``), as an attachment
that no cache keeps. The cells are ``applications.presenters.export_line``'s: what an agent needs to
organise the work, nothing more, and text a spreadsheet would read as a formula is neutralised.

Old exports: the files are copies of personal data and should not outlive their use. A daily job
could delete the file and row of exports finished more than 7 days ago
(``QueueExport.objects.filter(finished_at__lt=now - 7 days)``, ``file.delete()`` then ``delete()``);
it is not built yet.
"""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import role_prefecture_ids
from accounts.services import audit_record
from applications.backoffice.selectors import QueueFilters, queue_rows
from applications.models import QueueExport
from applications.presenters import export_header, export_line
from applications.staff import INSTRUCTING_ROLES, agent_prefecture_ids
from core.tasks import enqueue

#: Exports being prepared at once for one person; more waits until one is done.
PENDING_LIMIT = 3


def queue_export_request(*, user: User, filters: QueueFilters) -> QueueExport:
    """Records the request and queues the export task after commit."""
    with transaction.atomic():
        prefectures = agent_prefecture_ids(user=user)
        if not prefectures or (filters.prefecture is not None and filters.prefecture not in prefectures):
            raise PermissionDenied
        if QueueExport.objects.filter(requested_by=user, status=QueueExport.Status.PENDING).count() >= PENDING_LIMIT:
            raise ValidationError(_("Vous avez déjà %(count)s exports en préparation : attendez qu'ils soient prêts.")
                                  % {"count": PENDING_LIMIT})
        prefecture_id = filters.prefecture or (next(iter(prefectures)) if len(prefectures) == 1 else None)
        export = QueueExport.objects.create(requested_by=user, prefecture_id=prefecture_id, filters=filters.to_json())
        audit_record(actor=user, action="queue.export_requested", obj=export, data=export.filters)
        enqueue("applications.tasks.export_queue", export.pk)
        return export


def queue_export_write(*, export: QueueExport, today: date | None = None) -> QueueExport:
    """Writes the export's CSV, stores it and marks the export ready."""
    today = today or timezone.localdate()
    user, filters = export.requested_by, QueueFilters.from_json(export.filters)
    # The worker has no session: the second factor was required when the export was requested
    # (queue_export_request); here only the roles are read again, in case one was withdrawn since.
    prefectures = role_prefecture_ids(user=user, roles=INSTRUCTING_ROLES)
    count = 0
    with tempfile.TemporaryFile() as raw, translation.override("fr"):
        # Semicolons and a byte order mark: what French Excel expects to open a CSV in columns.
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        writer = csv.writer(text, delimiter=";")
        writer.writerow(export_header())
        for row in queue_rows(user=user, filters=filters, prefecture_ids=prefectures):
            writer.writerow(export_line(row, today))
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
    """Marks the export failed (unless it was written meanwhile), so that the person can ask again."""
    QueueExport.objects.filter(pk=export.pk).exclude(status=QueueExport.Status.READY).update(
        status=QueueExport.Status.FAILED, finished_at=timezone.now()
    )
