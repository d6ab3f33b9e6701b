import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, StaffFactory, UserFactory, totp_code

pytestmark = pytest.mark.django_db


def test_repeated_failures_lock_the_account_with_a_clear_message(client, settings):
    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("accounts:login"), {"username": user.email, "password": "wrong"})
        assert response.status_code == 200
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": "wrong"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "Compte temporairement bloqué" in html
    assert "15 minutes" in html

    # Even the right password is refused while locked, from another browser too.
    other = client.__class__()
    response = other.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 429


def test_the_lock_lifts_after_the_cool_off(client, settings):
    user = UserFactory()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(reverse("accounts:login"), {"username": user.email, "password": "wrong"})
        traveller.shift(settings.AXES_COOLOFF_TIME.total_seconds() + 60)
        response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_applicant_session_expires_after_30_idle_minutes(client):
    user = UserFactory()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
        assert client.get(reverse("applications:dashboard")).status_code == 200
        traveller.shift(29 * 60)
        assert client.get(reverse("applications:dashboard")).status_code == 200
        traveller.shift(29 * 60)  # active a minute ago: still in
        assert client.get(reverse("applications:dashboard")).status_code == 200
        traveller.shift(31 * 60)
        response = client.get(reverse("applications:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login") + "?next=%2Fespace%2F"
    page = client.get(response["Location"]).content.decode()
    assert "Votre session a expiré après 30 minutes d&#x27;inactivité" in page


def test_applicant_session_ends_after_12_hours_even_when_active(client):
    user = UserFactory()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
        for _ in range(12 * 3 + 2):
            traveller.shift(20 * 60)
            response = client.get(reverse("applications:dashboard"))
            if response.status_code != 200:
                break
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


def test_staff_session_expires_after_15_idle_minutes(client):
    agent = StaffFactory(with_totp=True)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.post(reverse("accounts:login"), {"username": agent.email, "password": PASSWORD})
        client.post(reverse("accounts:totp_verify"), {"code": totp_code()})
        assert client.get("/backoffice/").status_code == 200
        traveller.shift(16 * 60)
        response = client.get("/backoffice/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- The session and the person, read anew on every request (accounts.sessions, UserManager.get) ---

def _signed_in(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("applications:dashboard")).status_code == 200
    return user


def test_a_session_past_its_expiry_date_in_the_database_is_no_session(client):
    from django.contrib.sessions.models import Session

    _signed_in(client)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timezone.timedelta(seconds=1))

    response = client.get(reverse("applications:dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_deleted_session_or_account_signs_the_person_out_on_the_next_request(client):
    from django.contrib.sessions.models import Session

    user = _signed_in(client)
    user.delete()
    assert client.get(reverse("applications:dashboard")).status_code == 302

    _signed_in(client)
    Session.objects.filter(session_key=client.session.session_key).delete()
    assert client.get(reverse("applications:dashboard")).status_code == 302


def test_a_deactivated_account_is_signed_out_on_the_next_request(client):
    user = _signed_in(client)
    type(user).objects.filter(pk=user.pk).update(is_active=False)

    assert client.get(reverse("applications:dashboard")).status_code == 302


def test_the_person_is_read_by_primary_key_as_the_orm_reads_them():
    user = UserFactory()
    model = type(user)

    found = model.objects.get(pk=user.pk)

    assert (found.pk, found.email, found.password, found._state.db, found._state.adding) == (
        user.pk, user.email, user.password, "default", False)
    with pytest.raises(model.DoesNotExist):
        model.objects.get(pk=user.pk + 1_000_000)
    assert model.objects.get(email=user.email) == user  # any other lookup: the queryset's own


# --- The session's signature checked once per process and text (accounts.sessions.SessionStore.decode) ---

@pytest.mark.parametrize("data", [{"_auth_user_id": "12", "seen": 1.5}, {"long": "x" * 2000, "list": [1, 2]}])
def test_a_session_text_decodes_as_djangos_once_checked_or_not(data):
    from django.contrib.sessions.backends.base import SessionBase

    from accounts import sessions

    store = sessions.SessionStore()
    text = store.encode(data)  # the second is compressed
    sessions._VERIFIED.pop(text, None)
    expected = SessionBase.decode(store, text)
    assert expected == data
    assert store.decode(text) == expected  # checked
    assert text in sessions._VERIFIED
    first, second = store.decode(text), store.decode(text)  # remembered: new objects each time
    assert first == second == expected and first is not second
    first.setdefault("list", []).append(3)
    assert store.decode(text) == expected


def test_a_session_text_whose_signature_does_not_check_out_is_no_session_and_is_not_remembered(caplog):
    from accounts import sessions

    store = sessions.SessionStore()
    text = store.encode({"_auth_user_id": "1"})
    forged = sessions.SessionStore().encode({"_auth_user_id": "2"}).rsplit(":", 1)[0] + ":" + text.rsplit(":", 1)[1]
    for bad in (forged, text[:-1], "not a session"):
        assert store.decode(bad) == {}
        assert bad not in sessions._VERIFIED
    assert "Session data corrupted" in caplog.text


def test_the_remembered_texts_are_bounded(monkeypatch):
    from accounts import sessions

    monkeypatch.setattr(sessions, "VERIFIED_MAX", 3)
    monkeypatch.setattr(sessions, "_VERIFIED", {})
    store = sessions.SessionStore()
    for n in range(7):
        assert store.decode(store.encode({"n": n})) == {"n": n}
        assert len(sessions._VERIFIED) <= 3


def test_a_session_changed_in_the_database_shows_on_the_next_request(client):
    from django.contrib.sessions.models import Session

    from accounts import sessions

    user = _signed_in(client)
    key = client.session.session_key
    row = Session.objects.get(session_key=key)
    data = sessions.SessionStore().decode(row.session_data)
    data["_auth_user_id"] = str(UserFactory().pk)  # another person, same hash: no longer valid
    Session.objects.filter(session_key=key).update(session_data=sessions.SessionStore().encode(data))

    response = client.get(reverse("applications:dashboard"))

    assert response.status_code == 302
    assert response.wsgi_request.user.pk != user.pk
