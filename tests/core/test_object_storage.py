"""The portal's files on an S3 API (moto's standalone server: ``.ci/run`` starts it, the
``s3_endpoint`` fixture otherwise), through django-storages, as in production with S3_BUCKET set:
a piece uploaded, a receipt issued, a CSV export written, each downloaded back through the portal
with its access check, and none of them readable from the bucket without credentials."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from applications.models import Attachment, QueueExport
from applications.services import draft_start
from documents.models import DocumentKind
from documents.services import document_issue
from tests.applications.helpers import pdf_file
from tests.backoffice.conftest import sign_in
from tests.backoffice.test_exports import filed, read_csv, request_export
from tests.documents.support import RECEIPT_TEMPLATE, receipt_context
from tests.factories import StaffFactory, UserFactory, prefecture, procedure

pytestmark = pytest.mark.django_db


def anonymous_get(s3_storage, key: str) -> int:
    """The status of a plain GET of the object's URL, with no signature: what anyone would get."""
    url = f"{s3_storage['endpoint']}/{s3_storage['bucket']}/{key}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own test server)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def stored_bytes(s3_storage, key: str) -> bytes:
    return s3_storage["client"].get_object(Bucket=s3_storage["bucket"], Key=key)["Body"].read()


def test_the_storage_is_the_bucket(s3_storage):
    from storages.backends.s3 import S3Storage

    assert isinstance(default_storage, S3Storage)
    name = default_storage.save("probe/hello.txt", ContentFile(b"hello"))
    assert stored_bytes(s3_storage, name) == b"hello"
    assert anonymous_get(s3_storage, name) == 403


def test_an_uploaded_piece_lives_in_the_bucket_and_only_its_owner_downloads_it(client, s3_storage):
    user = UserFactory()
    client.force_login(user)
    dossier, _ = draft_start(applicant=user, procedure=procedure("renouvellement-salarie"))
    document_type = dossier.procedure.requirements.first().document_type
    upload = pdf_file()
    client.post(reverse("applications:upload", args=[dossier.pk, document_type.pk]),
                {f"t{document_type.pk}-file": upload})
    attachment = Attachment.objects.get()
    sent = stored_bytes(s3_storage, attachment.file.name)
    assert sent.startswith(b"%PDF")

    url = reverse("applications:attachment", args=[dossier.pk, attachment.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == sent
    assert response["Cache-Control"] == "private, no-store"

    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    assert anonymous_get(s3_storage, attachment.file.name) == 403


def test_an_issued_receipt_is_rendered_into_the_bucket_and_downloaded_by_its_holder_only(
        client, s3_storage, django_capture_on_commit_callbacks):
    holder = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):  # the rendering task, eager here
        document = document_issue(kind=DocumentKind.FILING_RECEIPT, holder=holder, subject=holder,
                                  template=RECEIPT_TEMPLATE, context=receipt_context())
    document.refresh_from_db()
    assert document.is_rendered
    stored = stored_bytes(s3_storage, document.file.name)
    assert stored.startswith(b"%PDF")

    url = reverse("documents:download", args=[document.pk])
    client.force_login(holder)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{document.number}.pdf"'
    assert b"".join(response.streaming_content) == stored

    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    assert anonymous_get(s3_storage, document.file.name) == 403


def test_a_csv_export_is_written_to_the_bucket_and_downloaded_by_its_requester_only(client, mails, s3_storage):
    dossier = filed()
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)
    export = request_export(client, mails)
    assert export.status == QueueExport.Status.READY and export.row_count == 1
    assert stored_bytes(s3_storage, export.file.name).startswith(b"\xef\xbb\xbf")

    url = reverse("backoffice_reports:export_download", args=[export.pk])
    _, rows = read_csv(client.get(url))
    assert [row[0] for row in rows[1:]] == [dossier.reference]

    client.logout()
    sign_in(client, StaffFactory(with_totp=True))  # an agent of the same prefecture, not the requester
    assert client.get(url).status_code == 404
    assert anonymous_get(s3_storage, export.file.name) == 403


def test_an_export_is_retried_while_the_object_store_is_away_then_marked_failed(settings):
    from botocore.config import Config
    from botocore.exceptions import EndpointConnectionError
    from celery.exceptions import Retry

    from anef.settings.storage import s3_storage_config
    from applications import tasks

    config = s3_storage_config(bucket="away", endpoint_url="http://127.0.0.1:9", region="us-east-1",
                               access_key="x", secret_key="y", addressing_style="path")
    config["OPTIONS"]["client_config"] = Config(retries={"max_attempts": 1}, connect_timeout=1)
    settings.STORAGES = {**settings.STORAGES, "default": config}  # nothing listens on port 9
    agent = StaffFactory()
    filed()
    export = QueueExport.objects.create(requested_by=agent, prefecture=prefecture("69"), filters={})

    with pytest.raises(Retry):  # passing trouble: Celery queues it again, the export waits
        tasks.export_queue.apply(args=[export.pk])
    export.refresh_from_db()
    assert export.status == QueueExport.Status.PENDING

    with pytest.raises(EndpointConnectionError):  # the last try: the person is told, and may ask again
        tasks.export_queue.apply(args=[export.pk], retries=tasks.EXPORT_MAX_RETRIES)
    export.refresh_from_db()
    assert export.status == QueueExport.Status.FAILED


def test_a_reports_evidence_lives_in_the_bucket_and_comes_back_through_the_secret_link_only(client, s3_storage):
    from substitution import services as reports

    opened = reports.report_open(channel="online", prefecture=prefecture("69"),
                                 contact=reports.Contact(last_name="X", phone="0612345678"),
                                 blockage=reports.Blockage(kind="other", files=[pdf_file()]))
    item = opened.report.evidence.get()
    stored = stored_bytes(s3_storage, item.file.name)
    assert stored.startswith(b"%PDF")

    url = reverse("substitution:follow_evidence", args=[opened.report.reference, opened.secret, item.pk])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == stored
    wrong = reverse("substitution:follow_evidence", args=[opened.report.reference, "nope", item.pk])
    assert client.get(wrong).status_code == 404
    assert anonymous_get(s3_storage, item.file.name) == 403


def test_a_document_is_rendered_again_later_while_the_object_store_is_away(settings):
    from botocore.config import Config
    from celery.exceptions import Retry

    from anef.settings.storage import s3_storage_config
    from documents import tasks

    holder = UserFactory()
    document = document_issue(kind=DocumentKind.FILING_RECEIPT, holder=holder, subject=holder,
                              template=RECEIPT_TEMPLATE, context=receipt_context())  # its task not run
    config = s3_storage_config(bucket="away", endpoint_url="http://127.0.0.1:9", region="us-east-1",
                               access_key="x", secret_key="y", addressing_style="path")
    config["OPTIONS"]["client_config"] = Config(retries={"max_attempts": 1}, connect_timeout=1)
    settings.STORAGES = {**settings.STORAGES, "default": config}  # nothing listens on port 9

    with pytest.raises(Retry):  # queued again with a backoff, not dropped
        tasks.render_document.apply(args=[document.pk])
    document.refresh_from_db()
    assert not document.is_rendered
