"""The API's foundation: who gets in, the one error format in French and English, the headers
every answer carries."""

import pytest
from django.utils import timezone

from accounts.models import ApiToken
from tests.api.conftest import client_for, token_for
from tests.factories import PermitFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_without_credentials_the_answer_is_a_json_401_in_the_language_asked():
    fr = client_for(language="fr").get("/api/v1/me/")
    en = client_for(language="en-GB,en;q=0.9,fr;q=0.5").get("/api/v1/me/")
    assert fr.status_code == en.status_code == 401
    assert fr.json()["code"] == en.json()["code"] == "not_authenticated"
    assert fr.json()["message"] != en.json()["message"]
    assert "authentification" in fr.json()["message"].lower()
    assert "authentication" in en.json()["message"].lower()
    assert fr["WWW-Authenticate"].startswith("Bearer")


def test_a_key_opens_the_persons_own_data_only(applicant, api):
    mine = PermitFactory(holder=applicant)
    PermitFactory()  # someone else's
    response = api.get("/api/v1/permits/")
    assert response.status_code == 200
    assert [row["number"] for row in response.json()] == [mine.number]
    assert response["Cache-Control"] == "private, no-store" or "no-store" in response["Cache-Control"]
    assert api.get("/api/v1/me/").json()["id"] == applicant.pk


@pytest.mark.parametrize("change", [
    {"revoked_at": timezone.now}, {"expires_at": lambda: timezone.now() - timezone.timedelta(seconds=1),
                                   "created_at": lambda: timezone.now() - timezone.timedelta(days=1)},
])
def test_a_revoked_or_expired_key_gets_nothing(applicant, change):
    key = token_for(applicant)
    ApiToken.objects.filter(user=applicant).update(**{field: value() for field, value in change.items()})
    response = client_for(key).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_wrong_key_with_a_real_prefix_gets_nothing(applicant):
    key = token_for(applicant)
    response = client_for(key[:-4] + "AAAA").get("/api/v1/me/")
    assert response.status_code == 401


def test_staff_without_a_verified_second_factor_get_nothing(session_api):
    agent = StaffFactory(with_totp=True, verified=False)
    response = session_api(agent, second_factor=False).get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"


def test_staff_with_a_verified_session_and_their_short_key_get_in(session_api, agent, agent_api, settings):
    assert session_api(agent).get("/api/v1/me/").status_code == 200
    assert agent_api.get("/api/v1/me/").status_code == 200
    token = ApiToken.objects.get(user=agent)
    lifetime = token.expires_at - token.created_at
    assert lifetime.total_seconds() == settings.API_STAFF_TOKEN_MINUTES * 60


def test_a_staff_key_whose_device_is_gone_no_longer_proves_the_second_factor(agent):
    key = token_for(agent)
    agent.totpdevice_set.all().delete()
    response = client_for(key).get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"


def test_session_writes_need_the_csrf_token(session_api):
    client = session_api(UserFactory())
    response = client.post("/api/v1/me/", {})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "CSRF" in response.json()["message"]


def test_unknown_method_is_a_json_405_in_english(api):
    response = api.delete("/api/v1/permits/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 405
    assert response.json() == {"code": "method_not_allowed", "message": 'Method "DELETE" not allowed.'}


def test_the_schema_and_the_docs_are_served():
    client = client_for()
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b'<script nonce="' in docs.content  # within the portal's Content Security Policy
    assert b"cdn" not in docs.content.lower()  # Swagger UI's files are ours (drf-spectacular-sidecar)
    # Not drf-spectacular's "unsafe-none" (for an OAuth2 pop-up the API does not have): the portal's policy.
    assert docs["Cross-Origin-Opener-Policy"] == "same-origin"


def test_an_idle_session_ends_with_a_json_401_not_a_redirection(session_api):
    import time

    from accounts.middleware import SESSION_SEEN_KEY

    client = session_api(UserFactory())
    session = client.session
    session[SESSION_SEEN_KEY] = time.time() - 24 * 3600
    session.save()
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
