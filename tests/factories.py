"""Test factories and the small helpers that go with them.

- ``UserFactory``: an applicant whose e-mail address is verified (``unverified=True``: not yet).
- ``StaffFactory``: a member of staff with a verified second factor, agent of the Rhône (69) by
  default: ``role=Role.SUPERVISOR`` (or any role), ``role__code="33"`` for another prefecture,
  ``with_totp=True`` for a confirmed device, ``verified=False`` for a password-only session.
- ``PermitFactory``: a permit valid 200 more days.
- ``DossierFactory(status=...)``: a dossier in that status, with a reference and a filing date once
  filed; the state is set directly, not through the services (``tests.backoffice.conftest.file_renewal``
  files one as the applicant would).
"""

import itertools
from datetime import timedelta

import factory
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, Role, User
from applications.models import Permit, PermitCategory
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

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    """A prefecture agent (69 by default); ``with_totp=True`` gives them a confirmed device.

    The instance stands for the agent acting in a session whose second factor was verified (what
    the services are given as ``by=request.user``); ``verified=False`` for one who typed only a
    password. A test client signed in with ``force_login`` is never verified: use the real login
    and code pages (``tests.backoffice.conftest.sign_in``).
    """

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        role = extracted or Role.AGENT
        if role in (Role.AGENT, Role.SUPERVISOR):
            Membership.objects.create(user=obj, role=role, prefecture=prefecture(kwargs.get("code", "69")))
        elif role == Role.MEDIATOR:
            Membership.objects.create(user=obj, role=role, site=prefecture().sites.first())
        else:
            Membership.objects.create(user=obj, role=role)

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


class DossierFactory(factory.django.DjangoModelFactory):
    """A dossier in any state: ``DossierFactory(status="under_review")`` gets what that state implies
    (a reference and a filing date once filed)."""

    class Meta:
        model = "applications.Dossier"

    applicant = factory.SubFactory(UserFactory)
    procedure = factory.LazyFunction(procedure)
    family = factory.LazyAttribute(lambda o: o.procedure.group)
    prefecture = factory.LazyFunction(prefecture)
    status = "draft"
    reference = factory.LazyAttributeSequence(lambda o, n: None if o.status == "draft" else f"TEST-69-{n:07d}")
    submitted_at = factory.LazyAttribute(lambda o: None if o.status == "draft" else timezone.now())


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
