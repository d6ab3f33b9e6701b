"""What stands between a draft and its filing, read once (issue 10: the review page and the
filing service each worked out the renewal timing and the missing items)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.selectors import dossier_submission_readiness
from applications.services import dossier_submit_check
from tests.applications.helpers import renewable_permit
from tests.applications.test_filing import EPHOTO, STAMP, filled_renewal
from tests.factories import DossierFactory, UserFactory, procedure

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("days_left", "timing"), [(200, "not_yet"), (90, "open"), (30, "closed")])
def test_a_renewal_is_early_on_time_or_late_by_its_permits_end(days_left, timing):
    readiness = dossier_submission_readiness(dossier=filled_renewal(UserFactory(), days_left=days_left))
    assert readiness.timing == timing
    assert readiness.missing == [] and readiness.in_progress is None


def test_only_a_renewal_has_a_renewal_timing():
    """A first request that names a permit (a change of status) is never "too early" to file."""
    user = UserFactory()
    dossier = DossierFactory(applicant=user, procedure=procedure("premiere-demande-etudiant"),
                             renewed_permit=renewable_permit(user, days_left=400))
    assert dossier_submission_readiness(dossier=dossier).timing is None
    errors = dossier_submit_check(dossier=dossier, tax_stamp_number=STAMP, ephoto_code=EPHOTO)
    assert not any("à partir du" in message for error in errors.get("__all__", []) for message in error.messages)


def test_a_refused_filing_form_reads_what_is_missing_once(client):
    """The review page worked out the missing items and the renewal timing, then asked the service,
    which worked them out again; now the page reads them once and hands them to the check."""
    user = UserFactory()
    dossier = filled_renewal(user, days_left=30)  # late: the form asks to confirm
    dossier.attachments.all().delete()
    client.force_login(user)
    url = reverse("applications:step", args=[dossier.pk, "review"])
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, {"tax_stamp_number": STAMP, "ephoto_code": EPHOTO})  # not certified
    page = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 200
    assert "Pièce manquante" in page and "Confirmez que vous avez compris" in page
    missing_reads = [q["sql"] for q in queries.captured_queries
                     if q["sql"].startswith('SELECT "applications_attachment"."document_type_id" AS')]
    assert len(missing_reads) == 1
    assert dossier.renewed_permit.valid_until == timezone.localdate() + timedelta(days=30)
