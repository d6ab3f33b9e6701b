"""Staff cannot reach a staff page without a confirmed, verified second factor."""

import django_otp
import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role
from tests.factories import PASSWORD, StaffFactory, UserFactory, totp_code

pytestmark = pytest.mark.django_db


def _login(client, user):
    return client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})


@pytest.mark.parametrize("path", ["/backoffice/", "/admin/"])
def test_staff_without_a_device_is_sent_to_enrol(client, path):
    agent = StaffFactory()
    agent.is_staff = True  # would let them into the Django admin, but not without a second factor
    agent.save()
    _login(client, agent)

    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:totp_enrol"))


def test_password_login_of_staff_goes_to_the_code_page(client):
    agent = StaffFactory(with_totp=True)
    response = _login(client, agent)
    assert response["Location"].startswith(reverse("accounts:totp_verify"))
    # Not verified yet: the back-office stays closed.
    assert client.get("/backoffice/")["Location"].startswith(reverse("accounts:totp_verify"))


def test_a_wrong_code_is_refused_and_the_right_one_opens_the_back_office(client):
    agent = StaffFactory(with_totp=True)
    _login(client, agent)
    wrong = f"{(int(totp_code()) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:totp_verify"), {"code": wrong, "next": "/backoffice/"})
    assert response.status_code == 200
    assert "Ce code est incorrect" in response.content.decode()
    assert client.get("/backoffice/").status_code == 302

    # django-otp throttles after a failure: wait out the delay as a person would.
    TOTPDevice.objects.filter(user=agent).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    response = client.post(reverse("accounts:totp_verify"), {"code": totp_code(), "next": "/backoffice/"})
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/"
    assert "Espace agent" in client.get("/backoffice/").content.decode()


def _verified_session(client, agent):
    _login(client, agent)
    client.post(reverse("accounts:totp_verify"), {"code": totp_code(), "next": "/backoffice/"})
    assert client.get("/backoffice/").status_code == 200


@pytest.mark.parametrize("change", ["unconfirmed", "deleted", "given to someone else"])
def test_a_verified_session_loses_its_second_factor_on_the_next_request_when_the_device_changes(client, change):
    # The device is read anew on every request (accounts.middleware.OTPMiddleware): nothing kept
    # from a request before can outlive the device's change.
    agent = StaffFactory(with_totp=True)
    _verified_session(client, agent)
    devices = TOTPDevice.objects.filter(user=agent)
    if change == "unconfirmed":
        devices.update(confirmed=False)
    elif change == "deleted":
        devices.delete()
    else:
        devices.update(user=StaffFactory())

    response = client.get("/backoffice/")

    assert response.status_code == 302  # no confirmed device left: to enrol one
    assert response["Location"].startswith(reverse("accounts:totp_enrol"))
    assert django_otp.DEVICE_ID_SESSION_KEY not in client.session  # forgotten, as django-otp does


def test_the_second_factor_holds_from_one_request_to_the_next_with_its_device_unchanged(client):
    agent = StaffFactory(with_totp=True)
    _verified_session(client, agent)
    for _ in range(2):
        response = client.get("/backoffice/")
        assert response.status_code == 200
        assert response.wsgi_request.user.otp_device == TOTPDevice.objects.get(user=agent)


def test_the_second_factor_is_read_the_same_under_asgi(client, async_client, settings):
    agent = StaffFactory(with_totp=True)
    _verified_session(client, agent)
    async_client.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value

    response = async_to_sync(async_client.get)("/backoffice/")

    assert response.status_code == 200
    TOTPDevice.objects.filter(user=agent).delete()
    assert async_to_sync(async_client.get)("/backoffice/").status_code == 302


def test_enrolment_confirms_the_device_and_shows_backup_codes_once(client):
    agent = StaffFactory()
    _login(client, agent)
    response = client.get(reverse("accounts:totp_enrol"))
    assert response.status_code == 200
    assert "<svg" in response.content.decode()
    device = TOTPDevice.objects.get(user=agent, confirmed=False)

    response = client.post(reverse("accounts:totp_enrol"), {"code": "000000"})
    assert "Ce code est incorrect" in response.content.decode()

    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # failures slow down guessing (django-otp)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    response = client.post(reverse("accounts:totp_enrol"), {"code": totp_code(device.key), "next": "/backoffice/"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    codes = StaticToken.objects.filter(device__user=agent).values_list("token", flat=True)
    assert len(codes) == 10
    assert all(code in page.content.decode() for code in codes)
    # Shown once only.
    assert client.get(reverse("accounts:backup_codes")).status_code == 302
    assert client.get("/backoffice/").status_code == 200


def test_a_backup_code_works_once(client):
    agent = StaffFactory(with_totp=True)
    from accounts.services import backup_codes_regenerate

    code = backup_codes_regenerate(user=agent)[0]
    _login(client, agent)
    response = client.post(reverse("accounts:totp_verify"), {"code": code.upper()})
    assert response["Location"] == reverse("backoffice:home")
    client.post(reverse("accounts:logout"))
    _login(client, agent)
    response = client.post(reverse("accounts:totp_verify"), {"code": code})
    assert response.status_code == 200


def test_admin_needs_the_second_factor_too(client):
    admin = StaffFactory(role=Role.ADMINISTRATOR, with_totp=True)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    _login(client, admin)
    assert client.get("/admin/").status_code == 302
    client.post(reverse("accounts:totp_verify"), {"code": totp_code()})
    assert client.get("/admin/").status_code == 200


def test_applicants_cannot_reach_staff_pages_and_are_told_why(client):
    client.force_login(UserFactory())
    for url in ("/backoffice/", reverse("accounts:totp_enrol"), reverse("accounts:totp_verify"),
                reverse("accounts:backup_codes"), "/admin/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Cette page est réservée aux agents de l&#x27;administration." in response.content.decode(), url


def test_anonymous_visitors_are_sent_to_the_portal_login(client):
    for path in ("/backoffice/", "/admin/", "/admin/login/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_the_staff_home_says_what_to_do_when_backup_codes_run_out(client):
    """Regression: the staff home said "0 code de secours" and nothing else."""
    from accounts.services import backup_codes_regenerate
    from tests.backoffice.conftest import sign_in

    staff = StaffFactory(with_totp=True)
    sign_in(client, staff)
    page = client.get(reverse("backoffice:home")).content.decode()
    assert "Vous n'avez aucun code de secours : sans votre téléphone" in page
    assert "Il vous reste 0" not in page

    backup_codes_regenerate(user=staff)
    page = client.get(reverse("backoffice:home")).content.decode()
    assert "Il vous reste 10 codes de secours." in page
    assert "aucun code de secours" not in page and "Il vous en reste peu" not in page

    StaticToken.objects.filter(device__user=staff).exclude(
        pk__in=StaticToken.objects.filter(device__user=staff).values("pk")[:2]).delete()
    page = client.get(reverse("backoffice:home")).content.decode()
    assert "Il vous reste 2 codes de secours." in page
    assert "Il vous en reste peu : générez-en de nouveaux" in page


def test_a_role_taken_or_given_shows_on_the_next_request(client):
    # The memberships are read with the device, in one statement, on every request
    # (accounts.selectors.totp_device_by_id_for): nothing kept from a request before.
    agent = StaffFactory(with_totp=True)
    _verified_session(client, agent)
    agent.memberships.all().delete()

    assert client.get("/backoffice/").status_code == 403  # no staff role left

    agent.memberships.create(role=Role.SUPPORT)
    response = client.get("/backoffice/")
    assert response.status_code == 200
    assert [m.role for m in response.wsgi_request.user.memberships.all()] == [Role.SUPPORT]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement on PostgreSQL only (PreparedPair)")
def test_the_device_and_the_memberships_of_a_staff_request_are_one_statement(client, django_assert_num_queries):
    from accounts.selectors import user_memberships

    agent = StaffFactory(with_totp=True, role__code="33")
    agent.memberships.create(role=Role.SUPERVISOR, prefecture=agent.memberships.get().prefecture)
    _verified_session(client, agent)
    with django_assert_num_queries(3) as captured:  # the session, the person, the device and roles
        response = client.get("/livez")
    request_user = response.wsgi_request.user
    assert request_user.otp_device == TOTPDevice.objects.get(user=agent)
    assert "accounts_membership" in captured.captured_queries[-1]["sql"]
    with django_assert_num_queries(0):
        memberships = user_memberships(user=request_user)
    expected = list(agent.memberships.select_related("prefecture__department", "site__prefecture")
                    .order_by("role", "id"))
    assert [(m.pk, m.role, m.prefecture.department.code) for m in memberships] == [
        (m.pk, m.role, m.prefecture.department.code) for m in expected]
