"""The security battery (issue 17, item 2), beside the authorisation matrix (which also checks the
security headers on every page it reaches and CSRF on every route): the deployment check, open
redirects on every ``next`` the portal reads, login enumeration and lockout, the PDF renderer's
fetcher, secrets and personal data kept out of the logs, constant-time comparisons, known
vulnerabilities in the locked dependencies. docs/security.md says what each one protects."""

from __future__ import annotations

import ast
import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from tests.backoffice.conftest import file_renewal, sign_in
from tests.factories import PASSWORD, StaffFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = ("accounts", "applications", "appointments", "documents", "notifications", "substitution",
                "mediation", "helpcentre", "core", "territory", "anef")


# --- check --deploy --------------------------------------------------------------------------------

def test_the_deployment_check_is_clean_under_production_settings(tmp_path):
    """``manage.py check --deploy`` with what a deployment sets (DEBUG off, a real secret key, the
    host names, PostgreSQL and Redis): no warning at all (``--fail-level WARNING``). The one check
    silenced in settings (axes.W006, lockout per account rather than per address) is explained there."""
    env = {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "anef.settings.base", "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "anef.interieur.gouv.fr",
        "CSRF_TRUSTED_ORIGINS": "https://anef.interieur.gouv.fr", "SITE_URL": "https://anef.interieur.gouv.fr",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/anef"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- Open redirects --------------------------------------------------------------------------------

EVIL = ["//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
        "http:/evil.example", " //evil.example", "https:evil.example", "/%2F%2Fevil.example"]


def assert_stays_here(response, payload):
    if 300 <= response.status_code < 400:
        location = response["Location"]
        assert url_has_allowed_host_and_scheme(location, {"testserver"}), f"{payload!r} -> {location!r}"
        assert not location.lstrip().lower().startswith(("javascript:", "//", "/\\", "\\")), location
        assert "evil.example" not in urlsplit(location).netloc
    body = response.content.decode(errors="replace")
    for attribute in ("href", "action"):
        assert not re.search(rf'{attribute}="\s*(https?:)?(//|\\\\|/\\\\)evil\.example', body), payload
        assert f'{attribute}="javascript:' not in body.lower(), payload


@pytest.mark.django_db
@pytest.mark.parametrize("payload", EVIL)
def test_login_never_sends_anyone_off_site(client, payload):
    user = UserFactory()
    assert_stays_here(client.get(reverse("accounts:login"), {"next": payload}), payload)
    response = client.post(f"{reverse('accounts:login')}?next={payload}",
                           {"username": user.email, "password": PASSWORD, "next": payload})
    assert response.status_code == 302
    assert_stays_here(response, payload)


@pytest.mark.django_db
@pytest.mark.parametrize("payload", EVIL)
def test_the_language_switch_never_sends_anyone_off_site(client, payload):
    response = client.post(reverse("set_language"), {"language": "en", "next": payload},
                           HTTP_REFERER="https://evil.example/")
    assert response.status_code == 302
    assert_stays_here(response, payload)


@pytest.mark.django_db
@pytest.mark.parametrize("payload", EVIL)
def test_the_second_factor_steps_never_send_staff_off_site(client, payload):
    agent = StaffFactory(with_totp=True)
    client.post(reverse("accounts:login"), {"username": agent.email, "password": PASSWORD, "next": payload})
    from tests.factories import totp_code

    for name in ("accounts:totp_verify", "accounts:backup_codes"):
        assert_stays_here(client.get(reverse(name), {"next": payload}), payload)
    response = client.post(f"{reverse('accounts:totp_verify')}?next={payload}", {"code": totp_code(), "next": payload})
    assert response.status_code == 302
    assert_stays_here(response, payload)


@pytest.mark.django_db
@pytest.mark.parametrize("payload", EVIL)
def test_the_report_form_ignores_a_foreign_origin_page(client, payload):
    response = client.get(reverse("substitution:report"), {"next": payload}, HTTP_REFERER=payload)
    assert response.status_code == 200
    assert_stays_here(response, payload)
    # The page of origin the form keeps (to link back to it) is never the foreign one; the language
    # switch may carry this page's own address, query included, which stays on this site.
    assert not re.search(r'value="\s*(https?:|javascript:)?(//|\\|/\\)?evil\.example',
                         response.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize("payload", EVIL[:4])
def test_a_page_behind_the_login_comes_back_only_to_this_site(client, payload):
    """The login page's ``next`` after an anonymous visit to a private page, tampered with."""
    response = client.get(reverse("applications:dashboard"))
    assert urlsplit(response["Location"]).path == reverse("accounts:login")
    user = UserFactory()
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD,
                                                       "next": payload})
    assert_stays_here(response, payload)


# --- Login: no user enumeration, lockout ------------------------------------------------------------

def _login_error(response) -> tuple[int, str]:
    html = response.content.decode()
    errors = re.findall(r'class="fr-(?:alert|error-text|message--error)[^"]*"[^>]*>(.*?)</', html, re.S)
    return response.status_code, " ".join(" ".join(e.split()) for e in errors)


@pytest.mark.django_db
def test_login_says_the_same_for_an_unknown_account_and_a_wrong_password(client):
    user = UserFactory()
    known = client.post(reverse("accounts:login"), {"username": user.email, "password": "Wrong-password-1"})
    unknown = client.post(reverse("accounts:login"), {"username": "nobody@example.org",
                                                      "password": "Wrong-password-1"})
    unknown_id = client.post(reverse("accounts:login"), {"username": "ZZZ-ZZZ-ZZZ", "password": "Wrong-password-1"})
    assert known.status_code == unknown.status_code == unknown_id.status_code == 200
    assert _login_error(known) == _login_error(unknown) == _login_error(unknown_id)
    assert _login_error(known)[1], "the refusal says something"
    assert user.email not in unknown.content.decode()


@pytest.mark.django_db
def test_an_unknown_account_is_locked_out_like_a_known_one(client, settings):
    """Were only real accounts locked, the lock would tell which addresses have an account."""
    user = UserFactory()
    answers = {}
    for name in (user.email, "nobody@example.org"):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            response = client.post(reverse("accounts:login"), {"username": name, "password": "Wrong-password-1"})
        answers[name] = response.status_code
    assert answers == {user.email: 429, "nobody@example.org": 429}


@pytest.mark.django_db
def test_password_reset_answers_the_same_for_an_unknown_address(client, mails):
    user = UserFactory()
    with mails():
        known = client.post(reverse("accounts:password_reset"), {"email": user.email})
    with mails():
        unknown = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


# --- WeasyPrint: only the project's static files ----------------------------------------------------

@pytest.mark.parametrize("url", [
    "https://evil.example/tracker.png", "http://127.0.0.1:6379/", "http://169.254.169.254/latest/meta-data/",
    "file:///etc/passwd", "file:///proc/self/environ", "ftp://evil.example/x", "//evil.example/x.css",
    "http://testserver/static/../../anef/settings/base.py", "http://testserver/static/%2e%2e/%2e%2e/manage.py",
])
def test_the_pdf_fetcher_refuses_external_and_file_urls(url, caplog):
    from documents.rendering import RefusedURLError, static_only_url_fetcher

    with pytest.raises(RefusedURLError):
        static_only_url_fetcher().fetch(url)
    assert "refused" in caplog.text


def test_a_pdf_with_external_and_file_urls_renders_without_them(settings, tmp_path, monkeypatch):
    import socket

    from documents.rendering import render_pdf

    attempts = []
    monkeypatch.setattr(socket.socket, "connect", lambda *a, **k: attempts.append(a) or (_ for _ in ()).throw(OSError))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "hostile.html").write_text(
        '<html><head><link rel="stylesheet" href="https://evil.example/a.css"></head><body>'
        '<img src="file:///etc/passwd"><img src="http://169.254.169.254/x.png"><p>Bonjour</p></body></html>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [templates]}]
    pdf = render_pdf("hostile.html", {})
    assert pdf.startswith(b"%PDF") and attempts == []


# --- Secrets and personal data never in the logs ---------------------------------------------------

CANARY_PASSWORD = "Canary-Pass-7Q!x"
FOREIGNER_NUMBER = "7531902468"


@pytest.fixture
def every_log_line(caplog):
    """Every record of every logger, DEBUG included, as the console handler would print it."""
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.mark.django_db(transaction=False)
def test_secrets_and_personal_data_never_reach_the_logs(client, every_log_line, mails, settings):
    from accounts.models import OneTimeCode
    from accounts.services.assisted import one_time_code_issue
    from notifications import channels

    settings.SMS_BACKEND = "notifications.channels.LocmemSmsBackend"
    channels.outbox.clear()
    canaries: dict[str, str] = {"password": CANARY_PASSWORD, "foreigner number": FOREIGNER_NUMBER}

    # A wrong password, then the right one.
    user = UserFactory(foreigner_number=FOREIGNER_NUMBER)
    client.post(reverse("accounts:login"), {"username": user.email, "password": CANARY_PASSWORD})
    client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    client.post(reverse("accounts:logout"))

    # A reset link by e-mail, followed, and a new password chosen.
    from django.core import mail

    with mails():
        client.post(reverse("accounts:password_reset"), {"email": user.email})
    link = re.search(r"/compte/mot-de-passe/nouveau/([^/\s]+)/([^/\s]+)/", mail.outbox[-1].body)
    assert link, "the reset mail carries its link"
    canaries["reset token"] = link.group(2)
    form = client.get(link.group(0), follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": CANARY_PASSWORD, "new_password2": CANARY_PASSWORD})

    # An activation code for an account made at a desk, typed wrong then right.
    mediator = StaffFactory(mediator=True)
    person = UserFactory(without_email=True, phone="0612345678")
    code = one_time_code_issue(user=person, purpose=OneTimeCode.Purpose.ACTIVATION, by=mediator,
                               lifetime=__import__("datetime").timedelta(days=1))
    canaries["activation code"] = code
    for typed in ("AAAA-BBBB", code):
        client.post(reverse("accounts:activate"), {"login_id": person.login_id, "code": typed,
                                                   "new_password1": CANARY_PASSWORD, "new_password2": CANARY_PASSWORD})
    client.post(reverse("accounts:logout"))

    # A password-reset code by SMS, typed.
    with mails():
        client.post(reverse("accounts:password_reset_sms"), {"login_id": person.login_id})
    sms = " ".join(message.body if hasattr(message, "body") else str(message) for message in channels.outbox)
    sms_code = re.search(r"\b(\d{6,8})\b", sms)
    assert sms_code, f"the SMS carries a code: {sms!r}"
    canaries["SMS code"] = sms_code.group(1)
    client.post(reverse("accounts:password_reset_sms_confirm"), {
        "login_id": person.login_id, "code": sms_code.group(1),
        "new_password1": CANARY_PASSWORD, "new_password2": CANARY_PASSWORD})

    # A file carrying the foreigner number, searched by an agent.
    file_renewal(foreigner_number=FOREIGNER_NUMBER)
    agent_client = sign_in(client.__class__(), StaffFactory(with_totp=True))
    agent_client.get(reverse("backoffice_instruction:queue"), {"q": FOREIGNER_NUMBER})

    logged = "\n".join(f"{r.name} {r.levelname} {r.getMessage()} {r.args!r}" for r in every_log_line.records)
    assert every_log_line.records, "the flows logged something (else the check proves nothing)"
    leaked = {name: value for name, value in canaries.items() if value in logged}
    assert not leaked, f"written to the logs: {sorted(leaked)}"


# --- Constant-time comparisons ---------------------------------------------------------------------

SENSITIVE = re.compile(r"(token|secret|signature|password|passcode|_hash|digest|otp|code)$", re.I)
#: Comparisons of such names that are not secrets: enum members and catalogue codes.
NOT_SECRETS = {
    "p.group == code",  # applications/catalogue_cache.py: a procedure family's public code
}


def _name(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call | ast.Subscript):
        return _name(node.func if isinstance(node, ast.Call) else node.value)
    return None


def _enum_member(node) -> bool:
    """``Motive.Code.CARD_COLLECTION``, ``Secret.PASSWORD_RESET``: a constant of a choices class."""
    return isinstance(node, ast.Attribute) and node.attr.isupper()


def test_secrets_are_never_compared_with_equality():
    """A token, secret, code or hash compared with ``==`` leaks, by its timing, how many leading
    characters were right. Every comparison of such a value in the project's code is found by its
    name; those that remain are enum constants."""
    found = []
    for app in PROJECT_APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Compare) or not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
                    continue
                sides = [node.left, *node.comparators]
                if any(isinstance(side, ast.Constant) or _enum_member(side) for side in sides):
                    continue
                if any((name := _name(side)) and SENSITIVE.search(name) for side in sides):
                    if ast.unparse(node) not in NOT_SECRETS:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert not found, "compare with hmac.compare_digest (or check_password for hashes):\n" + "\n".join(found)


@pytest.mark.parametrize(("module", "function"), [
    ("substitution/selectors/reports.py", "compare_digest"),  # the follow link's secret
    ("substitution/services/reports.py", "compare_digest"),
    ("accounts/desk.py", "compare_digest"),  # the prefill token of the desk's forms
    ("accounts/services/assisted.py", "check_password"),  # activation and SMS codes, hashed
    ("accounts/services/mandates.py", "check_password"),  # mandate consent codes, hashed
    ("documents/qr.py", "signing.loads"),  # the QR payload (Django's signer: constant_time_compare)
])
def test_token_and_code_checks_use_constant_time_comparisons(module, function):
    assert function in (ROOT / module).read_text(encoding="utf-8")


def test_django_s_own_checks_used_by_the_portal_are_constant_time():
    """Reset and verification tokens (``PasswordResetTokenGenerator``), password hashes and signed
    values compare with ``constant_time_compare``; kept true across Django upgrades."""
    import inspect

    from django.contrib.auth import hashers
    from django.contrib.auth.tokens import PasswordResetTokenGenerator
    from django.core import signing

    assert "constant_time_compare" in inspect.getsource(PasswordResetTokenGenerator.check_token)
    assert "constant_time_compare" in inspect.getsource(hashers.PBKDF2PasswordHasher.verify)
    assert "constant_time_compare" in inspect.getsource(signing.Signer.unsign)


# --- Known vulnerabilities in the locked dependencies -----------------------------------------------

def test_no_known_vulnerability_in_the_locked_dependencies(tmp_path):
    """``pip-audit`` on the exact versions of ``uv.lock`` (exported as hashed requirements), against
    PyPI's vulnerability database. Without network: skipped outside CI, failed in CI (CI=true)."""
    audit = shutil.which("pip-audit", path=str(ROOT / ".venv" / "bin")) or shutil.which("pip-audit")
    uv = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
    if audit is None:
        pytest.fail("pip-audit is not installed: `uv sync` (it is a dev dependency)")
    requirements = tmp_path / "requirements.txt"
    exported = subprocess.run([uv, "export", "--frozen", "--no-emit-project", "--format", "requirements-txt",
                               "-o", str(requirements)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert exported.returncode == 0, exported.stderr
    result = subprocess.run([audit, "--requirement", str(requirements), "--no-deps", "--disable-pip",
                             "--format", "json", "--progress-spinner", "off"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    if result.returncode not in (0, 1) or not result.stdout.strip().startswith("{"):
        reason = f"pip-audit could not reach the vulnerability service: {result.stderr.strip()[-300:]}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    report = json.loads(result.stdout)
    vulnerable = [f"{d['name']} {d['version']}: {', '.join(v['id'] for v in d['vulns'])}"
                  for d in report["dependencies"] if d.get("vulns")]
    assert not vulnerable, "known vulnerabilities (upgrade, or record why not in docs/security.md):\n" + \
        "\n".join(vulnerable)
