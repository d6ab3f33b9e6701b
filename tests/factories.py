"""Test factories and the small helpers that go with them. A test states its situation in one line.

- ``UserFactory``: an applicant whose e-mail address is verified (``unverified=True``: not yet;
  ``without_email=True``: an account made at a desk for a person with no address, no phone).
- ``StaffFactory``: a member of staff with a verified second factor, agent of the Rhône (69) by
  default. One trait per role, each with its membership: ``supervisor=True``, ``mediator=True``
  (on a site of the Rhône, ``role__site=`` for another), ``support=True`` (national);
  ``role=Role.ADMINISTRATOR`` for any other role, ``role__code="33"`` for another prefecture,
  ``with_totp=True`` for a confirmed device, ``verified=False`` for a password-only session.
- ``PermitFactory``: a permit valid 200 more days.
- ``DossierFactory``: one trait per step of the dossier's life, each a consistent situation
  (``tests/test_factories.py`` checks each one): ``draft=True`` (the default), ``filed=True``
  (filed 10 days ago: reference, filing date, legal deadline, searchable name, queue priority),
  ``under_review=True`` (declared complete), ``complements=True`` (an open ``ComplementRequest``,
  the legal clock paused), ``decided=True`` (favourable; ``status="decided_unfavourable"`` for a
  refusal), ``card_ready=True``, ``delivered=True`` (the new card recorded as a ``Permit``).
  ``DossierFactory(status=...)`` alone sets only the status, a reference and a filing date. The state is
  set directly, not through the services (``tests.backoffice.conftest.file_renewal`` files one as the
  applicant would).
"""
import itertools
from datetime import timedelta

import factory
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, Role, User
from applications.models import Permit, PermitCategory
from applications.workflow import FINAL_STATUSES
from territory.models import Prefecture

PASSWORD = "Correct-Horse-Battery-9"
#: A known TOTP key (hex) for staff factories; tests compute codes from it.
TOTP_KEY = "3132333435363738393031323334353637383930"


def prefecture(code: str = "69") -> Prefecture:
    return Prefecture.objects.select_related("department").get(department__code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = "Awa"
    last_name = factory.Sequence(lambda n: f"Ndiaye{n}")
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    class Params:
        unverified = factory.Trait(email_verified_at=None)
        without_email = factory.Trait(email=None, email_verified_at=None, origin="assisted",
                                      notify_by_email=False)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def _membership(obj, role, code="69", site=None):
    if role in (Role.AGENT, Role.SUPERVISOR):
        Membership.objects.create(user=obj, role=role, prefecture=prefecture(code))
    elif role == Role.MEDIATOR:
        Membership.objects.create(user=obj, role=role, site=site or prefecture(code).sites.first())
    else:
        Membership.objects.create(user=obj, role=role)


def _role(role):
    """A ``role`` declaration giving the member of staff this role (``role__code`` and, for a
    mediator, ``role__site`` still apply)."""

    def give(obj, create, extracted, **kwargs):
        _membership(obj, extracted or role, kwargs.get("code", "69"), kwargs.get("site"))

    return factory.PostGeneration(give)


class StaffFactory(UserFactory):
    """A prefecture agent (69 by default); ``supervisor=True``, ``mediator=True``, ``support=True`` for
    those roles; ``with_totp=True`` gives them a confirmed device.

    The instance stands for the agent acting in a session whose second factor was verified (what
    the services are given as ``by=request.user``); ``verified=False`` for one who typed only a
    password. A test client signed in with ``force_login`` is never verified: use the real login
    and code pages (``tests.backoffice.conftest.sign_in``).
    """

    class Params:
        supervisor = factory.Trait(role=_role(Role.SUPERVISOR))
        mediator = factory.Trait(role=_role(Role.MEDIATOR))
        support = factory.Trait(role=_role(Role.SUPPORT))
        technical = factory.Trait(role=_role(Role.TECHNICAL))

    role = _role(Role.AGENT)

    @factory.post_generation
    def with_totp(obj, create, extracted, **kwargs):
        if extracted:
            TOTPDevice.objects.create(user=obj, name="totp", key=TOTP_KEY, confirmed=True)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        if extracted is False:
            return
        # What django-otp's OTPMiddleware sets on request.user once a code was accepted.
        obj.otp_device = TOTPDevice.objects.filter(user=obj, confirmed=True).first() or TOTPDevice(
            user=obj, name="totp", key=TOTP_KEY, confirmed=True)


class PermitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Permit

    holder = factory.SubFactory(UserFactory)
    category = PermitCategory.EMPLOYEE
    number = factory.Sequence(lambda n: f"TS{n:08d}")
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=200))
    valid_from = factory.LazyAttribute(lambda o: o.valid_until - timedelta(days=365))
    allows_work = True


def totp_code(key_hex: str = TOTP_KEY, at=None) -> str:
    """The code an authenticator app shows now for this key (RFC 6238, 30 s, 6 digits)."""
    from django_otp.oath import TOTP

    totp = TOTP(bytes.fromhex(key_hex))
    if at is not None:
        totp.time = at
    return f"{totp.token():06d}"


_stamps = itertools.count(1)


def tax_stamp() -> str:
    """A tax stamp number not used yet in this test run (a stamp pays for one request only)."""
    return f"{9_000_0000_0000_0000 + next(_stamps)}"


def procedure(code: str = "renouvellement-salarie"):
    from applications.models import Procedure

    return Procedure.objects.get(code=code)


def _days_ago(days: int):
    return factory.LazyFunction(lambda: timezone.now() - timedelta(days=days))


def _deadline(o):
    from applications.clock import initial_deadline

    return initial_deadline(filed_on=timezone.localdate(o.submitted_at), is_renewal=o.procedure.is_renewal)


def _search_name(o):
    from applications.models import search_name

    return search_name(o.applicant.last_name, o.applicant.first_name)


def _queue_priority(obj, create, extracted, **kwargs):
    """The stored queue priority, as the services keep it (``applications/clock.py``)."""
    from applications.services.common import dossier_refresh_priority

    if create:
        dossier_refresh_priority(obj)


def _open_complement_request(obj, create, extracted, **kwargs):
    """What the agent asked the day the clock stopped (the procedure's first required document, due in
    30 days), with its line on the timeline: ``complements_answer`` counts pieces sent after it."""
    from applications.models import ComplementRequest, DossierEvent

    if not create:
        return
    asked_at = timezone.now() - timedelta(days=(timezone.localdate() - obj.clock_paused_on).days)
    request = ComplementRequest.objects.create(
        dossier=obj, requested_at=asked_at, message="Votre dernier bulletin de salaire.",
        due_on=timezone.localdate() + timedelta(days=30))
    first = obj.procedure.requirements.order_by("position").first()
    if first is not None:
        request.document_types.add(first.document_type)
    DossierEvent.objects.create(dossier=obj, at=asked_at, kind=DossierEvent.Kind.COMPLEMENTS_REQUESTED,
                                from_status=obj.resume_status, to_status=obj.status,
                                data={"message": request.message, "due_on": request.due_on.isoformat()})


def _new_card(obj, create, extracted, **kwargs):
    """The card handed over, recorded as the holder's new permit (replacing the renewed one)."""
    if not create:
        return
    today = timezone.localdate()
    permit = PermitFactory(holder=obj.applicant, dossier=obj, valid_from=today - timedelta(days=5),
                           valid_until=today + timedelta(days=4 * 365),
                           category=obj.procedure.permit_category or PermitCategory.EMPLOYEE)
    if obj.renewed_permit_id and obj.renewed_permit.replaced_by_id is None:
        obj.renewed_permit.replaced_by = permit
        obj.renewed_permit.save(update_fields=["replaced_by"])


class DossierFactory(factory.django.DjangoModelFactory):
    """A dossier at any step of its life, one trait per step (``filed=True``, ``under_review=True``,
    ``complements=True``, ``decided=True``, ``card_ready=True``, ``delivered=True``), each with what
    that step implies; ``DossierFactory(status=...)`` sets only the status, a reference and a filing date."""

    class Meta:
        model = "applications.Dossier"
        skip_postgeneration_save = True  # the hooks write what they add themselves

    applicant = factory.SubFactory(UserFactory)
    procedure = factory.LazyFunction(procedure)
    family = factory.LazyAttribute(lambda o: o.procedure.group)
    prefecture = factory.LazyFunction(prefecture)
    status = "draft"
    reference = factory.LazyAttributeSequence(lambda o, n: None if o.status == "draft" else f"TEST-69-{n:07d}")
    submitted_at = factory.LazyAttribute(lambda o: None if o.status == "draft" else timezone.now())

    class Params:
        draft = factory.Trait(status="draft")
        filed = factory.Trait(
            status="submitted",
            submitted_at=_days_ago(10),
            filed_on_time=True,
            legal_deadline=factory.LazyAttribute(_deadline),
            search_name=factory.LazyAttribute(_search_name),
            search_foreigner_number=factory.LazyAttribute(lambda o: o.applicant.foreigner_number),
            queue_priority=factory.PostGeneration(_queue_priority),
        )
        under_review = factory.Trait(filed=True, status="under_review", completed_at=_days_ago(8))
        complements = factory.Trait(
            under_review=True, status="complements_requested", resume_status="under_review",
            clock_paused_on=factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=2)),
            complement_request=factory.PostGeneration(_open_complement_request),
        )
        decided = factory.Trait(under_review=True, status="decided_favourable", decided_at=_days_ago(5),
                                closed_at=factory.LazyAttribute(
                                    lambda o: o.decided_at if o.status in FINAL_STATUSES else None))
        card_ready = factory.Trait(decided=True, status="card_ready")
        delivered = factory.Trait(card_ready=True, status="card_delivered", closed_at=_days_ago(1),
                                  new_card=factory.PostGeneration(_new_card))


def biometrics_taken(dossier, *, status: str = "done"):
    """The dossier's applicant was convoked for fingerprints and the desk marked the appointment
    (``done`` by default: received, the fingerprints are taken). Returns the booking."""
    from appointments.models import Booking, Desk, Motive, Slot

    motive = Motive.objects.get(code=Motive.Code.BIOMETRICS)
    desk, _ = Desk.objects.get_or_create(site=dossier.prefecture.sites.first(), name="Guichet biométrie")
    desk.motives.add(motive)
    starts = (timezone.now() - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    slot, _ = Slot.objects.get_or_create(desk=desk, motive=motive, starts_at=starts,
                                         defaults={"ends_at": starts + timedelta(minutes=15), "capacity": 5})
    Slot.objects.filter(pk=slot.pk).update(booked=slot.booked + 1)
    return Booking.objects.create(
        slot=slot, motive=motive, person=dossier.applicant, person_name=dossier.applicant.get_full_name(),
        subject_type="applications.dossier", subject_id=str(dossier.pk), kind=Booking.Kind.CONVOCATION,
        status=status,
    )


# --- Substitution ---------------------------------------------------------------------------------

_report_numbers = itertools.count(1)


#: The secret of the follow link of every ``BlockingReportFactory`` report without an account.
REPORT_SECRET = "le-secret-de-suivi-0123456789"


class BlockingReportFactory(factory.django.DjangoModelFactory):
    """An open online report by a person without an account (Rhône), deadline in 15 days.
    ``with_account=True``: by an applicant (``person=``); ``answered=True``, ``resolved=True``,
    ``unresolved=True`` for those statuses; ``overdue=True``: opened 20 days ago. The secret of the
    follow link is ``REPORT_SECRET``."""

    class Meta:
        model = "substitution.BlockingReport"

    reference = factory.LazyFunction(lambda: f"SIG-2099-{next(_report_numbers):06d}")
    channel = "online"
    first_name = "Moussa"
    last_name = factory.Sequence(lambda n: f"Traore{n}")
    phone = "06 12 34 56 78"
    postal_code = "69003"
    prefecture = factory.LazyFunction(lambda: prefecture("69"))
    kind = "upload_refused"
    opened_at = factory.LazyFunction(timezone.now)
    deadline = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=15))
    secret_hash = factory.LazyFunction(
        lambda: __import__("hashlib").sha256(REPORT_SECRET.encode()).hexdigest())

    class Params:
        with_account = factory.Trait(person=factory.SubFactory(UserFactory), secret_hash="", phone="")
        answered = factory.Trait(status="answered")
        resolved = factory.Trait(status="resolved", resolved_at=factory.LazyFunction(timezone.now))
        unresolved = factory.Trait(status="unresolved")
        overdue = factory.Trait(opened_at=_days_ago(20),
                                deadline=factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=5)))


class AnomalyFactory(factory.django.DjangoModelFactory):
    """An open anomaly of the kind "upload refused" (as BlockingReportFactory's reports);
    ``with_workaround=True``, ``fixed=True`` for those statuses."""

    class Meta:
        model = "substitution.Anomaly"

    title = factory.Sequence(lambda n: f"Pièce refusée à tort {n}")
    kind = "upload_refused"

    class Params:
        with_workaround = factory.Trait(status="workaround", workaround="Envoyer le fichier en PDF.")
        fixed = factory.Trait(status="fixed", fixed_at=factory.LazyFunction(timezone.now))


def paper_filing_booking(*, report, person=None, day_offset: int = 0):
    """A real convocation to the paper-filing desk of the report's prefecture, at noon (Paris) today
    (``day_offset`` days later or earlier): a seat taken on a ``Slot``, a ``Booking`` for the report.
    The motive is the paper-filing one ("paper_filing"), as invitations book."""
    from appointments.models import Booking, Desk, Motive, Slot

    motive = Motive.objects.get(code=Motive.Code.PAPER_FILING)
    desk, _ = Desk.objects.get_or_create(site=report.prefecture.sites.order_by("pk").first(),
                                         name="Guichet dépôt papier")
    desk.motives.add(motive)
    starts = (timezone.localtime() + timedelta(days=day_offset)).replace(hour=12, minute=0, second=0,
                                                                         microsecond=0)
    slot, _ = Slot.objects.get_or_create(desk=desk, motive=motive, starts_at=starts,
                                         defaults={"ends_at": starts + timedelta(minutes=45), "capacity": 3})
    Slot.objects.filter(pk=slot.pk).update(booked=slot.booked + 1)
    if person is None:
        person = report.person or UserFactory(without_email=True, first_name=report.first_name,
                                              last_name=report.last_name, phone=report.phone)
    return Booking.objects.create(
        slot=slot, motive=motive, person=person, person_name=str(person),
        subject_type="substitution.report", subject_id=str(report.pk), kind=Booking.Kind.CONVOCATION,
    )


class InvitationFactory(factory.django.DjangoModelFactory):
    """A scheduled convocation to file on paper, for an invited report (``report=`` one's own), with
    a real booking today at noon at the paper-filing desk of the report's prefecture
    (``day_offset=1``: tomorrow)."""

    class Meta:
        model = "substitution.Invitation"

    class Params:
        day_offset = 0

    report = factory.SubFactory(BlockingReportFactory, status="invited")
    booking = factory.LazyAttribute(lambda o: paper_filing_booking(report=o.report, day_offset=o.day_offset))
    status = "scheduled"
