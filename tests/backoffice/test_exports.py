"""CSV exports of the queue: the request, the task, the file and who may download it."""

import csv
import io
import time
from datetime import timedelta

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent, Role
from applications.backoffice.forms import queue_filters_from_querydict
from applications.backoffice.selectors import QueueFilters, queue_rows
from applications.backoffice.selectors import exports as export_selectors
from applications.clock import priority_for
from applications.models import QueueExport, search_name
from applications.services.exports import PENDING_LIMIT
from applications.tasks import export_queue
from tests.factories import DossierFactory, StaffFactory, UserFactory, prefecture, procedure

EXPORTS = reverse("backoffice_reports:exports")
RENEWAL = "renouvellement-salarie"
FIRST = "premiere-demande-salarie"


def sign_in(client, user):
    """A staff session with its second factor verified, as after the code page."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    client.get(EXPORTS)  # the first request of a session also stores its limits


def filed(*, status="submitted", code="69", kind=RENEWAL, last_name="Diallo", first_name="Amina", **fields):
    dossier = DossierFactory(
        status=status, prefecture=prefecture(code), procedure=procedure(kind),
        answers={"identity": {"last_name": last_name, "first_name": first_name}},
        search_name=search_name(last_name, first_name), **fields,
    )
    dossier.priority, dossier.priority_date = priority_for(dossier, timezone.localdate())
    dossier.save(update_fields=["priority", "priority_date"])
    return dossier


def read_csv(response) -> tuple[bytes, list[list[str]]]:
    raw = b"".join(response.streaming_content)
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def request_export(client, mails, query: str = "") -> QueueExport:
    with mails():
        response = client.post(f"{EXPORTS}?{query}" if query else EXPORTS)
    assert response.status_code == 302 and response["Location"] == EXPORTS
    return QueueExport.objects.latest("id")


@pytest.fixture
def queue():
    today = timezone.localdate()
    return {
        "at_risk": filed(last_name="Martin", first_name="Léa", permit_expires_on=today + timedelta(days=5),
                         legal_deadline=today + timedelta(days=12)),
        "overdue": filed(kind=FIRST, status="under_review", last_name="Nguyen", first_name="Minh",
                         legal_deadline=today - timedelta(days=4)),
        "recent": filed(kind=FIRST, legal_deadline=today + timedelta(days=85)),
        "paused": filed(status="complements_requested", legal_deadline=today + timedelta(days=10),
                        clock_paused_on=today - timedelta(days=2)),
        "closed": filed(status="card_delivered"),
        "elsewhere": filed(code="75", last_name="Secret"),
    }


@pytest.mark.django_db
def test_the_export_is_a_french_excel_csv_of_the_queue_in_priority_order(client, mails, queue):
    agent = StaffFactory(with_totp=True)
    queue["overdue"].assigned_to = agent
    queue["overdue"].save(update_fields=["assigned_to"])
    sign_in(client, agent)

    export = request_export(client, mails)
    assert export.status == QueueExport.Status.READY and export.row_count == 4
    assert export.filters["statuses"] == [] and export.prefecture == prefecture("69")

    response = client.get(reverse("backoffice_reports:export_download", args=[export.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="file-')
    assert response["Cache-Control"] == "private, no-store"
    raw, rows = read_csv(response)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte order mark
    assert raw.splitlines()[0].count(b";") == 9
    assert rows[0] == ["Référence", "Démarche", "Statut", "Préfecture", "Déposé le", "Échéance légale",
                       "Jours restants", "Droits menacés", "Agent en charge", "Demandeur"]
    today = timezone.localdate()
    assert [r[0] for r in rows[1:]] == [queue[k].reference for k in ("at_risk", "overdue", "recent", "paused")]
    at_risk, overdue, _recent, paused = rows[1:]
    assert at_risk[1:4] == [procedure(RENEWAL).name, "Déposé", prefecture("69").name]
    assert at_risk[4] == today.strftime("%d/%m/%Y")
    assert at_risk[5:8] == [(today + timedelta(days=12)).strftime("%d/%m/%Y"), "12", "oui"]
    assert at_risk[9] == "Léa MARTIN"  # as the file page and the PDFs name her
    assert overdue[6:9] == ["-4", "non", agent.get_full_name()]
    assert paused[6] == "12"  # the clock stopped two days ago, with 12 days left then
    assert "Secret" not in raw.decode("utf-8-sig")  # another prefecture's file
    assert AuditEvent.objects.filter(action="queue.export_downloaded", object_id=str(export.pk)).exists()


@pytest.mark.django_db
def test_the_queue_filters_apply(client, mails, queue):
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)
    export = request_export(client, mails, f"status=submitted&status=under_review&procedure={procedure(FIRST).pk}")
    assert export.row_count == 2
    _, rows = read_csv(client.get(reverse("backoffice_reports:export_download", args=[export.pk])))
    assert [r[0] for r in rows[1:]] == [queue["overdue"].reference, queue["recent"].reference]

    export = request_export(client, mails, "deadline=at_risk")
    assert export.row_count == 1
    export = request_export(client, mails, "q=nguyen")
    assert export.row_count == 1

    queue["recent"].assigned_to = agent
    queue["recent"].save(update_fields=["assigned_to"])
    export = request_export(client, mails, "assigned=me")  # "me" is the requester, read by the worker
    _, rows = read_csv(client.get(reverse("backoffice_reports:export_download", args=[export.pk])))
    assert [r[0] for r in rows[1:]] == [queue["recent"].reference]
    assert export.finished_at is not None


@pytest.mark.django_db
def test_the_rows_are_read_in_keyset_batches_without_gaps_or_repeats(client, mails, monkeypatch,
                                                                     django_assert_num_queries):
    today = timezone.localdate()
    # Ties on the priority date, so that the id decides the order within a day.
    made = [filed(legal_deadline=today + timedelta(days=20), submitted_at=timezone.now() - timedelta(days=n % 3))
            for n in range(7)]
    agent = StaffFactory()
    monkeypatch.setattr(export_selectors, "BATCH_SIZE", 2)
    with django_assert_num_queries(1 + 4):  # memberships, then 2 + 2 + 2 + 1 rows
        rows = list(queue_rows(user=agent, filters=QueueFilters()))
    expected = sorted(made, key=lambda d: (d.priority, d.priority_date, d.id))
    assert [r.id for r in rows] == [d.id for d in expected]


@pytest.mark.django_db
def test_only_the_requester_may_download_it(client, mails, queue):
    agent, colleague = StaffFactory(with_totp=True), StaffFactory(with_totp=True)
    sign_in(client, agent)
    export = request_export(client, mails)
    url = reverse("backoffice_reports:export_download", args=[export.pk])

    sign_in(client, colleague)  # same prefecture
    assert client.get(url).status_code == 404
    assert url not in client.get(EXPORTS).content.decode()  # not in their list either
    sign_in(client, StaffFactory(with_totp=True, supervisor=True))
    assert client.get(url).status_code == 404
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403  # applicants never reach the back-office


@pytest.mark.django_db
def test_an_agent_who_no_longer_instructs_cannot_download_their_old_export(client, mails, queue):
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)
    export = request_export(client, mails)
    agent.memberships.update(role=Role.SUPPORT, prefecture=None)  # moved to the national support

    response = client.get(reverse("backoffice_reports:export_download", args=[export.pk]))
    assert response.status_code == 403
    assert "Seuls les agents instructeurs et les chefs de bureau ont accès à cette page." in response.content.decode()


@pytest.mark.django_db
def test_a_purged_file_is_not_found(client, mails, queue):
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)
    export = request_export(client, mails)
    export.file.storage.delete(export.file.name)
    assert client.get(reverse("backoffice_reports:export_download", args=[export.pk])).status_code == 404


@pytest.mark.django_db
def test_the_list_shows_the_requester_exports_with_their_state(client, mails, queue):
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)
    ready = request_export(client, mails)
    QueueExport.objects.create(requested_by=agent, status=QueueExport.Status.FAILED)
    page = client.get(EXPORTS)
    assert page["Cache-Control"] == "private, no-store"
    html = page.content.decode()
    assert reverse("backoffice_reports:export_download", args=[ready.pk]) in html
    assert "Prêt" in html and "Échec" in html and "L'export a échoué" in html
    assert "Votre export est en préparation." in html  # the message after the request


@pytest.mark.django_db
def test_a_pending_export_appears_without_a_manual_refresh(client):
    """Regression: an export needed a manual refresh to appear. While one is pending, the table
    asks to be fetched again (static/js/portal.js) from a fragment of this page; once none is, it
    stops asking."""
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)
    export = QueueExport.objects.create(requested_by=agent)  # pending: the worker has not run yet
    html = client.get(EXPORTS).content.decode()
    assert f'<div id="exports" data-poll-url="{EXPORTS}?fragment=table">' in html
    assert "En préparation : cette page se met à jour toute seule." in html
    assert f'<a class="fr-link fr-text--sm" href="{EXPORTS}">Actualiser</a>' in html  # without JavaScript

    QueueExport.objects.filter(pk=export.pk).update(status=QueueExport.Status.FAILED)
    fragment = client.get(f"{EXPORTS}?fragment=table")
    assert fragment["Cache-Control"] == "private, no-store"
    html = fragment.content.decode()
    assert html.lstrip().startswith('<div id="exports">') and "<html" not in html
    assert "data-poll-url" not in html and "L'export a échoué" in html


@pytest.mark.django_db
def test_a_formula_in_a_name_is_not_evaluated_by_the_spreadsheet(client, mails):
    filed(last_name="=HYPERLINK(\"http://evil.example\")", first_name="@x")
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)
    export = request_export(client, mails)
    _, rows = read_csv(client.get(reverse("backoffice_reports:export_download", args=[export.pk])))
    assert rows[1][9] == "'@x =HYPERLINK(\"HTTP://EVIL.EXAMPLE\")"  # a leading @ is a formula too


@pytest.mark.django_db
def test_the_task_is_idempotent(client, mails, queue):
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)
    export = request_export(client, mails)
    name, finished_at = export.file.name, export.finished_at
    export_queue(export.pk)  # a duplicated message
    export.refresh_from_db()
    assert (export.file.name, export.finished_at) == (name, finished_at)
    export_queue(999_999)  # a deleted export: nothing to do


@pytest.mark.django_db
def test_a_failure_marks_the_export_failed(client, mails, monkeypatch):
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)

    def broken(**kwargs):
        raise ValueError("bug")

    monkeypatch.setattr("applications.tasks.queue_export_write", broken)
    with pytest.raises(ValueError):
        request_export(client, mails)
    export = QueueExport.objects.get()
    assert export.status == QueueExport.Status.FAILED
    assert export.finished_at is not None  # the list shows when it failed


@pytest.mark.django_db
def test_a_late_failure_never_hides_an_export_that_was_written_meanwhile():
    from applications.services.exports import queue_export_fail

    export = QueueExport.objects.create(requested_by=StaffFactory(), status=QueueExport.Status.READY)
    queue_export_fail(export=export)
    export.refresh_from_db()
    assert export.status == QueueExport.Status.READY


@pytest.mark.django_db
def test_a_person_may_prepare_only_a_few_exports_at_once(client, mails):
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)
    QueueExport.objects.bulk_create(QueueExport(requested_by=agent) for _ in range(PENDING_LIMIT))
    with mails():
        response = client.post(EXPORTS, follow=True)
    assert "exports en préparation" in response.content.decode()
    assert QueueExport.objects.count() == PENDING_LIMIT


@pytest.mark.django_db
def test_another_prefecture_cannot_be_exported(client, mails, queue):
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)
    with mails():
        response = client.post(f"{EXPORTS}?prefecture={prefecture('75').pk}")
    assert response.status_code == 403
    assert not QueueExport.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.SUPPORT])
def test_staff_without_a_prefecture_role_are_refused(client, role):
    sign_in(client, StaffFactory(with_totp=True, role=role))
    assert client.get(EXPORTS).status_code == 403
    assert client.post(EXPORTS).status_code == 403


def test_filters_are_parsed_like_the_queue_and_junk_is_dropped():
    query = QueryDict("status=submitted&status=draft&status=submitted&status=under_review&procedure=12"
                      "&prefecture=x&channel=fax&assigned=me&deadline=soon&q=+Diallo+&after=1.2026-01-01.5")
    assert queue_filters_from_querydict(query) == QueueFilters(
        prefecture=None, procedure=12, statuses=("submitted", "under_review"), channel="", assigned="me",
        deadline="", q="Diallo",
    )
    assert queue_filters_from_querydict(QueryDict("assigned=42&channel=paper&deadline=overdue")) == QueueFilters(
        assigned="42", channel="paper", deadline="overdue",
    )
    assert queue_filters_from_querydict(QueryDict("assigned=someone&q=" + "x" * 300)).assigned == ""
    assert len(queue_filters_from_querydict(QueryDict("q=" + "x" * 300)).q) == 100



@pytest.mark.django_db(transaction=True)
def test_a_worker_writes_the_export_after_the_request_commits(celery_worker, client):
    filed()
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)
    client.post(EXPORTS)
    export = QueueExport.objects.get()
    deadline = time.monotonic() + 30
    while export.status == QueueExport.Status.PENDING and time.monotonic() < deadline:
        time.sleep(0.1)
        export.refresh_from_db()
    assert export.status == QueueExport.Status.READY and export.row_count == 1
    assert client.get(reverse("backoffice_reports:export_download", args=[export.pk])).status_code == 200


@pytest.mark.django_db
def test_only_the_persons_own_exports_in_preparation_count_against_the_limit():
    from django.core.exceptions import ValidationError

    from applications.services.exports import queue_export_request

    agent = StaffFactory()
    QueueExport.objects.bulk_create(QueueExport(requested_by=StaffFactory()) for _ in range(PENDING_LIMIT))
    QueueExport.objects.bulk_create(QueueExport(requested_by=agent, status=QueueExport.Status.READY)
                                    for _ in range(PENDING_LIMIT))
    for _ in range(PENDING_LIMIT):  # still in preparation: no commit, so no task has run
        queue_export_request(user=agent, filters=QueueFilters())
    with pytest.raises(ValidationError) as refusal:
        queue_export_request(user=agent, filters=QueueFilters())
    assert refusal.value.messages == ["Vous avez déjà 3 exports en préparation : attendez qu'ils soient prêts."]


@pytest.mark.django_db
def test_an_agent_of_two_prefectures_exports_both_and_the_request_is_audited(mails):
    from accounts.models import Membership
    from applications.services.exports import queue_export_request

    agent = StaffFactory()
    Membership.objects.create(user=agent, role=Role.AGENT, prefecture=prefecture("75"))
    lyon, paris = filed(code="69"), filed(code="75")
    with mails():
        export = queue_export_request(user=agent, filters=QueueFilters(q="diallo"))
    export.refresh_from_db()
    assert export.prefecture is None and export.row_count == 2  # both prefectures' files
    rows = list(csv.reader(io.StringIO(export.file.read().decode("utf-8-sig")), delimiter=";"))
    assert sorted(row[0] for row in rows[1:]) == sorted([lyon.reference, paris.reference])
    audit = AuditEvent.objects.get(action="queue.export_requested")
    assert (audit.actor, audit.object_id, audit.data) == (agent, str(export.pk), export.filters)
    assert audit.data["q"] == "diallo"
