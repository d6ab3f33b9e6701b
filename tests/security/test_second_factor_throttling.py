"""Wrong authenticator codes make the person wait, but never for hours, never silently, and never
without a way out (issue 8, item 2)."""

import time

import pytest
import time_machine
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent, Role
from accounts.services import backup_codes_regenerate
from tests.backoffice.conftest import sign_in
from tests.factories import PASSWORD, StaffFactory, totp_code

pytestmark = pytest.mark.django_db

VERIFY = reverse("accounts:totp_verify")


def wrong_code() -> str:
    return f"{(int(totp_code()) + 1) % 1_000_000:06d}"


@pytest.fixture
def clock():
    with time_machine.travel(time.time(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def agent():
    return StaffFactory(with_totp=True, first_name="Ana", last_name="Lopez")


def password_step(client, user):
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response["Location"].startswith(VERIFY)


def type_wrong_codes(client, clock, count):
    """Wrong codes in a row, each typed once the previous wait is over."""
    for _i in range(count):
        response = client.post(VERIFY, {"code": wrong_code()})
        assert response.status_code == 200
        assert "Ce code est incorrect" in response.content.decode()
        clock.shift(_current_wait(client) + 1)


def _current_wait(client) -> int:
    device = TOTPDevice.objects.get(user_id=client.session["_auth_user_id"])
    return 2 ** (device.throttling_failure_count - 1)


def test_right_code_during_a_wait_is_told_to_wait_not_that_it_is_wrong(client, clock, agent):
    password_step(client, agent)
    client.post(VERIFY, {"code": wrong_code()})

    response = client.post(VERIFY, {"code": totp_code()})

    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    page = response.content.decode()
    assert "Trop d&#x27;essais : attendez 1 seconde avant de saisir un nouveau code" in page
    assert "Ce code est incorrect" not in page
    clock.shift(2)
    assert client.post(VERIFY, {"code": totp_code()}).status_code == 302


def test_the_wait_after_wrong_codes_stops_growing_at_the_cap(client, clock, agent, settings):
    settings.OTP_THROTTLE_MAX_SECONDS = 300
    password_step(client, agent)
    type_wrong_codes(client, clock, 12)  # uncapped, the 12th would impose 2048 s
    clock.shift(-(_current_wait(client) + 1))  # back to just after the 12th wrong code

    response = client.post(VERIFY, {"code": totp_code()})

    assert response.status_code == 429
    assert response["Retry-After"] == "256"
    assert "attendez 5 minutes avant de saisir" in response.content.decode()
    clock.shift(257)
    response = client.post(VERIFY, {"code": totp_code(), "next": "/backoffice/"})
    assert response.status_code == 302 and response["Location"] == "/backoffice/"


def test_a_backup_code_gets_in_during_a_wait_and_ends_it(client, clock, agent):
    code = backup_codes_regenerate(user=agent)[0]
    password_step(client, agent)
    client.post(VERIFY, {"code": wrong_code()})
    client.post(VERIFY, {"code": totp_code()})  # refused: the wait is not over

    response = client.post(VERIFY, {"code": code, "next": "/backoffice/"})

    assert response.status_code == 302 and response["Location"] == "/backoffice/"
    assert client.get("/backoffice/").status_code == 200
    assert TOTPDevice.objects.get(user=agent).throttling_failure_count == 0
    used = AuditEvent.objects.get(action="staff.backup_code_used", object_id=str(agent.pk))
    assert used.data == {"remaining": 9, "ended_wait": True}


def test_wrong_codes_and_the_wait_they_cause_are_in_the_audit_log(client, clock, agent):
    password_step(client, agent)
    type_wrong_codes(client, clock, 3)

    rows = AuditEvent.objects.filter(action="staff.second_factor_throttled", object_id=str(agent.pk)).order_by("id")
    assert [(r.actor_id, r.data["failures"], r.data["wait_seconds"]) for r in rows] == [
        (agent.pk, 1, 1), (agent.pk, 2, 2), (agent.pk, 3, 4)]


def block(agent, failures=9):
    """The agent as after ``failures`` wrong codes in a row, the last one just now."""
    from django.utils import timezone

    TOTPDevice.objects.filter(user=agent).update(throttling_failure_count=failures,
                                                 throttling_failure_timestamp=timezone.now())


def test_a_supervisor_of_the_agents_prefecture_ends_the_wait(client, agent):
    supervisor = StaffFactory(with_totp=True, supervisor=True)
    sign_in(client, supervisor)
    block(agent)
    workload = reverse("backoffice_instruction:workload")
    page = client.get(workload).content.decode()
    unblock = reverse("backoffice:second_factor_unblock", args=[agent.pk])
    assert unblock in page and "Débloquer la double authentification de Ana LOPEZ" in page

    response = client.post(unblock, {"next": workload}, follow=True)

    assert response.redirect_chain[-1][0] == workload
    assert "La double authentification de Ana LOPEZ est débloquée" in response.content.decode()
    assert TOTPDevice.objects.get(user=agent).throttling_failure_count == 0
    event = AuditEvent.objects.get(action="staff.second_factor_unblocked", object_id=str(agent.pk))
    assert event.actor == supervisor and event.data == {"failures": 9}
    agent_client = client.__class__()
    password_step(agent_client, agent)
    assert agent_client.post(VERIFY, {"code": totp_code()}).status_code == 302


@pytest.mark.parametrize("who", ["supervisor_elsewhere", "colleague"])
def test_nobody_else_can_end_an_agents_wait(client, agent, who):
    other = (StaffFactory(with_totp=True, supervisor=True, role__code="33") if who == "supervisor_elsewhere"
             else StaffFactory(with_totp=True))
    sign_in(client, other)
    block(agent)

    assert client.post(reverse("backoffice:second_factor_unblock", args=[agent.pk])).status_code == 404
    assert TOTPDevice.objects.get(user=agent).throttling_failure_count == 9


def test_the_administrator_ends_a_wait_from_the_django_admin(client, agent):
    admin = StaffFactory(with_totp=True, role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    sign_in(client, admin)
    block(agent)

    response = client.post(reverse("admin:accounts_user_changelist"),
                           {"action": "unblock_second_factor", "_selected_action": [agent.pk]}, follow=True)

    assert "1 compte débloqué." in response.content.decode()
    assert TOTPDevice.objects.get(user=agent).throttling_failure_count == 0
    assert AuditEvent.objects.get(action="staff.second_factor_unblocked", object_id=str(agent.pk)).actor == admin
