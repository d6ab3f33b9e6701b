"""The traffic of ``bench/load.py`` (issue 17): applicants, agents and mediators of the demo data,
each waiting 1 to 5 s between pages, as people read. Sessions come from ``bench/load.py`` in
``LOAD_SESSIONS`` (JSON: persona -> Cookie header, and the ids to visit). ``FloorUser`` asks the
bare stack's floor page with no wait: the ceiling."""

from __future__ import annotations

import json
import os
import random

from locust import HttpUser, between, constant, task

SESSIONS = json.loads(os.environ.get("LOAD_SESSIONS", "{}"))


class _Persona(HttpUser):
    abstract = True
    wait_time = between(1, 5)
    persona = ""

    def on_start(self):
        self.client.headers["Cookie"] = SESSIONS[self.persona]["cookie"]

    def page(self, path: str, name: str):
        with self.client.get(path, name=name, catch_response=True, allow_redirects=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")


class ApplicantUser(_Persona):
    weight = 6
    persona = "applicant"

    @task(4)
    def dashboard(self):
        self.page("/espace/", "applicant: dashboard")

    @task(3)
    def dossier(self):
        self.page(f"/dossiers/{random.choice(SESSIONS['applicant']['dossiers'])}/", "applicant: dossier")  # noqa: S311

    @task(1)
    def appointments(self):
        self.page("/rendez-vous/", "applicant: appointments")

    @task(1)
    def messages(self):
        self.page("/messages/", "applicant: messages")

    @task(2)
    def catalogue(self):
        self.page("/demarches/", "public: catalogue")

    @task(1)
    def help(self):
        self.page("/aide/", "public: help")

    @task(1)
    def home(self):
        self.page("/", "public: home")


class AgentUser(_Persona):
    weight = 3
    persona = "agent"

    @task(4)
    def queue(self):
        self.page("/backoffice/dossiers/", "agent: queue")

    @task(4)
    def dossier(self):
        self.page(f"/backoffice/dossiers/{random.choice(SESSIONS['agent']['dossiers'])}/", "agent: dossier")  # noqa: S311

    @task(1)
    def statistics(self):
        self.page("/backoffice/statistiques/", "agent: statistics")


class MediatorUser(_Persona):
    weight = 1
    persona = "mediator"

    @task(3)
    def day(self):
        self.page("/backoffice/mediation/", "mediator: day")

    @task(1)
    def check_in(self):
        self.page("/backoffice/mediation/accueillir/", "mediator: check-in")


class FloorUser(_Persona):
    """Only in the ceiling run (``--class-picker``-free: chosen by name on the command line). The
    applicant's session, no think time; each answer checked as the mix's are (``page``): the load
    generator does the same work per request on both sides, and a floor answering anything but 200
    would count as an error, not as throughput."""

    wait_time = constant(0)
    persona = "applicant"

    @task
    def floor(self):
        self.page(SESSIONS["floor"], "floor: static template")
