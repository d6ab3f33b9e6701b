"""Issue 11's "done when", as one story with the clock moved: a person the online service blocks,
who has no account, ends up convoked, files on paper and holds a receipt, without proving anything
themselves; and the figures count them."""

from __future__ import annotations

import html
from datetime import date

import pytest
import time_machine
from django.urls import reverse

from applications.models import Dossier
from applications.services import PaperIdentity
from documents.models import IssuedDocument
from notifications.models import Notification
from substitution import services
from substitution.models import Invitation, ReportEvent
from substitution.selectors.figures import substitution_figures
from tests.factories import BlockingReportFactory, StaffFactory, procedure
from tests.substitution.test_paper import paper_slot

pytestmark = pytest.mark.django_db

FIRST = "premiere-demande-salarie"


def test_a_blocked_person_without_an_account_is_convoked_files_on_paper_and_is_counted(
    client, django_capture_on_commit_callbacks,
):
    chosen = procedure(FIRST)
    # Tuesday 10 February 2026: the report, from the public form's service, without an account.
    with time_machine.travel("2026-02-10 10:00 +01:00", tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        report = BlockingReportFactory(email="awa@example.org", phone="", first_name="Awa", last_name="Diallo",
                                       procedure=chosen)
    assert report.person is None and report.deadline == date(2026, 2, 25)
    slot = paper_slot("2026-03-05")

    # Nobody resolved it. The night after the deadline, the portal acts on its own.
    with time_machine.travel("2026-02-26 03:30 +01:00", tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        services.deadline_job()

    report.refresh_from_db()
    assert report.status == "invited" and report.impossibility.recorded_by is None
    invitation = Invitation.objects.get(report=report)
    assert invitation.booking.slot == slot
    letter = invitation.letter
    assert letter.is_rendered
    verified = client.post(reverse("documents:verify"), {"code": letter.verification_code_display})
    assert letter.number in html.unescape(verified.content.decode())
    assert Notification.objects.filter(recipient=report.person, event="report.invited", channel="email").exists()

    # Thursday 5 March, at the desk of the Rhône: the paper file is registered against the invitation.
    agent = StaffFactory()
    with time_machine.travel("2026-03-05 09:10 +01:00", tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        intake = services.paper_intake_register(invitation=invitation, by=agent, paper=services.PaperFile(
            identity=PaperIdentity(last_name="Diallo", first_name="Awa", birth_date=date(1994, 7, 1),
                                   identity_document="passport", birth_place="Dakar (Sénégal)",
                                   nationality="sénégalaise"),
            procedure=chosen,
        ))

    report.refresh_from_db()
    dossier = Dossier.objects.get(pk=intake.dossier.pk)
    assert report.status == "filed_on_paper" and report.dossier == dossier
    assert dossier.channel == "paper" and dossier.status == "submitted" and dossier.applicant == report.person
    receipt = IssuedDocument.objects.get(kind="filing_receipt", subject_id=str(dossier.pk))
    assert receipt.is_rendered
    assert [kind for kind in ReportEvent.objects.filter(report=report).order_by("at", "id")
            .values_list("kind", flat=True)][-3:] == ["impossibility", "invited", "filed_on_paper"]

    # The Rhône's figures count it: one report for one filing, convoked 15.7 days after it was
    # opened, in the night after its deadline: on time.
    ccc = StaffFactory(support=True)
    figures = substitution_figures(user=ccc, start=date(2026, 1, 1), end=date(2026, 3, 31),
                                   prefecture_id=report.prefecture_id, today=date(2026, 3, 5))
    assert figures.reports == 1 and figures.applications == 1
    assert figures.invitation.count == 1 and figures.invitation.p50_days == pytest.approx(15 + 17.5 / 24)
    assert figures.paper_counted == 1 and figures.invited_within_deadline == 1
