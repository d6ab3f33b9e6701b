"""The bookings about a file are read through an index, whatever their status: the agent's file
page, the applicant's dossier page and the biometrics state ask on every visit, and the unique
index on (subject, motive) holds only the active bookings. Without ``booking_subject_idx`` a
prefecture's millions of past bookings would be read on each of those pages."""

import pytest
from django.db import connection

from appointments.models import Booking

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan of PostgreSQL (CI runs it)"),
]


def test_the_bookings_about_a_file_are_read_through_an_index():
    sql, params = Booking.objects.filter(subject_type="applications.dossier", subject_id="42").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: the plan it would choose at scale
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "booking_subject_idx" in plan, plan
