"""The planner counts about two dossiers per applicant whatever ANALYZE's sample shows (migration
0012): with one account holding most dossiers, the dashboard's prepared query was planned anew on
every visit (docs/benchmarks.md, "Eighth pass")."""

import pytest
from django.db import connection

from accounts.models import User
from applications.models import Dossier
from tests.factories import DossierFactory, UserFactory

pytestmark = pytest.mark.django_db


def _rows_estimated(applicant: User) -> float:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) SELECT id FROM applications_dossier WHERE applicant_id = %s",
                       [applicant.pk])
        return cursor.fetchone()[0][0]["Plan"]["Plan Rows"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_one_account_holding_most_dossiers_does_not_make_everyone_look_like_it():
    owner, others = UserFactory(), [UserFactory() for _ in range(3)]
    DossierFactory.create_batch(60, applicant=owner, filed=True)
    for other in others:
        DossierFactory(applicant=other, filed=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE applications_dossier")
        # A generic plan (a prepared statement's) is priced for an applicant ANALYZE did not see:
        # about 2 rows, not the 63 rows of 4 applicants.
        cursor.execute("SELECT n_distinct FROM pg_stats WHERE tablename = 'applications_dossier' "
                       "AND attname = 'applicant_id'")
        assert cursor.fetchone()[0] == -0.5
    assert Dossier.objects.count() == 63
    assert _rows_estimated(User(pk=10**6)) <= 2
