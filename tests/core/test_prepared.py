"""Queries built by the ORM once per process (``core.prepared``, issue 14): each gives what its
queryset gives, the SQL follows the language, and the shapes it cannot rebuild are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from applications.models import Dossier, Procedure
from appointments.models import Booking
from core import prepared
from core.prepared import PreparedQuery
from tests.backoffice.conftest import file_renewal
from tests.factories import DossierFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def as_rows(results) -> list:
    """What a reader of the results sees: for an instance, its class, primary key, loaded fields
    (with their values) and deferred ones."""
    rows = []
    for item in results:
        if hasattr(item, "_meta"):
            loaded = {f.attname: getattr(item, f.attname) for f in item._meta.concrete_fields
                      if f.attname not in item.get_deferred_fields()}
            rows.append((type(item), item.pk, loaded, item.get_deferred_fields(), item._state.db,
                         item._state.adding))
        else:
            rows.append(item)
    return rows


@pytest.fixture
def world():
    """A renewal filed (a permit, its certificate, a receipt), its card ready with a collection
    booked, and another person's file: what the dashboard's prepared queries read."""
    from tests.applications.test_permit_card import book_collection, ready

    dossier = ready(file_renewal(), StaffFactory())
    book_collection(dossier, starts_at=timezone.now() + timedelta(days=2))
    DossierFactory(status="draft", applicant=dossier.applicant)
    other = file_renewal(last_name="Martin", applicant=UserFactory(last_name="Martin"))
    return dossier.applicant, other.applicant


def values_for(query: PreparedQuery, person) -> dict:
    by_name = {"user_id": person.pk, "holder_id": person.pk, "subject_type": "applications.dossier"}
    return {name: by_name[name] for name in query.kinds}


def test_every_prepared_query_of_the_portal_gives_what_its_queryset_gives(world):
    import applications.selectors  # noqa: F401 - the modules that prepare the dashboard's queries
    import appointments.selectors  # noqa: F401
    import documents.selectors  # noqa: F401

    assert len(prepared.PREPARED) >= 4
    for query in prepared.PREPARED:
        if query.build.__module__.startswith("tests."):
            continue
        found = 0
        for person in world:
            values = values_for(query, person)
            expected = as_rows(query.build(**values))
            found += len(expected)
            assert as_rows(query(**values)) == expected
            with translation.override("en"):
                assert as_rows(query(**values)) == expected
        assert found, f"{query.build.__module__}: the world gives it nothing to compare"


def test_a_json_field_comes_back_decoded_and_a_deferred_field_is_read_on_access():
    dossier = DossierFactory(status="draft", answers={"identity": {"last_name": "Diallo"}})
    query = PreparedQuery(lambda pk: Dossier.objects.filter(pk=pk).only("answers"), pk=int)

    [found] = query(pk=dossier.pk)

    assert found.answers == {"identity": {"last_name": "Diallo"}}
    assert found.get_deferred_fields() >= {"status", "reference"}
    with CaptureQueriesContext(connection) as captured:
        assert found.status == "draft"
    assert len(captured) == 1


def test_annotations_values_lists_and_dates_are_rebuilt():
    dossier = DossierFactory(status="submitted")
    annotated = PreparedQuery(lambda pk: Dossier.objects.filter(pk=pk).only("id").annotate(next_id=F("id") + 1),
                              pk=int)
    pairs = PreparedQuery(lambda status: Dossier.objects.filter(status=status).values_list("id", "status"),
                          status=str)
    flat = PreparedQuery(lambda day: Dossier.objects.filter(created_at__date__lte=day).values_list("id", flat=True),
                         day=timezone.localdate().__class__)

    [found] = annotated(pk=dossier.pk)
    assert found.next_id == dossier.pk + 1
    assert pairs(status="submitted") == [(dossier.pk, "submitted")]
    assert pairs(status="draft") == []
    assert flat(day=timezone.localdate()) == [dossier.pk]
    assert flat(day=timezone.localdate() - timedelta(days=1)) == []


def test_the_sql_is_built_once_per_language_and_follows_it():
    built = []

    def build(code):
        built.append(translation.get_language())
        return Procedure.objects.filter(code=code).order_by("name").only("code")

    query = PreparedQuery(build, code=str)
    assert [p.code for p in query(code="renouvellement-salarie")] == ["renouvellement-salarie"]
    assert query(code="inconnue") == []
    with translation.override("en"):
        assert [p.code for p in query(code="renouvellement-salarie")] == ["renouvellement-salarie"]
        assert '"name_en"' in query.sql()
    assert '"name_fr"' in query.sql()
    assert built.count("fr") == 2 and built.count("en") == 2  # once each, and once each for sql()


def test_one_query_per_call():
    person = UserFactory()
    query = PreparedQuery(lambda user_id: Booking.objects.filter(person_id=user_id), user_id=int)
    query(user_id=person.pk)
    with CaptureQueriesContext(connection) as captured:
        assert query(user_id=person.pk) == []
    assert len(captured) == 1


@pytest.mark.parametrize(("build", "message"), [
    (lambda pk: Booking.objects.filter(pk=pk).select_related("slot"), "select_related"),
    (lambda pk: Booking.objects.filter(pk=pk).prefetch_related("slot"), "prefetch_related"),
    (lambda pk: Booking.objects.filter(pk=pk).values("pk"), "not preparable"),
    (lambda pk: [], "must return a QuerySet"),
    (lambda pk: Booking.objects.all(), "does not carry ['pk']"),
])
def test_what_cannot_be_rebuilt_exactly_is_refused_at_the_first_call(build, message):
    with pytest.raises(TypeError) as error:
        PreparedQuery(build, pk=int)(pk=1)
    assert message in str(error.value)


def test_a_lookup_that_rewrites_its_value_is_refused():
    query = PreparedQuery(lambda name: Procedure.objects.filter(code__icontains=name), name=str)
    with pytest.raises(TypeError) as error:
        query(name="salarie")
    assert "does not carry ['name']" in str(error.value)


def test_values_and_types_are_checked():
    with pytest.raises(TypeError) as error:
        PreparedQuery(lambda at: Booking.objects.filter(created_at=at), at=float)
    assert "no marker for the types of ['at']" in str(error.value)
    query = PreparedQuery(lambda pk: Booking.objects.filter(pk=pk), pk=int)
    with pytest.raises(TypeError) as error:
        query(id=1)
    assert "expected the values of ['pk'], got ['id']" in str(error.value)
