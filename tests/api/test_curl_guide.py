"""docs/api/README.md's `curl` guide, run as written: each `sh` block's commands in order, through
the portal in process, as the person of the guide. The page drifting from the API fails here."""

from __future__ import annotations

import json
import re
import shlex
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from applications.models import DocumentType, Dossier, Status
from applications.services import complements_request
from appointments.models import Desk, Motive, Slot
from tests.api.conftest import token_for
from tests.applications.helpers import pdf_file, renewable_permit
from tests.factories import StaffFactory, UserFactory

GUIDE = Path(settings.BASE_DIR) / "docs" / "api" / "README.md"
pytestmark = pytest.mark.django_db


def guide_steps() -> list[tuple[str, str]]:
    """("test", hook) for each ``<!-- test: hook -->``, ("sh", line) for each command, in order."""
    text = GUIDE.read_text()
    steps = []
    for match in re.finditer(r"<!-- test: (\w+) -->|```sh\n(.*?)```", text, re.S):
        if match.group(1):
            steps.append(("test", match.group(1)))
        else:
            steps += [("sh", line) for line in match.group(2).strip().splitlines() if line.strip()]
    return steps


def jq(data, expression: str):
    """The few ``jq -r`` paths the guide uses: ``.id``, ``.[0].id``, ``.results[0].id``."""
    for key, index in re.findall(r"\.(\w*)(?:\[(\d+)\])?", expression):
        data = data[key] if key else data
        data = data[int(index)] if index else data
    return data


class Guide:
    def __init__(self, person):
        self.person = person
        self.client = APIClient()
        self.vars = {"TOKEN": token_for(person), "API": "/api/v1"}

    def expand(self, text: str) -> str:
        return re.sub(r"\$(?:\{(\w+)\}|(\w+))",
                      lambda m: str(self.vars.get(m.group(1) or m.group(2), m.group(0))), text)

    def curl(self, words: list[str]):
        method, headers, data, form, url = None, {}, None, {}, None
        words = iter(words[1:])
        for word in words:
            if word in ("-X", "--request"):
                method = next(words)
            elif word in ("-H", "--header"):
                name, _, value = next(words).partition(":")
                headers["HTTP_" + name.strip().upper().replace("-", "_")] = value.strip()
            elif word in ("-d", "--data"):
                data = next(words)
            elif word in ("-F", "--form"):
                name, _, value = next(words).partition("=")
                form[name] = pdf_file(value[1:]) if value.startswith("@") else value
            elif word in ("-o", "--output"):
                next(words)
            elif word.startswith("-"):
                assert word in ("-s", "-f", "-sf", "-S", "-sS", "-sfS"), f"the test does not know {word}"
            else:
                url = word
        method = method or ("POST" if data is not None or form else "GET")
        content_type = headers.pop("HTTP_CONTENT_TYPE", None)
        call = getattr(self.client, method.lower())
        if form:
            response = call(url, form, format="multipart", **headers)
        elif data is not None:
            response = call(url, data, content_type=content_type or "application/x-www-form-urlencoded", **headers)
        else:
            response = call(url, **headers)
        assert response.status_code < 400, f"{method} {url}: {response.status_code} {response.content[:500]!r}"
        return response

    def run(self, line: str):
        line = self.expand(line)
        if line.startswith("export "):
            return  # API and TOKEN: the test's own
        assignment = re.fullmatch(r"(\w+)=\$\((.*) \| jq -r '(.*)'\)", line)
        command = assignment.group(2) if assignment else line
        words = shlex.split(command)
        assert words[0] == "curl", line
        response = self.curl(words)
        if assignment:
            self.vars[assignment.group(1)] = jq(response.json(), assignment.group(3))

    # --- What the prefecture does between the applicant's steps ---------------------------------

    def complements_requested(self):
        dossier = Dossier.objects.get(pk=self.vars["DOSSIER"])
        complements_request(dossier=dossier, by=StaffFactory(), message="Votre dernier bulletin de salaire.",
                            document_types=[DocumentType.objects.get(code="bulletins-salaire")],
                            due_on=timezone.localdate() + timedelta(days=15))

    def card_ready(self):
        dossier = Dossier.objects.get(pk=self.vars["DOSSIER"])
        Dossier.objects.filter(pk=dossier.pk).update(status=Status.CARD_READY)
        motive = Motive.objects.get(code=Motive.Code.CARD_COLLECTION)
        desk = Desk.objects.create(site=dossier.prefecture.sites.filter(kind="prefecture").first(), name="Guichet 2")
        desk.motives.set([motive])
        starts_at = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
        Slot.objects.create(desk=desk, motive=motive, starts_at=starts_at, capacity=1,
                            ends_at=starts_at + timedelta(minutes=motive.duration_minutes))


def test_the_guide_files_a_renewal_end_to_end(django_capture_on_commit_callbacks):
    person = UserFactory()
    renewable_permit(person)
    guide = Guide(person)
    steps = guide_steps()
    assert len([s for s in steps if s[0] == "sh"]) >= 15
    with django_capture_on_commit_callbacks(execute=True):
        for kind, value in steps:
            if kind == "test":
                getattr(guide, value)()
            else:
                guide.run(value)
    dossier = Dossier.objects.get(pk=guide.vars["DOSSIER"])
    assert dossier.reference and dossier.complement_requests.get().answered_at is not None
    assert person.bookings.get().subject_id == str(dossier.pk)
    assert person.issued_documents.filter(kind="filing_receipt").exists()


def test_the_guide_uses_the_json_bodies_it_shows():
    for kind, line in guide_steps():
        if kind == "sh" and " -d '" in line:
            json.loads(re.search(r"-d '(.*?)'", line).group(1))
