"""Certificates that keep rights alive: the extension certificate sweep (attestation de prolongation
d'instruction) and the favourable-decision certificate, through the services."""

import itertools
import logging
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.clock import PRIORITY_NORMAL, PRIORITY_RIGHTS_AT_RISK
from applications.models import DossierEvent, PermitCategory, Status
from applications.services import (
    card_mark,
    complements_answer,
    complements_request,
    dossier_decide,
    dossier_transition,
    extension_grant,
)
from applications.services.certificates import (
    add_months,
    extension_certificate_issue,
    extension_certificates_sweep,
    work_right_for_category,
)
from applications.tasks import issue_extension_certificates, refresh_queue_priorities
from documents.models import DocumentKind, DocumentStatus, IssuedDocument
from documents.qr import qr_token_make
from documents.selectors import document_verification_facts
from documents.services import document_issue
from tests.documents.support import RECEIPT_TEMPLATE, pdf_text, receipt_context
from tests.factories import (
    DossierFactory,
    PermitFactory,
    StaffFactory,
    UserFactory,
    biometrics_taken,
    procedure,
)

pytestmark = pytest.mark.django_db

LEAD = settings.EXTENSION_CERTIFICATE_LEAD_DAYS


@pytest.fixture(autouse=True)
def _every_chunk_commits(request, caplog):
    """The sweep retries a failed chunk one dossier at a time, which hides a chunk's own faults from
    the outcome: here no chunk may roll back unless the test expects it (``expect_rollback``)."""
    caplog.set_level(logging.WARNING, logger="applications.services.certificates")
    yield
    if "expect_rollback" not in request.fixturenames:
        rolled_back = [record.getMessage() for record in caplog.get_records("call")
                       if "rolled back" in record.getMessage()]
        assert not rolled_back, rolled_back


@pytest.fixture
def expect_rollback():
    """Lets a chunk roll back in this test (a dossier made to fail)."""


def pending_renewal(*, days_left=5, status="under_review", on_time=True, allows_work=True,
                    code="renouvellement-salarie", **extra):
    """A renewal filed and waiting for its decision, whose permit ends in ``days_left`` days."""
    applicant = UserFactory(first_name="Amina", last_name="Diallo", birth_date=date(1990, 3, 2))
    permit = PermitFactory(holder=applicant, allows_work=allows_work,
                           valid_until=timezone.localdate() + timedelta(days=days_left))
    return DossierFactory(
        applicant=applicant, procedure=procedure(code), status=status, renewed_permit=permit,
        permit_expires_on=permit.valid_until, filed_on_time=on_time,
        legal_deadline=timezone.localdate() + timedelta(days=30), **extra,
    )


def certificates(dossier, kind=DocumentKind.EXTENSION_CERTIFICATE):
    return list(IssuedDocument.objects.filter(subject_type="applications.dossier", subject_id=str(dossier.pk),
                                              kind=kind).order_by("valid_from", "id"))


def travel_to(day: date):
    night = timezone.make_aware(datetime.combine(day, datetime.min.time())).replace(hour=1, minute=30)
    return time_machine.travel(night, tick=False)


# --- Calendar months ----------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2027, 11, 30), 3, date(2028, 2, 29)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2026, 10, 15), 3, date(2027, 1, 15)),
    (date(2026, 3, 1), 12, date(2027, 3, 1)),
])
def test_months_are_calendar_months_clamped_at_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


# --- The sweep ----------------------------------------------------------------------------------

def test_a_pending_renewal_gets_one_certificate_however_often_the_sweep_runs(mails):
    dossier = pending_renewal(days_left=5)
    today = timezone.localdate()
    with mails():
        assert extension_certificates_sweep(today=today) == 1
        assert extension_certificates_sweep(today=today) == 0
        assert issue_extension_certificates() == 0  # the beat task: same sweep, same day
    [certificate] = certificates(dossier)
    starts = dossier.permit_expires_on + timedelta(days=1)
    assert certificate.valid_from == starts
    assert certificate.valid_until == add_months(starts, settings.EXTENSION_CERTIFICATE_MONTHS) - timedelta(days=1)
    assert certificate.holder == dossier.applicant and certificate.rendered_at is not None
    assert certificate.context["on_time"] is True
    # The certificate names the permit it extends, and when that permit ended.
    assert f"Fin de validité du titre : {dossier.permit_expires_on:%d/%m/%Y}" in pdf_text(certificate)
    dossier.refresh_from_db()
    assert dossier.certificate_valid_until == certificate.valid_until
    assert dossier.priority == PRIORITY_NORMAL  # covered: no longer "rights at risk"
    event = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.CERTIFICATE_ISSUED)
    assert event.data["kind"] == "extension_certificate" and event.data["number"] == certificate.number
    assert [m.subject for m in mail.outbox if "prolongation" in m.subject] == [
        f"Votre attestation de prolongation d'instruction (demande n° {dossier.reference})"
    ]
    assert certificate.number in mail.outbox[-1].body


def test_the_sweeps_messages_are_word_for_word_those_notify_writes_for_each_person(mails):
    """The sweep renders its messages a language at a time (notify_many): each person still gets
    the text notify renders for them, in their language, with their own facts."""
    from notifications.models import Notification
    from notifications.services import notify

    french = pending_renewal(days_left=5)
    english = pending_renewal(days_left=6, allows_work=False)
    english.applicant.first_name = "John"
    english.applicant.preferred_language = "en"
    english.applicant.save(update_fields=["first_name", "preferred_language"])
    with mails():
        assert extension_certificates_sweep(today=timezone.localdate()) == 2
        texts = {}
        for dossier in (french, english):
            event = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.CERTIFICATE_ISSUED)
            [certificate] = certificates(dossier)
            swept = {row.channel: (row.subject, row.body) for row in Notification.objects.filter(
                event="dossier.certificate_issued", object_type="applications.dossierevent", object_id=str(event.pk))}
            alone = notify(recipient=dossier.applicant, event="dossier.certificate_issued", obj=dossier, context={
                "dossier": dossier, "document": certificate,
                "url": settings.SITE_URL + reverse("applications:dossier", args=[dossier.pk])})
            assert swept and swept == {row.channel: (row.subject, row.body) for row in alone}
            texts[dossier.applicant.preferred_language] = swept["inbox"]
    assert texts["fr"][0].startswith("Votre attestation") and texts["en"][0] != texts["fr"][0]
    assert "Amina" in texts["fr"][1] and "John" in texts["en"][1] and french.reference in texts["fr"][1]


def test_the_database_refuses_a_second_certificate_with_the_same_start(mails):
    dossier = pending_renewal(days_left=5)
    with mails():
        certificate = extension_certificate_issue(dossier=dossier, today=timezone.localdate())
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedDocument.objects.create(
            kind=certificate.kind, number="ANEF-API-2099-00000001", verification_code="ABCDEFGHJK",
            holder=certificate.holder, holder_name="x", subject_type=certificate.subject_type,
            subject_id=certificate.subject_id, valid_from=certificate.valid_from, template=certificate.template,
        )


def test_nothing_before_the_lead_days_and_then_the_day_they_start(mails):
    dossier = pending_renewal(days_left=LEAD + 1)
    with mails():
        assert extension_certificates_sweep(today=timezone.localdate()) == 0
    with travel_to(timezone.localdate() + timedelta(days=1)), mails():
        assert extension_certificates_sweep(today=timezone.localdate()) == 1
    assert len(certificates(dossier)) == 1


def test_the_certificate_is_re_issued_before_it_lapses_and_replaces_the_previous_one(client, mails):
    dossier = pending_renewal(days_left=3)
    with mails():
        extension_certificates_sweep(today=timezone.localdate())
    [first] = certificates(dossier)

    # Nothing new until LEAD days before the first one ends...
    with travel_to(first.valid_until - timedelta(days=LEAD + 1)), mails():
        assert extension_certificates_sweep(today=timezone.localdate()) == 0
    # ...then the next one, starting the day after.
    with travel_to(first.valid_until - timedelta(days=LEAD)), mails():
        assert extension_certificates_sweep(today=timezone.localdate()) == 1
        assert extension_certificates_sweep(today=timezone.localdate()) == 0
        first.refresh_from_db()
        _, second = certificates(dossier)
        assert second.valid_from == first.valid_until + timedelta(days=1)
        assert (first.status, first.superseded_by) == (DocumentStatus.SUPERSEDED, second)
        # Replaced, but only from the day the second one starts: until then the first is in force.
        assert first.superseded_on == second.valid_from
        assert document_verification_facts(document=first).status == "valid"
        assert document_verification_facts(document=second).status == "not_yet_valid"
    dossier.refresh_from_db()
    assert dossier.certificate_valid_until == second.valid_until
    assert DossierEvent.objects.filter(dossier=dossier, kind=DossierEvent.Kind.CERTIFICATE_ISSUED).count() == 2


def test_a_late_renewal_gets_none_unless_an_agent_grants_it(mails):
    late = pending_renewal(days_left=2, on_time=False)
    today = timezone.localdate()
    with mails():
        assert extension_certificates_sweep(today=today) == 0
        extension_grant(dossier=late, by=StaffFactory(), reason="Retard dû à une hospitalisation.")
        assert extension_certificates_sweep(today=today) == 1
    [certificate] = certificates(late)
    assert certificate.context["on_time"] is False


def test_a_renewal_being_completed_keeps_its_rights(mails):
    dossier = pending_renewal(days_left=5, status="complements_requested")
    with mails():
        assert extension_certificates_sweep(today=timezone.localdate()) == 1
    assert len(certificates(dossier)) == 1


@pytest.mark.parametrize("status", ["decided_favourable", "decided_unfavourable", "withdrawn",
                                    "closed_without_action", "card_ready"])
def test_a_dossier_no_longer_pending_gets_none(status, mails):
    dossier = pending_renewal(days_left=5, status=status)
    with mails():
        assert extension_certificates_sweep(today=timezone.localdate()) == 0
    assert certificates(dossier) == []


def test_a_first_request_gets_none(mails):
    dossier = pending_renewal(days_left=5, code="premiere-demande-salarie")
    with mails():
        assert extension_certificates_sweep(today=timezone.localdate()) == 0
    assert certificates(dossier) == []


def test_the_sweeps_selection_in_sql_is_the_rule_it_re_checks_under_the_lock():
    """``extension_certificates_due_filter`` picks the candidates in SQL and
    ``extension_certificate_due`` re-checks each under its lock: they must agree, case by case."""
    from applications.models import Dossier
    from applications.services.certificates import extension_certificate_due, extension_certificates_due_filter

    today = timezone.localdate()
    due = {"on time": pending_renewal(days_left=5), "granted": pending_renewal(days_left=5, on_time=False,
                                                                              extension_granted=True),
           "being completed": pending_renewal(days_left=5, status="complements_requested")}
    not_due = {
        "first request": pending_renewal(days_left=5, code="premiere-demande-salarie"),
        "decided": pending_renewal(days_left=5, status="decided_favourable"),
        "late": pending_renewal(days_left=5, on_time=False),
        "no permit renewed": pending_renewal(days_left=5),
        "no end date": pending_renewal(days_left=5),
        "ends beyond the lead days": pending_renewal(days_left=settings.EXTENSION_CERTIFICATE_LEAD_DAYS + 1),
    }

    Dossier.objects.filter(pk=not_due["no permit renewed"].pk).update(renewed_permit=None)
    Dossier.objects.filter(pk=not_due["no end date"].pk).update(permit_expires_on=None)

    selected = set(Dossier.objects.filter(extension_certificates_due_filter(today)).values_list("pk", flat=True))
    rule = {dossier.pk for dossier in Dossier.objects.select_related("procedure") if extension_certificate_due(
        dossier, today)}
    assert selected == rule == {dossier.pk for dossier in due.values()}
    assert not selected & {dossier.pk for dossier in not_due.values()}


def test_the_sweep_writes_the_lines_one_certificate_issued_alone_writes(mails):
    from accounts.models import AuditEvent
    from applications.services.certificates import extension_certificate_issue

    swept, alone = pending_renewal(days_left=3), pending_renewal(days_left=3)
    receipt = document_issue(kind=DocumentKind.FILING_RECEIPT, holder=swept.applicant, subject=swept,
                             template=RECEIPT_TEMPLATE, context=receipt_context(), by=None)
    today = timezone.localdate()
    with mails():
        extension_certificate_issue(dossier=alone, today=today)  # the system, one file: event_record
        assert extension_certificates_sweep(today=today) == 1  # a chunk, written in bulk

    def lines(dossier):
        [document] = certificates(dossier)
        marks = {document.pk: "<document>", document.number: "<number>"}
        event = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.CERTIFICATE_ISSUED)
        audit = AuditEvent.objects.get(action="dossier.certificate_issued", object_id=str(dossier.pk))
        return ([(event.actor, {key: marks.get(value, value) for key, value in event.data.items()})],
                [(audit.actor, audit.object_type,
                  {key: marks.get(value, value) for key, value in audit.data.items()})])

    assert lines(swept) == lines(alone)
    assert lines(swept)[1][0][1] == "applications.dossier"  # the audit line names what it is about
    assert lines(swept)[0][0][1]["document"] == "<document>"  # the timeline links the certificate
    # The file's other documents are not certificates: the receipt is not superseded by it.
    receipt.refresh_from_db()
    assert receipt.status == DocumentStatus.VALID and receipt.superseded_by_id is None


def test_a_decision_stops_the_re_issue(mails):
    dossier = pending_renewal(days_left=3)
    with mails():
        extension_certificates_sweep(today=timezone.localdate())
    [first] = certificates(dossier)
    with mails():
        dossier_decide(dossier=dossier, by=StaffFactory(), outcome="decided_unfavourable",
                       reasons="Ressources insuffisantes.", appeal_routes="Recours sous deux mois.")
    with travel_to(first.valid_until - timedelta(days=1)), mails():
        assert extension_certificates_sweep(today=timezone.localdate()) == 0
    assert certificates(dossier) == [first]


def test_an_expired_permit_without_certificate_is_covered_from_today(mails):
    # A late renewal granted the certificate after its permit ended: no certificate back-dated.
    dossier = pending_renewal(days_left=-10, on_time=False, extension_granted=True)
    with mails():
        extension_certificates_sweep(today=timezone.localdate())
    [certificate] = certificates(dossier)
    assert certificate.valid_from == timezone.localdate()


@pytest.mark.parametrize(("allows_work", "said", "not_said"), [
    (True, "Le titulaire est autorisé à travailler.", "n'autorise pas"),
    (False, "Cette attestation n'autorise pas son titulaire à travailler.", "est autorisé à travailler"),
])
def test_the_work_mention_follows_the_permit_being_renewed(allows_work, said, not_said, mails):
    dossier = pending_renewal(days_left=5, allows_work=allows_work)
    with mails():
        extension_certificates_sweep(today=timezone.localdate())
    [certificate] = certificates(dossier)
    assert certificate.context["allows_work"] is allows_work
    text = pdf_text(certificate)
    assert "Attestation de prolongation d'instruction" in text
    assert said in text and not_said not in text
    assert dossier.renewed_permit.number in text and dossier.reference in text
    valid_until = certificate.valid_until.strftime("%d/%m/%Y")
    assert f"au {valid_until} inclus" in text
    assert "R. 431-15-1" in text


def test_a_holder_reading_english_gets_both_languages(mails):
    dossier = pending_renewal(days_left=5)
    dossier.applicant.preferred_language = "en"
    dossier.applicant.save(update_fields=["preferred_language"])
    with mails():
        extension_certificates_sweep(today=timezone.localdate())
    [certificate] = certificates(dossier)
    assert certificate.language == "en"
    assert "Le titulaire est autorisé à travailler." in pdf_text(certificate)


def test_batches_cover_every_dossier():
    dossiers = [pending_renewal(days_left=days) for days in (1, 2, 2, 3, 6)]
    pending_renewal(days_left=5, on_time=False)  # not eligible, in the middle of the keyset
    assert extension_certificates_sweep(today=timezone.localdate(), batch_size=2) == 5
    assert all(len(certificates(d)) == 1 for d in dossiers)
    assert extension_certificates_sweep(today=timezone.localdate(), batch_size=2) == 0


def test_the_sweep_costs_a_constant_number_of_queries_per_chunk():
    today = timezone.localdate()

    def queries_for(count):
        for _ in range(count):
            pending_renewal(days_left=4)
        with CaptureQueriesContext(connection) as queries:
            assert extension_certificates_sweep(today=today, chunk_size=5) == count
        return len(queries)

    queries_for(1)  # warm-up: the first issue of the year creates the numbering row
    one, five, ten = queries_for(1), queries_for(5), queries_for(10)
    assert one == five  # a chunk's dossiers are read and written together
    # A second chunk costs what the first did (beside one keyset read): the dossiers locked and read,
    # their certificates read, the numbers, the codes checked, the certificates, their audit lines,
    # the dossiers' dates with the timeline and its audit lines, the messages; and the chunk's
    # transaction (here a savepoint and its release, inside the test's transaction).
    assert ten - five == five - 1 <= 10


def break_for_the_sweep(dossier) -> None:
    """Files a certificate of someone else under ``dossier``: document_issue refuses to supersede
    it (another holder), so issuing this dossier's certificate fails, every time."""
    IssuedDocument.objects.create(
        kind=DocumentKind.EXTENSION_CERTIFICATE, number="ANEF-API-2000-00000001", verification_code="ABCDEFGHJK",
        holder=UserFactory(), holder_name="Quelqu'un d'autre", subject_type="applications.dossier",
        subject_id=str(dossier.pk), valid_from=timezone.localdate() - timedelta(days=80),
        valid_until=timezone.localdate() + timedelta(days=1), template="documents/pdf/extension_certificate.html",
    )


def sweep_log(caplog) -> list[tuple[str, str, bool]]:
    return [(record.levelname, record.getMessage(), bool(record.exc_info)) for record in caplog.records
            if record.name == "applications.services.certificates"]


def test_one_broken_dossier_does_not_stop_the_others_and_the_operator_is_told_which(caplog, expect_rollback):
    before, broken, after = (pending_renewal(days_left=days) for days in (1, 2, 3))
    break_for_the_sweep(broken)
    today = timezone.localdate()

    with caplog.at_level(logging.WARNING, logger="applications.services.certificates"):
        assert extension_certificates_sweep(today=today) == 2

    assert len(certificates(before)) == len(certificates(after)) == 1
    # The chunk holding it was rolled back and its dossiers taken one by one: the others got theirs.
    assert sweep_log(caplog) == [
        ("WARNING", f"Extension certificates sweep: chunk {before.pk}..{after.pk} rolled back, taken one by one",
         True),
        ("ERROR", f"Extension certificate for dossier {broken.pk} failed", True),
        ("ERROR", f"Extension certificates sweep of {today}: 2 issued, 1 failed", False),
    ]


@pytest.mark.parametrize("broken_days_left", [1, 3])
def test_a_broken_dossier_is_tried_once_across_batches(caplog, broken_days_left, expect_rollback):
    # Made last, so the broken one has the highest id: the next batch must not take it again,
    # whether it was the last key of its batch (3) or not (1).
    fine = [pending_renewal(days_left=days) for days in (1, 2, 4, 5, 6)]
    broken = pending_renewal(days_left=broken_days_left)
    break_for_the_sweep(broken)

    with caplog.at_level(logging.WARNING, logger="applications.services.certificates"):
        assert extension_certificates_sweep(today=timezone.localdate(), batch_size=3, chunk_size=1) == 5

    assert all(len(certificates(dossier)) == 1 for dossier in fine)
    failures = [message for level, message, _trace in sweep_log(caplog) if message.startswith("Extension certificate ")]
    assert failures == [f"Extension certificate for dossier {broken.pk} failed"]


# --- Favourable decision ------------------------------------------------------------------------

def test_the_favourable_decision_issues_its_certificate_and_card_delivery_ends_it(client, mails):
    dossier = pending_renewal(days_left=3)
    agent = StaffFactory()
    with mails():
        extension_certificates_sweep(today=timezone.localdate())
    [extension] = certificates(dossier)
    with mails():
        biometrics_taken(dossier)
        dossier_decide(dossier=dossier, by=agent, outcome="decided_favourable")
    [favourable] = certificates(dossier, DocumentKind.FAVOURABLE_DECISION)
    extension.refresh_from_db()
    assert (extension.status, extension.superseded_by) == (DocumentStatus.SUPERSEDED, favourable)
    assert (favourable.valid_from, favourable.valid_until) == (timezone.localdate(), None)
    assert favourable.context["allows_work"] is True and favourable.context["work"] == "yes"
    # No identity step in this dossier: the account's name and birth date.
    assert favourable.context["applicant"] == {"name": dossier.applicant.get_full_name(),
                                               "birth_date": "1990-03-02", "foreigner_number": ""}
    dossier.refresh_from_db()
    assert dossier.certificate_valid_until is None
    assert DossierEvent.objects.filter(dossier=dossier, kind=DossierEvent.Kind.CERTIFICATE_ISSUED,
                                       data__kind="favourable_decision").count() == 1
    text = pdf_text(favourable)
    assert "Attestation de décision favorable" in text
    assert "jusqu'à la remise de son titre de séjour" in text
    assert "Le titulaire est autorisé à travailler." in text
    assert document_verification_facts(document=favourable).status == "valid"

    with mails():
        for step in (Status.CARD_IN_PRODUCTION, Status.CARD_READY):
            card_mark(dossier=dossier, by=agent, to=step)
    favourable.refresh_from_db()
    assert favourable.status == DocumentStatus.VALID  # still the person's proof until they have the card
    with mails():
        card_mark(dossier=dossier, by=agent, to=Status.CARD_DELIVERED, number="R0000000001",
                  valid_from=timezone.localdate(), valid_until=timezone.localdate() + timedelta(days=365))
    favourable.refresh_from_db()
    assert favourable.status == DocumentStatus.REVOKED
    assert favourable.revocation_reason == f"Titre de séjour remis le {timezone.localdate():%d/%m/%Y}."
    response = client.get(reverse("documents:verify_token", args=[qr_token_make(document=favourable)]))
    assert "plus en vigueur" in response.content.decode()


def test_the_favourable_certificate_is_issued_once_by_the_deciding_agent_and_only_after_a_favourable_decision(
        mails):
    from accounts.models import AuditEvent
    from applications.services.certificates import favourable_decision_certificate_issue

    dossier, undecided = pending_renewal(days_left=3), pending_renewal(days_left=3)
    agent = StaffFactory()
    with mails():
        biometrics_taken(dossier)
        dossier_decide(dossier=dossier, by=agent, outcome="decided_favourable")
    [favourable] = certificates(dossier, DocumentKind.FAVOURABLE_DECISION)

    assert favourable_decision_certificate_issue(dossier=dossier, by=agent) == favourable  # not a second one
    assert certificates(dossier, DocumentKind.FAVOURABLE_DECISION) == [favourable]
    assert AuditEvent.objects.get(action="document.issued", object_id=str(favourable.pk)).actor == agent
    event = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.CERTIFICATE_ISSUED)
    assert (event.data["number"], event.data["document"]) == (favourable.number, favourable.pk)
    with pytest.raises(ValueError, match=f"^Dossier {undecided.pk} is under_review, not decided favourably.$"):
        favourable_decision_certificate_issue(dossier=undecided, by=agent)


@pytest.mark.parametrize(("code", "work", "sentence"), [
    ("renouvellement-etudiant", "accessory", "à titre accessoire, dans la limite de 60 %"),
    ("renouvellement-visiteur", "no", "Cette attestation n'autorise pas son titulaire à travailler."),
    ("renouvellement-passeport-talent", "yes", "Le titulaire est autorisé à travailler."),
])
def test_the_favourable_certificate_states_the_right_to_work_of_the_permit_granted(code, work, sentence, mails):
    dossier = pending_renewal(days_left=60, code=code,
                              answers={"identity": {"first_name": "Amina", "last_name": "Diallo",
                                                    "birth_date": "1991-05-06", "foreigner_number": "1234567890"}})
    with mails():
        biometrics_taken(dossier)
        dossier_decide(dossier=dossier, by=StaffFactory(), outcome="decided_favourable")
    [favourable] = certificates(dossier, DocumentKind.FAVOURABLE_DECISION)
    assert favourable.context["work"] == work
    assert favourable.context["applicant"] == {"name": "Amina DIALLO", "birth_date": "1991-05-06",
                                               "foreigner_number": "1234567890"}
    assert sentence in pdf_text(favourable)


def test_the_work_rule_covers_every_category():
    assert {work_right_for_category(c) for c in PermitCategory.values} == {"yes", "accessory", "no"}
    assert work_right_for_category(PermitCategory.STUDENT) == "accessory"
    assert work_right_for_category(PermitCategory.VISITOR) == "no"
    assert work_right_for_category("") == "unknown"


def test_a_decision_taken_while_the_sweep_waits_wins(mails):
    # The sweep read the dossier as eligible; by the time it holds the row lock it is decided.
    dossier = pending_renewal(days_left=3)
    with mails():
        dossier_transition(dossier=dossier, to=Status.DECIDED_UNFAVOURABLE,
                           by=StaffFactory(role__code=dossier.prefecture.department.code))
        assert extension_certificate_issue(dossier=dossier, today=timezone.localdate()) is None
    assert certificates(dossier) == []


# --- Priorities ---------------------------------------------------------------------------------

def test_the_nightly_priority_refresh_puts_uncovered_permits_first():
    dossier = pending_renewal(days_left=20)
    dossier.priority = PRIORITY_NORMAL
    dossier.save(update_fields=["priority"])
    assert refresh_queue_priorities() >= 1
    dossier.refresh_from_db()
    assert dossier.priority == PRIORITY_RIGHTS_AT_RISK


# --- Continuity of rights, day by day -----------------------------------------------------------

def documents_in_force(holder, day):
    """The holder's documents that /verifier/ would call valid on ``day``."""
    return [d for d in IssuedDocument.objects.filter(holder=holder).select_related("superseded_by")
            if document_verification_facts(document=d, today=day).status == "valid"]


def test_every_day_of_a_long_instruction_the_person_holds_a_document_in_force():
    # Regression (outside review): a certificate re-issued ahead of its lapse replaced the one in
    # force on the day of issue, leaving people a week with no valid document at each re-issue.
    # A renewal filed on time, instructed for 11 months with a complement request on the way,
    # decided favourably, its card delivered 6 weeks later; the nightly jobs run every day.
    filed_on = date(2027, 1, 11)
    with travel_to(filed_on):
        dossier = pending_renewal(days_left=90)
    agent = StaffFactory()
    expires_on = dossier.permit_expires_on
    decided_on = expires_on + timedelta(days=300)
    delivered_on = decided_on + timedelta(days=42)
    complements_on = expires_on + timedelta(days=100)

    gaps = []
    day = filed_on
    while day < delivered_on:
        with travel_to(day):
            issue_extension_certificates()
            refresh_queue_priorities()
            if day == complements_on:
                complements_request(dossier=dossier, by=agent, document_types=[],
                                    message="Justificatif de domicile récent.", due_on=day + timedelta(days=15))
            elif day == complements_on + timedelta(days=10):
                complements_answer(dossier=dossier, by=dossier.applicant, message="Voici le justificatif.")
            elif day == decided_on:
                biometrics_taken(dossier)
                dossier_decide(dossier=dossier, by=agent, outcome="decided_favourable")
            elif day == decided_on + timedelta(days=20):
                card_mark(dossier=dossier, by=agent, to=Status.CARD_IN_PRODUCTION)
            elif day == decided_on + timedelta(days=35):
                card_mark(dossier=dossier, by=agent, to=Status.CARD_READY)
            # The permit itself covers the person up to its last day.
            if day > expires_on and not documents_in_force(dossier.applicant, day):
                gaps.append(day)
        day += timedelta(days=1)

    assert gaps == []
    extensions = certificates(dossier)
    assert len(extensions) >= 4  # 300 days of instruction: re-issued every 3 months
    # Each one starts the day after the previous one ends.
    assert all(b.valid_from == a.valid_until + timedelta(days=1) for a, b in itertools.pairwise(extensions))


def test_a_certificate_re_issued_ahead_stays_in_force_until_its_successor_starts(client):
    dossier = pending_renewal(days_left=3)
    extension_certificates_sweep(today=timezone.localdate())
    [first] = certificates(dossier)
    reissued_on = first.valid_until - timedelta(days=LEAD)
    with travel_to(reissued_on):
        extension_certificates_sweep(today=reissued_on)
    _, second = certificates(dossier)
    first.refresh_from_db()
    assert (first.superseded_by, first.superseded_on) == (second, second.valid_from)

    # From the re-issue to its own last day, the first one is valid, and says who takes over.
    for day in (reissued_on, first.valid_until):
        assert document_verification_facts(document=first, today=day).status == "valid"
        assert document_verification_facts(document=second, today=day).status == "not_yet_valid"
    with travel_to(reissued_on):
        page = client.get(reverse("documents:verify_token", args=[qr_token_make(document=first)])).content.decode()
        assert "Document authentique" in page and "plus en vigueur" not in page
        assert f"le document n° {second.number} prendra le relais" in page
        # The applicant's space shows both: the one in force and the next one.
        client.force_login(dossier.applicant)
        space = client.get(reverse("applications:dashboard")).content.decode()
        assert "Mes attestations en vigueur" in space
        assert first.number in space and second.number in space
        assert "En vigueur à partir du" in space and "La suivante prend le relais le" in space

    # The day the second one starts, the first one is replaced by it.
    takeover = second.valid_from
    assert document_verification_facts(document=first, today=takeover).status == "superseded"
    assert document_verification_facts(document=second, today=takeover).status == "valid"
    with travel_to(takeover):
        page = client.get(reverse("documents:verify_token", args=[qr_token_make(document=first)])).content.decode()
        assert "plus en vigueur" in page
        assert f"Remplacé par le document n° {second.number}" in page
        client.force_login(dossier.applicant)  # months later: a new session
        space = client.get(reverse("applications:dashboard")).content.decode()
        assert second.number in space and first.number not in space


def test_a_favourable_decision_replaces_the_next_certificate_at_once_and_the_current_one_runs_out():
    dossier = pending_renewal(days_left=3)
    extension_certificates_sweep(today=timezone.localdate())
    [first] = certificates(dossier)
    decided_on = first.valid_until - timedelta(days=LEAD - 1)
    with travel_to(decided_on):
        extension_certificates_sweep(today=decided_on)
        biometrics_taken(dossier)
        dossier_decide(dossier=dossier, by=StaffFactory(), outcome="decided_favourable")
    first, second = (IssuedDocument.objects.get(pk=d.pk) for d in certificates(dossier))
    [favourable] = certificates(dossier, DocumentKind.FAVOURABLE_DECISION)
    assert (second.superseded_by, second.superseded_on) == (favourable, decided_on)
    assert document_verification_facts(document=second, today=decided_on).status == "superseded"
    assert document_verification_facts(document=first, today=decided_on).status == "valid"
    assert document_verification_facts(document=favourable, today=decided_on).status == "valid"


def test_a_document_that_proves_no_right_is_replaced_at_once():
    # Documents that prove no right (a receipt, a convocation) are replaced the day the successor is
    # issued, even if the successor's own validity starts later.
    holder = UserFactory()
    today = timezone.localdate()
    letter = dict(person="A", motive="Biométrie", starts_at="2030-01-01T09:00:00+01:00", duration_minutes=15,
                  site="Préfecture", address="", desk="Guichet 1", documents_to_bring="", file_reference="",
                  booking=1)
    old = document_issue(kind=DocumentKind.CONVOCATION, holder=holder, subject=holder,
                         template="documents/pdf/convocation.html", context=letter,
                         valid_from=today + timedelta(days=3), valid_until=today + timedelta(days=3))
    new = document_issue(kind=DocumentKind.CONVOCATION, holder=holder, subject=holder,
                         template="documents/pdf/convocation.html", context=letter,
                         valid_from=today + timedelta(days=9), valid_until=today + timedelta(days=9),
                         supersedes=old)
    old.refresh_from_db()
    assert (old.superseded_by, old.superseded_on) == (new, today)
    assert document_verification_facts(document=old, today=today).status == "superseded"


@pytest.mark.parametrize(
    ("allows_work", "said"), [(True, "Autorisé à travailler"), (False, "Non autorisé à travailler")]
)
def test_the_verifier_shows_an_employer_the_permit_category_and_the_right_to_work(client, allows_work, said):
    dossier = pending_renewal(days_left=5, allows_work=allows_work)
    extension_certificates_sweep(today=timezone.localdate())
    [certificate] = certificates(dossier)

    page = " ".join(client.post(reverse("documents:verify"), {"code": certificate.verification_code})
                    .content.decode().split())

    assert f"Catégorie du titre</th><td>{dossier.renewed_permit.get_category_display()}</td>" in page
    assert f"Droit au travail</th><td> {said} </td>" in page
    # Still nothing more than the design allows: no foreigner number, no address.
    assert dossier.renewed_permit.number not in page


def test_the_verifier_shows_a_student_s_accessory_right_to_work_on_the_favourable_certificate(client):
    dossier = pending_renewal(days_left=60, code="renouvellement-etudiant")
    biometrics_taken(dossier)
    dossier_decide(dossier=dossier, by=StaffFactory(), outcome="decided_favourable")
    [favourable] = certificates(dossier, DocumentKind.FAVOURABLE_DECISION)

    page = client.post(reverse("documents:verify"), {"code": favourable.verification_code}).content.decode()

    assert "Étudiant" in page
    assert "à titre accessoire, dans la limite de 60 %" in page


def test_the_verifier_speaks_english_to_an_english_reader(client):
    dossier = pending_renewal(days_left=60, code="renouvellement-etudiant")
    biometrics_taken(dossier)
    dossier_decide(dossier=dossier, by=StaffFactory(), outcome="decided_favourable")
    [favourable] = certificates(dossier, DocumentKind.FAVOURABLE_DECISION)

    page = client.post(reverse("documents:verify"), {"code": favourable.verification_code},
                       HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Right to work" in page and "up to 60% of the legal annual working time" in page


# --- One dossier's certificate through the service (at filing, or granted by an agent) -----------

def test_one_certificate_issued_by_an_agent_is_on_the_timeline_the_file_and_in_the_persons_messages(mails):
    from notifications.models import Notification

    dossier, agent, today = pending_renewal(days_left=3), StaffFactory(), timezone.localdate()

    document = extension_certificate_issue(dossier=dossier, today=today, by=agent)

    dossier.refresh_from_db()
    assert dossier.certificate_valid_until == document.valid_until
    assert (document.holder_name, document.holder_birth_date) == ("Amina DIALLO", date(1990, 3, 2))
    event = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.CERTIFICATE_ISSUED)
    assert event.actor == agent
    assert event.data == {"kind": DocumentKind.EXTENSION_CERTIFICATE, "number": document.number,
                          "document": document.pk, "valid_from": document.valid_from.isoformat(),
                          "valid_until": document.valid_until.isoformat()}
    message = Notification.objects.get(recipient=dossier.applicant, event="dossier.certificate_issued",
                                       channel="email")
    assert f"attestation de prolongation d'instruction n° {document.number}" in message.body
    assert document.valid_until.strftime("%d/%m/%Y") in message.body


def test_a_file_whose_date_lagged_behind_its_certificates_is_fixed_and_given_none(mails):
    dossier, today = pending_renewal(days_left=3), timezone.localdate()
    first = extension_certificate_issue(dossier=dossier, today=today)
    type(dossier).objects.filter(pk=dossier.pk).update(certificate_valid_until=None)  # the date lagged behind

    assert extension_certificate_issue(dossier=dossier, today=today) is None
    dossier.refresh_from_db()
    assert dossier.certificate_valid_until == first.valid_until
    assert certificates(dossier) == [first]


def test_the_next_certificate_through_the_service_follows_the_previous_one_and_supersedes_it(mails):
    dossier = pending_renewal(days_left=3)
    first = extension_certificate_issue(dossier=dossier, today=timezone.localdate())
    with travel_to(first.valid_until - timedelta(days=LEAD)):
        second = extension_certificate_issue(dossier=dossier, today=timezone.localdate())
    first.refresh_from_db()
    assert second.valid_from == first.valid_until + timedelta(days=1)
    assert first.superseded_by == second


def test_the_decision_page_names_no_category_for_a_procedure_that_does_not_set_one():
    from applications.services.certificates import favourable_decision_certificate_facts

    duplicate = DossierFactory(status="under_review", procedure=procedure("duplicata-perte-vol"))
    assert duplicate.procedure.permit_category == ""
    assert favourable_decision_certificate_facts(dossier=duplicate)["permit_category"] == ""
    renewal = pending_renewal()
    assert favourable_decision_certificate_facts(dossier=renewal)["permit_category"] == str(
        PermitCategory(renewal.procedure.permit_category).label)


def test_ending_the_favourable_certificate_revokes_it_once_in_french_and_names_who(mails):
    from django.utils import translation

    from accounts.models import AuditEvent
    from applications.services.certificates import favourable_decision_certificate_end

    agent = StaffFactory()
    dossier = pending_renewal()
    assert favourable_decision_certificate_end(dossier=dossier, by=agent) is None  # none issued yet
    biometrics_taken(dossier)
    with mails():
        dossier = dossier_decide(dossier=dossier, by=agent, outcome=Status.DECIDED_FAVOURABLE)
    [certificate] = certificates(dossier, DocumentKind.FAVOURABLE_DECISION)

    with translation.override("en"):
        ended = favourable_decision_certificate_end(dossier=dossier, by=agent)

    assert ended == certificate
    certificate.refresh_from_db()
    assert certificate.status == DocumentStatus.REVOKED
    assert certificate.revocation_reason == f"Titre de séjour remis le {timezone.localdate():%d/%m/%Y}."
    assert AuditEvent.objects.get(action="document.revoked").actor == agent
    assert favourable_decision_certificate_end(dossier=dossier, by=agent) is None  # twice: nothing more


def test_the_sweep_fixes_a_date_that_lagged_behind_the_documents_and_issues_nothing(mails):
    lagging, due = pending_renewal(days_left=3), pending_renewal(days_left=4)
    today = timezone.localdate()
    first = extension_certificate_issue(dossier=lagging, today=today)
    type(lagging).objects.filter(pk=lagging.pk).update(certificate_valid_until=None)  # the date lagged behind

    with mails():
        assert extension_certificates_sweep(today=today) == 1  # the other file's certificate only

    lagging.refresh_from_db()
    assert lagging.certificate_valid_until == first.valid_until
    assert certificates(lagging) == [first]
    assert len(certificates(due)) == 1


def test_a_document_of_another_kind_issued_after_the_certificate_does_not_stand_for_it(mails):
    """The sweep chains the next certificate to the current one: a newer document of the file that
    is not a certificate (a receipt, a letter) neither sets its start nor is superseded by it."""
    dossier = pending_renewal(days_left=3)
    with mails():
        extension_certificates_sweep(today=timezone.localdate())
    [first] = certificates(dossier)
    receipt = document_issue(kind=DocumentKind.FILING_RECEIPT, holder=dossier.applicant, subject=dossier,
                             template=RECEIPT_TEMPLATE, context=receipt_context(), by=None)

    with travel_to(first.valid_until - timedelta(days=LEAD)), mails():
        assert extension_certificates_sweep(today=timezone.localdate()) == 1

    first.refresh_from_db()
    _, second = certificates(dossier)
    assert second.valid_from == first.valid_until + timedelta(days=1)
    assert first.superseded_by == second
    receipt.refresh_from_db()
    assert receipt.status == DocumentStatus.VALID and receipt.superseded_by_id is None


def test_a_chunk_whose_files_were_decided_since_their_ids_were_read_issues_nothing(mails):
    """The sweep reads the ids of the files due, then locks them a chunk at a time: a file decided
    in between is no longer due under the lock, so its chunk issues nothing, counts nothing and
    leaves nothing to take alone afterwards (the race, played in order: the chunk given a stale id)."""
    from applications.services.certificates import _sweep_chunk, extension_certificates_due_filter

    decided, elsewhere = pending_renewal(days_left=3), pending_renewal(days_left=3)
    today = timezone.localdate()
    with mails():
        dossier_transition(dossier=decided, to=Status.DECIDED_UNFAVOURABLE,
                           by=StaffFactory(role__code=decided.prefecture.department.code))

        assert _sweep_chunk([decided.pk], extension_certificates_due_filter(today), today) == (0, [])

    assert certificates(decided) == [] and certificates(elsewhere) == []  # the other file is another chunk's
