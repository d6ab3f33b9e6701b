import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import Membership, User
from applications.models import Permit
from territory.models import Department, Prefecture, Site

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_", "DEBUG"))},
        "DJANGO_SETTINGS_MODULE": "anef.settings.base",
        "DEBUG": "0",
        "SECRET_KEY": "a-real-production-secret-" + "k8Zq3vX9pL2mN7bR4tY6wE1uI5oA0sD" * 2,
        "ALLOWED_HOSTS": "example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "anef.settings.base", "DEBUG": "0", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok" and body["broker"] == "ok" and body["status"] == "ok"


@pytest.mark.django_db
def test_healthz_answers_503_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {**response.json(), "broker": "error", "database": "ok", "status": "error"}


@pytest.mark.django_db
def test_reference_data_has_every_departement_and_its_prefecture():
    assert Department.objects.count() == 101
    assert Prefecture.objects.count() == 101
    assert Prefecture.objects.get(department__code="2A").city == "Ajaccio"
    assert Prefecture.objects.get(department__code="976").city == "Mamoudzou"
    assert Site.objects.filter(kind=Site.Kind.PREFECTURE).count() == 101
    assert Site.objects.filter(kind=Site.Kind.SUB_PREFECTURE, name="Sous-préfecture d'Arles").exists()


@pytest.mark.django_db
def test_seed_demo_is_refused_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refused"):
        call_command("seed_demo")


@pytest.mark.django_db
def test_seed_demo_runs_twice_and_prints_the_logins(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (User.objects.count(), Membership.objects.count(), Permit.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Membership.objects.count(), Permit.objects.count()) == counts
    out = capsys.readouterr().out
    assert "agent.69@demo.anef.example" in out and "Demo-Anef-2026!" in out
    assert "MFXGKZRNMRSW23ZNORXXI4BNNNSXSIJB" in out  # the demo TOTP secret in base32
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {"agent", "supervisor", "support", "mediator", "administrator"}
    assert Membership.objects.filter(role="agent").values("prefecture").distinct().count() == 3
    # One mandate in force for the Rhône's demo mediator, made once.
    from accounts.models import Mandate

    mandate = Mandate.objects.get()
    assert mandate.person.email == "youssef.benali@demo.anef.example"
    assert mandate.mediator.email == "mediateur.69@demo.anef.example" and mandate.revoked_at is None


@pytest.mark.django_db
def test_the_demo_has_a_renewal_whose_holder_an_extension_certificate_covers(settings, client):
    from html import unescape

    settings.DEBUG = True
    call_command("seed_demo")
    client.force_login(User.objects.get(email="fatou.sow@demo.anef.example"))

    html = unescape(client.get(reverse("applications:dashboard")).content.decode())
    assert "Mes attestations en vigueur" in html
    assert "Pendant l'examen, vous êtes en situation régulière grâce à l'attestation de prolongation" in html


@pytest.mark.django_db
def test_the_demo_files_answer_free_text_questions_with_what_a_person_would_write(settings):
    """An agent opening a demo file reads an employer's name, not "oui" (the first seed put the
    first choice of a list, or "oui", into every question, text ones included)."""
    from applications.models import Dossier

    settings.DEBUG = True
    call_command("seed_demo")
    texts = {}
    for dossier in Dossier.objects.exclude(status="draft").select_related("procedure"):
        answers = dossier.answers.get("questions", {})
        texts.update({q["code"]: answers[q["code"]] for q in dossier.procedure.questions
                      if q["kind"] == "text" and q["code"] in answers})
    assert texts.get("employeur") == "Boulangerie Martin SARL"
    assert "oui" not in texts.values()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["home", "help", "accessibility", "legal_notice", "personal_data"])
def test_public_pages_answer_in_french_and_english(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert '<html lang="fr"' in response.content.decode()
    client.cookies["anef_language"] = "en"
    assert '<html lang="en"' in client.get(reverse(name)).content.decode()


@pytest.mark.django_db
def test_language_switch_is_remembered_on_the_profile(client):
    from tests.factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/espace/"})
    assert response.status_code == 302 and response["Location"] == "/espace/"
    user.refresh_from_db()
    assert user.preferred_language == "en"
    # An outside "next" is not followed.
    response = client.post(reverse("set_language"), {"language": "fr", "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_pages_send_security_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "'nonce-" in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_the_demo_has_blocking_reports_from_the_three_channels_and_a_convocation_to_file_on_paper(settings):
    from substitution.models import BlockingReport, Invitation

    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")

    assert sorted(BlockingReport.objects.values_list("channel", flat=True)) == [
        "online", "online", "pan", "pan", "phone"]  # the second at the PAN: Moussa's, answered by post
    assert BlockingReport.objects.filter(anomaly__isnull=False).count() == 1
    assert BlockingReport.objects.filter(status="answered").count() == 2
    invited = BlockingReport.objects.get(status="invited")
    assert invited.person.email == "amina.diallo@demo.anef.example"
    assert Invitation.objects.get(report=invited).booking.motive.code == "paper_filing"
