"""Queries built by the ORM once per process (``core.prepared``, issue 14): each gives what its
queryset gives (with its ``select_related`` instances and its ``IN`` lists), the SQL follows the
language, and the shapes it cannot rebuild are refused."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.models import Membership
from applications.clock import QUEUE_STATUSES
from applications.models import Dossier, Procedure
from applications.services import complements_request
from appointments.models import Booking, SlotOffer, WaitlistEntry
from core import prepared
from core.prepared import PreparedQuery
from tests.backoffice.conftest import file_renewal
from tests.factories import DossierFactory, StaffFactory, UserFactory, prefecture

pytestmark = pytest.mark.django_db


def as_rows(results) -> list:
    """What a reader of the results sees: for an instance, its class, primary key, loaded fields
    (with their values), deferred ones, and the related instances ``select_related`` cached on it
    (the same, or None for a null foreign key)."""
    return [as_row(item) for item in results]


def as_row(item, depth: int = 0):
    if not hasattr(item, "_meta"):
        return item
    loaded = {f.attname: getattr(item, f.attname) for f in item._meta.concrete_fields
              if f.attname not in item.get_deferred_fields()}
    related = {name: as_row(value, depth + 1) for name, value in sorted(item._state.fields_cache.items())
               } if depth < 3 else {}
    return (type(item), item.pk, loaded, item.get_deferred_fields(), item._state.db, item._state.adding, related)


@pytest.fixture
def world():
    """The cases each prepared query is run with (the values of their parameters, by name).

    An applicant with a renewal filed (a permit, its certificate, a receipt), its card ready with a
    collection booked, and a draft; another person's file, given to an agent of the Rhône; an agent
    of two prefectures, whose memberships have a prefecture and no site; a mediator, whose
    membership has a site and no prefecture (null foreign keys for ``select_related``), with no
    prefecture to read (empty ``IN`` lists)."""
    from tests.applications.test_permit_card import book_collection, ready

    dossier = ready(file_renewal(), StaffFactory())
    book_collection(dossier, starts_at=timezone.now() + timedelta(days=2))
    booking = Booking.objects.filter(person=dossier.applicant).first()  # a seat offered from a waiting list too
    entry = WaitlistEntry.objects.create(person=dossier.applicant, motive=booking.motive, site=booking.slot.desk.site)
    SlotOffer.objects.create(entry=entry, slot=booking.slot, expires_at=timezone.now() + timedelta(hours=1))
    DossierFactory(status="draft", applicant=dossier.applicant)
    agent = StaffFactory(last_name="Bernard", with_totp=True)
    agent.memberships.create(role="supervisor", prefecture=prefecture("33"))
    other = file_renewal(last_name="Martin", applicant=UserFactory(last_name="Martin"))
    Dossier.objects.filter(pk=other.pk).update(assigned_to=agent)
    complements_request(dossier=other, by=StaffFactory(), document_types=[
        other.procedure.requirements.first().document_type], message="Moins de trois mois.",
        due_on=timezone.localdate() + timedelta(days=15))
    from tests.mediation.conftest import make_pan
    from tests.mediation.helpers import visit

    pan = make_pan("69")
    mediator = StaffFactory(mediator=True, role__site=pan)
    today = timezone.now()
    visit(by=mediator, site=pan, minutes=20, person=dossier.applicant)
    visit(by=mediator, site=pan, last_name="Traoré")  # in progress, no account
    start, end = today - timedelta(hours=2), today + timedelta(hours=1)
    rhone, gironde = prefecture("69").pk, prefecture("33").pk
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session["seen"] = True
    session.create()
    applicant = dossier.applicant
    own = {"dossier_id": dossier.pk, "procedure_id": dossier.procedure_id, "subject_id": str(dossier.pk)}
    first = {"user_id": applicant.pk, "holder_id": applicant.pk, "subject_type": "applications.dossier",
             "prefecture_ids": [rhone], "statuses": list(QUEUE_STATUSES), "priority": 0, "day": date(2000, 1, 1),
             "pk": 0, "device_id": 0, "session_key": session.session_key, "now": today, "request_ids": [], **own}
    return [
        {**first, "permit_id": dossier.renewed_permit_id, "site_id": pan.pk, "start": start, "end": end},
        {**first, "pk": dossier.pk, "permit_id": dossier.renewed_permit_id, "site_id": pan.pk, "start": start,
         "end": end},  # the applicant's own dossier page
        {"user_id": agent.pk, "holder_id": other.applicant_id, "subject_type": "applications.dossier",
         "prefecture_ids": [gironde, rhone, rhone], "statuses": ["submitted", "card_ready"],
         "priority": other.priority, "day": date(2000, 1, 1), "pk": other.pk, "dossier_id": other.pk,
         "subject_id": str(other.pk), "procedure_id": other.procedure_id, "permit_id": other.renewed_permit_id or 0,
         "site_id": pan.pk, "start": end, "end": end + timedelta(days=1),
         "device_id": agent.totpdevice_set.get().pk, "session_key": "", "now": today,
         "request_ids": list(other.complement_requests.values_list("pk", flat=True))},
        {"user_id": mediator.pk, "holder_id": mediator.pk, "subject_type": "applications.dossier",
         "prefecture_ids": [], "statuses": [], "priority": 0, "day": date(2000, 1, 1), "pk": 0, "dossier_id": 0,
         "subject_id": "", "procedure_id": 0, "permit_id": 0, "site_id": 0, "start": start, "end": end,
         "device_id": 0, "session_key": session.session_key, "now": end + timedelta(days=30), "request_ids": []},
    ]


def test_every_prepared_query_of_the_portal_gives_what_its_queryset_gives(world):
    import accounts.selectors  # noqa: F401 - the modules that prepare queries
    import applications.backoffice.selectors  # noqa: F401
    import applications.selectors  # noqa: F401
    import appointments.selectors  # noqa: F401
    import documents.selectors  # noqa: F401
    import mediation.selectors  # noqa: F401
    import notifications.selectors  # noqa: F401

    assert len(prepared.PREPARED) >= 19
    for query in prepared.PREPARED:
        if query.build.__module__.startswith("tests."):
            continue
        found = 0
        for case in world:
            values = {name: case[name] for name in query.kinds}
            expected = as_rows(query.build(**values))
            found += len(expected)
            assert as_rows(query(**values)) == expected, query.build.__module__
            with translation.override("en"):  # a translated model's fields read in the language
                assert as_rows(query(**values)) == as_rows(query.build(**values)), query.build.__module__
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
    # built twice per compilation (the second set of markers checks the first): once each, and once each for sql()
    assert built.count("fr") == 4 and built.count("en") == 4


def test_one_query_per_call():
    person = UserFactory()
    query = PreparedQuery(lambda user_id: Booking.objects.filter(person_id=user_id), user_id=int)
    query(user_id=person.pk)
    with CaptureQueriesContext(connection) as captured:
        assert query(user_id=person.pk) == []
    assert len(captured) == 1


def test_select_related_is_rebuilt_as_the_orm_does_a_null_foreign_key_giving_none():
    agent = StaffFactory(role__code="33")
    mediator = StaffFactory(mediator=True)
    query = PreparedQuery(lambda user_id: Membership.objects.filter(user_id=user_id).select_related(
        "prefecture__department", "site__prefecture").order_by("id"), user_id=int)

    for person in (agent, mediator):
        assert as_rows(query(user_id=person.pk)) == as_rows(query.build(user_id=person.pk))
    [of_agent] = query(user_id=agent.pk)
    [of_mediator] = query(user_id=mediator.pk)
    with CaptureQueriesContext(connection) as captured:
        assert of_agent.site is None
        assert of_agent.prefecture.department.code == "33"
        assert of_mediator.prefecture is None
        assert of_mediator.site.prefecture.pk == of_mediator.site.prefecture_id
    assert len(captured) == 0, "the related instances come with the row"


def test_a_one_to_one_caches_its_row_on_the_related_instance_too():
    """The reverse side of a one-to-one is set as the ORM sets it (``remote_setter``)."""
    delivered, filed = DossierFactory(delivered=True), DossierFactory(filed=True)
    query = PreparedQuery(lambda pk: Dossier.objects.filter(pk=pk).select_related("issued_permit"), pk=int)

    for dossier in (delivered, filed):
        assert as_rows(query(pk=dossier.pk)) == as_rows(query.build(pk=dossier.pk))
    [found] = query(pk=delivered.pk)
    with CaptureQueriesContext(connection) as captured:
        assert found.issued_permit.dossier is found
    assert len(captured) == 0


def test_instances_are_built_as_from_db_builds_them_and_signals_still_reach_their_receivers():
    """Without a receiver of ``pre_init``/``post_init``, instances are made directly with the same
    state as ``from_db``'s; with one (a translated procedure: modeltranslation listens; or one
    connected now), through ``from_db``, which sends them."""
    from django.db.models.signals import post_init

    dossier = DossierFactory(status="submitted", assigned_to=StaffFactory())
    query = PreparedQuery(lambda pk: Dossier.objects.filter(pk=pk).select_related(
        "procedure", "applicant", "assigned_to").only("reference", "procedure__code", "applicant__last_name",
                                                      "assigned_to__last_name", "status"), pk=int)
    [found] = query(pk=dossier.pk)
    assert as_rows([found]) == as_rows(query.build(pk=dossier.pk))
    assert found._state.adding is False and found._state.db == "default"
    assert found.applicant._state.adding is False and found.get_deferred_fields() >= {"answers"}
    with CaptureQueriesContext(connection) as captured:
        assert found.procedure.code and found.assigned_to.last_name and found.applicant.last_name
    assert len(captured) == 0

    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(type(instance).__name__)

    post_init.connect(receiver, sender=Dossier)
    try:
        assert as_rows(query(pk=dossier.pk)) == as_rows(query.build(pk=dossier.pk))
    finally:
        post_init.disconnect(receiver, sender=Dossier)
    assert seen == ["Dossier", "Dossier"], "once for the prepared query, once for the queryset"
    assert as_rows(query(pk=dossier.pk)) == as_rows(query.build(pk=dossier.pk))
    assert seen == ["Dossier", "Dossier"], "the receiver gone, the instances are made directly again"


def test_the_instance_makers_are_chosen_again_only_when_a_receiver_comes_or_goes(monkeypatch):
    """``_Builder.for_this_call`` (a dozen calls per model) is asked once per query and set of
    ``pre_init``/``post_init`` receivers, not at each call."""
    from django.db.models.signals import pre_init

    dossier = DossierFactory(status="submitted", assigned_to=StaffFactory())
    query = PreparedQuery(lambda pk: Dossier.objects.filter(pk=pk).select_related("procedure", "applicant"), pk=int)
    asked = []
    choose = prepared._Builder.for_this_call
    monkeypatch.setattr(prepared._Builder, "for_this_call", lambda self: asked.append(self.model) or choose(self))
    for _ in range(3):
        assert as_rows(query(pk=dossier.pk)) == as_rows(query.build(pk=dossier.pk))
    assert len(asked) == 3, "the dossier, its procedure and its applicant, once"

    def receiver(sender, **kwargs):
        pass

    pre_init.connect(receiver, sender=Dossier)
    try:
        query(pk=dossier.pk)
        assert len(asked) == 6
        [found] = query(pk=dossier.pk)
        assert len(asked) == 6
    finally:
        pre_init.disconnect(receiver, sender=Dossier)
    query(pk=dossier.pk)
    assert len(asked) == 9
    assert found.procedure.pk == dossier.procedure_id


def test_a_list_parameter_gives_what_the_in_lookup_gives_with_its_sql_built_once_per_length():
    first, second, third = (DossierFactory(status="submitted") for _ in range(3))
    built = []

    def build(ids):
        built.append(len(ids))
        return Dossier.objects.filter(pk__in=ids).order_by("id").values_list("id", flat=True)

    query = PreparedQuery(build, ids=list[int])
    assert query(ids=[second.pk, first.pk]) == [first.pk, second.pk]
    assert query(ids=[third.pk, first.pk]) == [first.pk, third.pk]
    assert query(ids=[third.pk, None, third.pk, second.pk]) == list(build([third.pk, None, third.pk, second.pk]))
    assert query(ids=[third.pk]) == [third.pk]
    # built twice (two sets of markers) once per number of distinct values; the 4: the ORM call of the third line
    assert built == [2, 2, 4, 1, 1]
    with CaptureQueriesContext(connection) as captured:
        assert query(ids=[]) == list(build([])) == []
    assert len(captured) == 0, "an empty IN list runs nothing, as the ORM does"


def test_an_empty_list_in_an_or_keeps_the_other_branch():
    dossier = DossierFactory(status="submitted")
    query = PreparedQuery(lambda ids, status: Dossier.objects.filter(Q(pk__in=ids) | Q(status=status)).values_list(
        "id", flat=True), ids=list[int], status=str)
    assert query(ids=[], status="submitted") == list(query.build(ids=[], status="submitted")) == [dossier.pk]
    assert query(ids=[], status="draft") == []


def test_a_list_longer_than_the_prepared_lengths_runs_the_queryset():
    dossiers = [DossierFactory(status="submitted").pk for _ in range(2)]
    query = PreparedQuery(lambda ids: Dossier.objects.filter(pk__in=ids).order_by("id").values_list("id", flat=True),
                          ids=list[int])
    many = dossiers + list(range(10**6, 10**6 + prepared.MAX_LIST_LENGTH))
    assert query(ids=many) == sorted(dossiers)
    assert query._compiled == {}, "no SQL kept for that length"


@pytest.mark.parametrize(("build", "message"), [
    (lambda pk: Booking.objects.filter(pk=pk).prefetch_related("slot"), "prefetch_related"),
    (lambda pk: Booking.objects.filter(pk=pk).values("pk"), "not preparable"),
    (lambda pk: [], "must return a QuerySet"),
    (lambda pk: Booking.objects.all(), "does not carry ['pk']"),
])
def test_what_cannot_be_rebuilt_exactly_is_refused_at_the_first_call(build, message):
    with pytest.raises(TypeError) as error:
        PreparedQuery(build, pk=int)(pk=1)
    assert message in str(error.value)


@pytest.mark.parametrize("build", [
    lambda pk: Dossier.objects.filter(Q(pk=pk) | Q(pk=30_001)),  # the first marker of an int
    lambda pk: Dossier.objects.filter(pk=pk, created_at__lte=timezone.now()),
])
def test_a_query_whose_sql_changes_beyond_its_parameters_is_refused(build):
    with pytest.raises(TypeError) as error:
        PreparedQuery(build, pk=int)(pk=1)
    assert "the SQL changes with the values beyond its parameters" in str(error.value)


def test_a_lookup_that_rewrites_its_value_is_refused():
    query = PreparedQuery(lambda name: Procedure.objects.filter(code__icontains=name), name=str)
    with pytest.raises(TypeError) as error:
        query(name="salarie")
    assert "does not carry ['name']" in str(error.value)


def test_values_and_types_are_checked():
    with pytest.raises(TypeError) as error:
        PreparedQuery(lambda at: Booking.objects.filter(created_at=at), at=float)
    assert "no marker for the types of ['at']" in str(error.value)
    with pytest.raises(TypeError) as error:
        PreparedQuery(lambda ats: Booking.objects.filter(created_at__in=ats), ats=list[float])
    assert "no marker for the types of ['ats']" in str(error.value)
    query = PreparedQuery(lambda pk: Booking.objects.filter(pk=pk), pk=int)
    with pytest.raises(TypeError) as error:
        query(id=1)
    assert "expected the values of ['pk'], got ['id']" in str(error.value)


def test_a_date_or_an_instant_the_backend_sends_as_text_is_still_a_parameter(monkeypatch):
    """SQLite (``make run``'s database) sends dates and instants as text: the marker is found in
    that form, and each call's value goes through the same adaptation (a regression: the queue's
    next page raised TypeError there)."""
    from django.db import connection

    monkeypatch.setattr(connection.ops, "adapt_datefield_value", lambda value: value and value.isoformat())
    monkeypatch.setattr(connection.ops, "adapt_datetimefield_value", lambda value: value and value.isoformat())
    old, new = DossierFactory(status="submitted"), DossierFactory(status="submitted")
    Dossier.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3),
                                             priority_date=date(2026, 1, 5))
    Dossier.objects.filter(pk=new.pk).update(priority_date=date(2026, 3, 1))
    by_day = PreparedQuery(lambda day: Dossier.objects.filter(priority_date__gte=day).values_list("id", flat=True),
                           day=date)
    since = PreparedQuery(lambda at: Dossier.objects.filter(created_at__gte=at).values_list("id", flat=True),
                          at=datetime)

    sent = []

    def spy(execute, sql, params, many, context):
        sent.extend(params or ())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        assert by_day(day=date(2026, 2, 1)) == [new.pk]
    assert "2026-02-01" in sent  # as the backend sends it
    assert sorted(by_day(day=date(2026, 1, 1))) == sorted([old.pk, new.pk])
    assert since(at=timezone.now() - timedelta(days=1)) == [new.pk]
    assert sorted(since(at=timezone.now() - timedelta(days=5))) == sorted([old.pk, new.pk])


def _device_and_memberships():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = prepared.PreparedQuery(lambda device_id: TOTPDevice.objects.filter(id=device_id), device_id=int)
    memberships = prepared.PreparedQuery(lambda user_id: Membership.objects.filter(user_id=user_id).select_related(
        "prefecture__department", "site__prefecture").order_by("role", "id"), user_id=int)
    return device, memberships


def test_a_pair_gives_what_each_query_gives_in_one_statement():
    from tests.mediation.conftest import make_pan

    agent = StaffFactory(with_totp=True, role__code="33", last_name="Bernard")
    agent.memberships.create(role="supervisor", prefecture=prefecture("69"))
    agent.memberships.create(role="mediator", site=make_pan("69"))
    device_query, memberships_query = _device_and_memberships()
    pair = prepared.PreparedPair(device_query, memberships_query)
    device_id = agent.totpdevice_set.get().pk
    other = StaffFactory(with_totp=True)
    cases = [(device_id, agent.pk), (0, agent.pk), (device_id, UserFactory().pk), (0, 0),
             (other.totpdevice_set.get().pk, agent.pk)]  # another person's device: the caller checks whose
    pair(one={"device_id": device_id}, many={"user_id": agent.pk})
    for device, user in cases:
        with CaptureQueriesContext(connection) as captured:
            ones, many = pair(one={"device_id": device}, many={"user_id": user})
            manys = many()
        # one statement on PostgreSQL; elsewhere (SQLite: ``make run``) each on its own
        assert len(captured) == (1 if connection.vendor == "postgresql" else 2)
        assert as_rows(ones) == as_rows(device_query.build(device_id=device))
        assert as_rows(manys) == as_rows(memberships_query.build(user_id=user))
        with translation.override("en"):
            ones, many = pair(one={"device_id": device}, many={"user_id": user})
            assert as_rows(many()) == as_rows(memberships_query.build(user_id=user))
    assert [m.role for m in pair(one={"device_id": 0}, many={"user_id": agent.pk})[1]()] == [
        "agent", "mediator", "supervisor"]  # in the query's own order
    assert ('LEFT JOIN (SELECT "otp_totp_totpdevice"' in pair.sql()) == (connection.vendor == "postgresql")


def test_a_pair_refuses_a_first_query_of_more_than_one_row_and_list_parameters():
    agent = StaffFactory()
    StaffFactory()
    _device, memberships_query = _device_and_memberships()
    every_membership = prepared.PreparedQuery(lambda user_id: Membership.objects.exclude(user_id=user_id), user_id=int)
    if connection.vendor == "postgresql":  # one statement there only
        with pytest.raises(RuntimeError, match="more than one row"):
            prepared.PreparedPair(every_membership, memberships_query)(one={"user_id": 0}, many={"user_id": agent.pk})
    listed = prepared.PreparedQuery(lambda ids: Membership.objects.filter(id__in=ids), ids=list[int])
    with pytest.raises(TypeError, match="list parameters"):
        prepared.PreparedPair(listed, memberships_query)
    with pytest.raises(TypeError, match="expected the values"):
        prepared.PreparedPair(_device, memberships_query)(one={"id": 1}, many={"user_id": 1})
