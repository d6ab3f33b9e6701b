"""Filing under real concurrency, on PostgreSQL: a double click or two tabs send the filing form
at the same moment. One request files the dossier; the others must land on the dossier page with
"already filed", never on an error page (issue 8, item 6)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from applications.models import DossierEvent, Status
from documents.models import IssuedDocument
from tests.applications.test_filing import EPHOTO, STAMP, filled_renewal
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL (CI runs it)"),
    pytest.mark.django_db(transaction=True),
]


def test_three_identical_filing_posts_at_once_file_once_and_none_fails():
    user = UserFactory()
    dossier = filled_renewal(user)
    url = reverse("applications:step", args=[dossier.pk, "review"])
    data = {"certify": "on", "tax_stamp_number": STAMP, "ephoto_code": EPHOTO}
    clients = []
    for _ in range(3):
        client = Client()
        client.force_login(user)
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    results: list[object] = [None] * len(clients)

    def post(index: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            response = clients[index].post(url, data)
            results[index] = (response.status_code, response["Location"])
        except Exception as error:  # a 500 in the view: the test client re-raises it
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    page = reverse("applications:dossier", args=[dossier.pk])
    assert results == [(302, page)] * 3
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED
    assert DossierEvent.objects.filter(dossier=dossier, kind="submitted").count() == 1
    assert IssuedDocument.objects.filter(subject_id=str(dossier.pk), kind="filing_receipt").count() == 1
    # One request filed it; the ones that lost the race tell the person it is filed already.
    pages = [client.get(page).content.decode().replace("&#x27;", "'") for client in clients]
    assert sum("Votre demande est envoyée." in html for html in pages) == 1
    assert sum("Cette demande est déjà envoyée : voici son suivi." in html for html in pages) == 2
