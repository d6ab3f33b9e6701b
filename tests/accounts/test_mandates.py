"""Mandates (issue 12, item 3): a person's time-limited, revocable consent to a mediator acting on
their behalf, given by a consent code or a signed form. The services and the pages that grant,
list and revoke them; acting under one is tested in tests/applications/test_on_behalf.py."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.mandates import mandate_covering, mandate_holds, mandates_for_mediator
from accounts.models import AuditEvent, Mandate, OneTimeCode
from accounts.services import (
    mandate_consent_code_issue,
    mandate_grant_by_code,
    mandate_grant_by_form,
    mandate_revoke,
)
from tests.applications.helpers import pdf_file
from tests.backoffice.conftest import sign_in
from tests.factories import PASSWORD, StaffFactory, UserFactory, prefecture

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return prefecture("69").sites.first()


@pytest.fixture
def mediator(site):
    return StaffFactory(mediator=True, role__site=site, with_totp=True, first_name="Claire",
                        last_name="Médiatrice")


@pytest.fixture
def person():
    return UserFactory(without_email=True, first_name="Amina", last_name="Diallo")


def grant(person, mediator, site, **options):
    code = mandate_consent_code_issue(person=person)
    return mandate_grant_by_code(by=mediator, site=site, login_id=person.login_id, code=code, **options)


# --- Granting by consent code ---------------------------------------------------------------------

@override_settings(MANDATE_DURATION_DAYS=30)
def test_a_consent_code_gives_the_mediator_a_mandate_for_30_days(person, mediator, site):
    mandate = grant(person, mediator, site)
    assert mandate.person == person and mandate.mediator == mediator and mandate.site == site
    assert mandate.scope == Mandate.Scope.ACCOUNT and mandate.channel == Mandate.Channel.CONSENT_CODE
    assert mandate.expires_at - mandate.created_at == timedelta(days=30)
    assert mandate_holds(mandate=mandate, by=mediator)
    granted = AuditEvent.objects.get(action="mandate.granted")
    assert granted.actor == mediator and granted.on_behalf_of == person
    assert granted.data["person"] == "Amina DIALLO" and granted.data["by"] == "Claire MÉDIATRICE"


def test_a_consent_code_works_once(person, mediator, site):
    code = mandate_consent_code_issue(person=person)
    mandate_grant_by_code(by=mediator, site=site, login_id=person.login_id, code=code)
    with pytest.raises(ValidationError):
        mandate_grant_by_code(by=mediator, site=site, login_id=person.login_id, code=code)
    assert Mandate.objects.count() == 1


def test_the_code_is_stored_hashed_and_short_lived(person):
    code = mandate_consent_code_issue(person=person)
    stored = OneTimeCode.objects.get(user=person, purpose=OneTimeCode.Purpose.MANDATE_CONSENT)
    assert code not in stored.code_hash
    assert stored.expires_at - stored.created_at == timedelta(minutes=15)


def test_a_wrong_code_counts_a_try_and_blocks_the_code_at_the_limit(person, mediator, site):
    code = mandate_consent_code_issue(person=person)
    for _i in range(5):
        with pytest.raises(ValidationError):
            mandate_grant_by_code(by=mediator, site=site, login_id=person.login_id, code="000000")
    with pytest.raises(ValidationError):  # the right code, too late
        mandate_grant_by_code(by=mediator, site=site, login_id=person.login_id, code=code)
    assert OneTimeCode.objects.get(user=person, purpose="mandate_consent").status == OneTimeCode.Status.LOCKED
    assert not Mandate.objects.exists()


def test_an_expired_code_is_refused(person, mediator, site):
    code = mandate_consent_code_issue(person=person)
    OneTimeCode.objects.filter(user=person).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError):
        mandate_grant_by_code(by=mediator, site=site, login_id=person.login_id, code=code)


def test_only_a_verified_mediator_of_the_site_receives_a_mandate(person, site):
    code = mandate_consent_code_issue(person=person)
    for by in (StaffFactory(with_totp=True), StaffFactory(mediator=True, role__site=site, verified=False)):
        with pytest.raises(PermissionDenied):
            mandate_grant_by_code(by=by, site=site, login_id=person.login_id, code=code)


def test_staff_give_no_mandate(mediator):
    with pytest.raises(PermissionDenied):
        mandate_consent_code_issue(person=StaffFactory())


# --- Who may act under it ---------------------------------------------------------------------------

def test_a_mandate_to_one_mediator_is_for_them_alone(person, mediator, site):
    mandate = grant(person, mediator, site)
    colleague = StaffFactory(mediator=True, role__site=site)
    assert not mandate_holds(mandate=mandate, by=colleague)
    assert not mandates_for_mediator(by=colleague).exists()


def test_a_mandate_to_the_help_point_is_for_every_mediator_there(person, mediator, site):
    mandate = grant(person, mediator, site, to_site=True)
    assert mandate.mediator is None
    assert mandate_holds(mandate=mandate, by=StaffFactory(mediator=True, role__site=site))
    elsewhere = StaffFactory(mediator=True, role__site=prefecture("33").sites.first())
    assert not mandate_holds(mandate=mandate, by=elsewhere)


def test_without_second_factor_the_mediator_acts_for_nobody(person, mediator, site):
    mandate = grant(person, mediator, site)
    mediator.otp_device = None
    assert not mandate_holds(mandate=mandate, by=mediator)


def test_an_expired_mandate_holds_no_more(person, mediator, site):
    mandate = grant(person, mediator, site)
    later = mandate.expires_at + timedelta(seconds=1)
    assert not mandate_holds(mandate=mandate, by=mediator, now=later)
    Mandate.objects.filter(pk=mandate.pk).update(created_at=timezone.now() - timedelta(days=31),
                                                 expires_at=timezone.now() - timedelta(days=1))
    assert mandate_covering(by=mediator, person_id=person.pk) is None


def test_the_database_refuses_a_mandate_ending_before_it_starts(person, mediator, site):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Mandate.objects.create(person=person, mediator=mediator, site=site, channel="consent_code",
                               recorded_by=mediator, created_at=now, expires_at=now)


# --- Revocation ---------------------------------------------------------------------------------------

def test_the_person_revokes_at_once(person, mediator, site):
    mandate = grant(person, mediator, site)
    mandate_revoke(mandate=mandate, by=person)
    mandate.refresh_from_db()
    assert mandate.revoked_at is not None and not mandate_holds(mandate=mandate, by=mediator)
    revoked = AuditEvent.objects.get(action="mandate.revoked")
    assert revoked.actor == person and revoked.data["by"] == "Amina DIALLO"


def test_only_the_person_revokes(person, mediator, site):
    mandate = grant(person, mediator, site)
    with pytest.raises(PermissionDenied):
        mandate_revoke(mandate=mandate, by=mediator)


# --- A signed form, scanned --------------------------------------------------------------------------

def test_a_signed_form_is_kept_with_its_scan(person, mediator, site):
    mandate = mandate_grant_by_form(by=mediator, site=site, person=person, scan_file=pdf_file("scan-amina.pdf"))
    assert mandate.channel == Mandate.Channel.SIGNED_FORM and mandate.scan.name.endswith(".pdf")
    assert "amina" not in mandate.scan.name  # our own name, never the upload's


def test_a_scan_that_is_not_a_document_is_refused(person, mediator, site):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("mandat.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError):
        mandate_grant_by_form(by=mediator, site=site, person=person, scan_file=fake)
    assert not Mandate.objects.exists()


# --- The pages ------------------------------------------------------------------------------------------

def test_the_person_makes_a_code_sees_and_revokes_their_mandates(client, person, mediator, site):
    person.set_password(PASSWORD)
    person.save()
    client.force_login(person)
    response = client.post(reverse("accounts:mandates"), follow=True)
    html = response.content.decode()
    assert 'id="consent-code"' in html
    code = html.split('id="consent-code">')[1].split("<")[0]
    mandate = mandate_grant_by_code(by=mediator, site=site, login_id=person.login_id, code=code)
    html = client.get(reverse("accounts:mandates")).content.decode()
    assert "consent-code" not in html  # shown once
    assert "Claire MÉDIATRICE" in html
    client.post(reverse("accounts:mandate_revoke", args=[mandate.pk]))
    mandate.refresh_from_db()
    assert mandate.revoked_at is not None


def test_nobody_revokes_another_persons_mandate(client, person, mediator, site):
    mandate = grant(person, mediator, site)
    client.force_login(UserFactory())
    assert client.post(reverse("accounts:mandate_revoke", args=[mandate.pk])).status_code == 404
    mandate.refresh_from_db()
    assert mandate.revoked_at is None


def test_the_mediator_receives_a_mandate_by_code_on_the_page(client, person, mediator, site):
    code = mandate_consent_code_issue(person=person)
    sign_in(client, mediator)
    response = client.post(reverse("backoffice:mandate_receive_code"), {
        "login_id": person.login_id.lower(), "code": code, "site": site.pk, "to_site": "me", "scope": "account",
    })
    assert response.status_code == 302
    html = client.get(reverse("backoffice:mandates")).content.decode()
    assert "Amina DIALLO" in html and person.login_id in html


@pytest.mark.parametrize("url_name", ["backoffice:mandates", "backoffice:mandate_receive_code",
                                      "backoffice:mandate_receive_form"])
def test_the_mediator_pages_refuse_other_staff(client, url_name):
    sign_in(client, StaffFactory(with_totp=True))
    assert client.get(reverse(url_name)).status_code == 403


def test_the_mediator_records_a_signed_form_on_the_page(client, person, mediator, site):
    person.birth_date = date(1990, 3, 2)
    person.save()
    sign_in(client, mediator)
    url = reverse("backoffice:mandate_receive_form")
    form = {"login_id": person.login_id, "birth_date": "1990-03-02", "site": site.pk, "to_site": "site",
            "scope": "account"}
    response = client.post(url, {**form, "birth_date": "1991-03-02", "scan": pdf_file()})
    assert response.status_code == 200 and not Mandate.objects.exists()  # another birth date: nobody
    response = client.post(url, {**form, "scan": pdf_file()})
    assert response.status_code == 302
    mandate = Mandate.objects.get()
    assert mandate.channel == Mandate.Channel.SIGNED_FORM and mandate.mediator is None and mandate.site == site
