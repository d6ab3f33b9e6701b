"""Issue 14: the number of queries of every main page, one per persona, asserted (after a first
request: the session's first write and the cached fragments are not what a visitor meets)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.backoffice.conftest import file_renewal, sign_in
from tests.factories import StaffFactory, UserFactory
from tests.mediation.conftest import make_pan

pytestmark = pytest.mark.django_db

#: A staff request reads its authenticator and memberships in one statement on PostgreSQL
#: (``core.prepared.PreparedPair``), in two elsewhere (SQLite: ``make run``, ``make test`` without
#: ``DATABASE_URL``); and the file page its procedure's pieces with the dossier there only; the
#: applicant's dossier page its pieces with the dossier there only.
ON_SQLITE = 0 if connection.vendor == "postgresql" else 1


def queries(client, url: str) -> list[str]:
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("url", [reverse("home"), reverse("help"), reverse("applications:catalogue")])
def test_the_public_pages_cost_no_query(client, url):
    assert queries(client, url) == []


def test_the_applicant_dashboard(client):
    dossier = file_renewal()
    client.force_login(dossier.applicant)

    # the session, the person, the dossiers (which tell whether any booking is active and whether
    # the person holds a continuity document), the permits. Issue 17, second round: 5 → 4, the
    # documents in force read only when the dossiers' query says there is one.
    assert len(queries(client, reverse("applications:dashboard"))) == 4


def test_the_applicant_dashboard_with_an_appointment(client):
    """Issue 14: the bookings are read (joined with their slot, desk, site and motive) only when
    the dossiers' query found some active: one more query then."""
    from tests.applications.test_permit_card import book_collection, ready

    dossier = ready(file_renewal(), StaffFactory())
    book_collection(dossier, starts_at=timezone.now() + timedelta(days=2))
    client.force_login(dossier.applicant)

    assert len(queries(client, reverse("applications:dashboard"))) == 6


def test_the_agent_queue(client):
    agent = StaffFactory(with_totp=True)
    for last_name in ("Diallo", "Martin", "Nguyen"):
        file_renewal(last_name=last_name, applicant=UserFactory(last_name=last_name))
    sign_in(client, agent)

    # the procedure filter's options are cached with the catalogue (issue 14): not among them
    sql = queries(client, reverse("backoffice_instruction:queue"))
    # 8 → 6 (eighth pass): the authenticator and the memberships in one statement; the menu's
    # "Guichets" entry answered by the memberships' query, not by one of its own
    assert len(sql) == 6 + ON_SQLITE
    assert not any('FROM "applications_procedure" ORDER BY' in query for query in sql)


def test_the_mediator_day(client):
    pan = make_pan()
    mediator = StaffFactory(mediator=True, role__site=pan, with_totp=True)
    sign_in(client, mediator)

    url = reverse("mediation_backoffice:day", args=[pan.pk, timezone.localdate().isoformat()])
    # 5 since issue 17's seventh pass: a mediator's own PAN comes with their memberships, not a query;
    # 4 since its eighth: the memberships come with the authenticator, in one statement
    assert len(queries(client, url)) == 4 + ON_SQLITE


def test_the_agent_file_page(client):
    """Issue 14: the file page of a renewal under review (its pieces, their review forms, its
    timeline). The blank forms are rendered once per process: the complements form's document types
    and, for a supervisor, the assignment form's agents are not read again (one query each)."""
    from applications.services import dossier_mark_complete

    agent = StaffFactory(with_totp=True)
    supervisor = StaffFactory(supervisor=True, with_totp=True)
    dossier = dossier_mark_complete(dossier=file_renewal(), by=agent)
    url = reverse("backoffice_instruction:dossier", args=[dossier.pk])

    sign_in(client, agent)
    sql = queries(client, url)
    # 14 → 12, 15 → 13 (eighth pass): the authenticator and the memberships in one statement; the
    # menu's "Guichets" entry answered by the memberships' query, not by one of its own
    # 12 → 7 (issue 17's file-page pass): the other requests for the same permit come with the
    # dossier, and so do whether it has an open complement request and a booking (read only then)
    # and the procedure's pieces (the complements form's key)
    assert len(sql) == 7 + 2 * ON_SQLITE, "\n".join(sql)
    assert not any(query.startswith('SELECT "applications_documenttype"') for query in sql)
    assert not any(query.startswith(('SELECT "applications_complementrequest"', 'SELECT "appointments_booking"')
                                    + ('SELECT "applications_proceduredocument"',) * (not ON_SQLITE)) for query in sql)
    sign_in(client, supervisor)
    assert len(queries(client, url)) == 8 + 2 * ON_SQLITE  # and the prefecture's agents, for the assignment form


def test_the_applicant_dossier_page(client):
    """Session, user, the dossier (with its procedure, prefecture, renewed permit and applicant),
    its pieces, timeline, documents and the procedure's pieces: each built once per process
    (``core.prepared``, issue 14). Issue 17: 8 → 7, no booking read when the dossier's query found
    that the applicant has none about a dossier. Issue 17, second round: 7 → 6, the procedure's
    pieces are kept per language and catalogue version (``selectors.procedure_document_types``).
    Issue 17, third round: 6 → 4, its pieces and its documents read in the dossier's statement
    (``PreparedPair``, and the documents as JSON: ``selectors._PageDocuments``)."""
    dossier = file_renewal()
    client.force_login(dossier.applicant)

    sql = queries(client, reverse("applications:dossier", args=[dossier.pk]))
    assert len(sql) == 4 + ON_SQLITE, "\n".join(sql)
    assert not any(query.startswith(('SELECT "documents_issueddocument"',)
                                    + ('SELECT "applications_attachment"',) * (not ON_SQLITE)) for query in sql)


def test_the_applicant_dossier_page_with_an_appointment(client):
    """With a booking about a dossier, its bookings are read: one query more, and the page shows it."""
    from tests.applications.test_permit_card import book_collection, ready

    dossier = ready(file_renewal(), StaffFactory())
    booking = book_collection(dossier, starts_at=timezone.now() + timedelta(days=2))
    client.force_login(dossier.applicant)
    url = reverse("applications:dossier", args=[dossier.pk])

    # 8 → 7: the procedure's pieces kept; 7 → 5: the pieces and documents with the dossier
    assert len(queries(client, url)) == 5 + ON_SQLITE
    assert reverse("appointments:detail", args=[booking.pk]) in client.get(url).content.decode()


def test_the_applicant_dossier_page_with_complements_requested(client):
    """The open complement request and the pieces it asks for: two more queries (the ORM's)."""
    from applications.services import complements_request

    dossier = file_renewal()
    complements_request(dossier=dossier, by=StaffFactory(), message="La page 2 manque.",
                        document_types=[], due_on=timezone.localdate() + timedelta(days=15))
    client.force_login(dossier.applicant)

    # Issue 17: 10 → 9, no booking read (as above); then 9 → 8, the procedure's pieces kept; then
    # 8 → 6, the pieces and documents with the dossier.
    assert len(queries(client, reverse("applications:dossier", args=[dossier.pk]))) == 6 + ON_SQLITE


def test_the_applicant_appointments(client):
    """Session, user, the person's bookings (with slot, desk, site and motive), and the pending
    offers only when the bookings' query says there is one or there is no booking (issue 17): the
    reads built once per process (``core.prepared``, issue 14)."""
    dossier = file_renewal()
    client.force_login(dossier.applicant)

    assert len(queries(client, reverse("appointments:list"))) == 4  # no booking: the offers read


def test_the_applicant_messages(client):
    """Session, user, and the first page with the number of messages and of the unread ones (one
    query, window counts: issue 17), built once per process (``core.prepared``, issue 14); another
    page reads the numbers apart."""
    dossier = file_renewal()
    client.force_login(dossier.applicant)

    assert len(queries(client, reverse("notifications:inbox"))) == 3
    assert len(queries(client, reverse("notifications:inbox") + "?page=2")) == 4
