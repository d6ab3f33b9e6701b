"""Issue 9, item 1, under real concurrency on PostgreSQL: two filings that each pass the checks
before either is saved. The database decides: one is filed, the other gets the same clear message
as when the checks catch it (never an error page, never two filed)."""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from applications.models import Status
from applications.services import dossier_submit, submission
from tests.applications.test_filing import EPHOTO, filled_renewal
from tests.applications.test_one_request_per_permit import second_renewal
from tests.factories import UserFactory, tax_stamp

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL (CI runs it)"),
    pytest.mark.django_db(transaction=True),
]


def file_at_once(dossiers, stamps, *, check_name):
    """Files each dossier in its own thread; every thread passes ``check_name`` (a check of the
    service) before any of them saves, which is the race the database constraint must settle."""
    barrier = threading.Barrier(len(dossiers))
    real = getattr(submission, check_name)
    waited = threading.local()

    def check_then_wait(*args, **kwargs):
        result = real(*args, **kwargs)
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait(timeout=30)
        return result

    results: list[object] = [None] * len(dossiers)

    def run(index: int) -> None:
        try:
            dossier = dossiers[index]
            results[index] = dossier_submit(dossier=dossier, by=dossier.applicant,
                                            tax_stamp_number=stamps[index], ephoto_code=EPHOTO)
        except Exception as error:  # noqa: BLE001 (the test looks at what each thread got)
            results[index] = error
        finally:
            connection.close()

    with mock.patch.object(submission, check_name, check_then_wait):
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(dossiers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    return results


def test_two_renewals_of_one_permit_filed_at_once_end_in_one_filed_and_one_clear_message():
    user = UserFactory()
    first = filled_renewal(user)
    second = second_renewal(user, first.renewed_permit, code="renouvellement-etudiant")

    results = file_at_once([first, second], [tax_stamp(), tax_stamp()], check_name="dossier_submission_readiness")

    filed = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(filed) == 1 and len(refused) == 1
    assert isinstance(refused[0], ValidationError)
    message = " ".join(refused[0].message_dict["renewed_permit"])
    assert f"le dossier n° {filed[0].reference}" in message
    for dossier in (first, second):
        dossier.refresh_from_db()
    assert sorted([first.status, second.status]) == sorted([Status.SUBMITTED, Status.DRAFT])


def test_one_tax_stamp_on_two_files_sent_at_once_ends_in_one_filed_and_one_clear_message():
    one, other = filled_renewal(UserFactory()), filled_renewal(UserFactory())
    stamp = tax_stamp()

    results = file_at_once([one, other], [stamp, stamp], check_name="_stamp_used")

    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], ValidationError)
    assert refused[0].message_dict["tax_stamp_number"] == [
        "Ce numéro de timbre fiscal a déjà servi pour une autre demande. Un timbre ne sert qu'une fois : "
        "vérifiez le numéro, ou achetez un nouveau timbre."
    ]
    for dossier in (one, other):
        dossier.refresh_from_db()
    assert sorted([one.status, other.status]) == sorted([Status.SUBMITTED, Status.DRAFT])
