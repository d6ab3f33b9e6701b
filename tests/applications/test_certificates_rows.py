"""The nightly sweep writes its rows with raw ``INSERT … SELECT FROM unnest(…)`` statements and reads
the dossiers as values (core.bulk, issue 14): every row it writes must be the row one certificate
issued alone writes (``extension_certificate_issue``: ``document_issue``, ``event_record``,
``notify``), column by column, for the same facts: the certificate, the one it replaces, the
timeline line, the audit lines, the outbox rows and the dossier's dates and priority."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db.models import Model, Q
from django.utils import timezone

from accounts.models import AuditEvent
from applications.models import Dossier, DossierEvent
from applications.services.certificates import extension_certificate_issue, extension_certificates_sweep
from documents.models import CODE_ALPHABET, CODE_LENGTH, IssuedDocument
from notifications.models import Notification
from tests.applications.test_certificates import LEAD, certificates, pending_renewal, travel_to

pytestmark = pytest.mark.django_db

IDENTITY = {"identity": {"first_name": "Aminata", "last_name": "Diallo-Sow", "birth_date": "1990-03-04",
                         "foreigner_number": "9912345678"}}

HOLDERS = {
    "French, e-mail": {},
    "English, e-mail, SMS and letters": {"preferred_language": "en", "phone": "+33612345678",
                                         "notify_by_sms": True, "notify_by_post": True, "postal_code": "69003"},
    "no e-mail (made at a help point), SMS": {"email": None, "email_verified_at": None, "origin": "assisted",
                                              "notify_by_email": False, "phone": "+33698765432"},
}


def _columns(model: type[Model], **where: Any) -> list[dict[str, Any]]:
    return list(model.objects.filter(**where).order_by("id").values(*(f.attname for f in model._meta.concrete_fields)))


def _written_for(dossier: Dossier) -> dict[str, Any]:
    """Every row the issue of ``dossier``'s newest certificate wrote or changed, with what names
    this dossier (ids, reference, numbers, codes) and the instants replaced by labels."""
    *older, document = certificates(dossier)
    event = DossierEvent.objects.filter(dossier=dossier).latest("id")
    labels = {
        ("dossier", dossier.pk): "<dossier>", ("holder", dossier.applicant_id): "<holder>",
        ("document", document.pk): "<document>", ("event", event.pk): "<event>",
        **{("document", old.pk): f"<previous {n}>" for n, old in enumerate(older)},
    }
    words = {dossier.reference: "<reference>", document.number: "<number>",
             dossier.renewed_permit.number: "<permit>", dossier.submitted_at.isoformat(): "<filed at>",
             f"applications.dossier#{dossier.pk}": "applications.dossier#<dossier>",
             f"/dossiers/{dossier.pk}/": "/dossiers/<dossier>/",
             **{old.number: f"<previous number {n}>" for n, old in enumerate(older)}}
    kind_of = {"holder_id": "holder", "recipient_id": "holder", "dossier_id": "dossier", "id": None,
               "superseded_by_id": "document", "document": "document"}
    object_kind = {"applications.dossier": "dossier", "documents.issueddocument": "document",
                   "applications.dossierevent": "event"}

    def mask(value: Any, key: str = "", row: dict | None = None) -> Any:
        if isinstance(value, dict):
            return {k: mask(v, k, value) for k, v in value.items()}
        if isinstance(value, list):
            return [mask(v, key, row) for v in value]
        if isinstance(value, datetime):
            return "<instant>"  # each path takes its own clock reading
        what = object_kind.get((row or {}).get("object_type", "")) if key in ("object_id", "subject_id") else \
            kind_of.get(key, "")
        if key == "subject_id":
            what = "dossier"
        if what and value is not None and (what, int(value)) in labels:
            return labels[(what, int(value))]
        if key == "id":
            return "<id>"
        if isinstance(value, str):
            for word, label in words.items():
                value = value.replace(word, label)
        return value

    [row] = _columns(IssuedDocument, pk=document.pk)
    assert len(row["verification_code"]) == CODE_LENGTH and set(row["verification_code"]) <= set(CODE_ALPHABET)
    row["verification_code"] = "<code>"
    audit = Q(object_type="applications.dossier", object_id=str(dossier.pk)) | Q(
        object_type="documents.issueddocument", object_id__in=[str(d.pk) for d in (*older, document)])
    return mask({
        "certificate": row,
        "previous": [{**old, "verification_code": "<code>"}
                     for old in _columns(IssuedDocument, pk__in=[old.pk for old in older])],
        "timeline": _columns(DossierEvent, pk=event.pk),
        "audit": sorted((line for line in _columns(AuditEvent, pk__gt=_before["audit"]) if
                         AuditEvent.objects.filter(audit, pk=line["id"]).exists()), key=lambda line: line["action"]),
        "outbox": sorted(_columns(Notification, object_type="applications.dossierevent", object_id=str(event.pk)),
                         key=lambda line: line["channel"]),
        "dossier": {key: value for key, value in _columns(Dossier, pk=dossier.pk)[0].items() if key in (
            "certificate_valid_until", "priority", "priority_date", "updated_at", "status")},
    })


_before: dict[str, int] = {}


def _twins(holder: dict[str, Any], **options: Any) -> tuple[Dossier, Dossier]:
    """Two dossiers with the same facts (their applicants alike), as ``pending_renewal`` makes them."""
    twins = []
    for _n in range(2):
        dossier = pending_renewal(**options)
        person = dossier.applicant
        for field, value in holder.items():
            setattr(person, field, value)
        person.save()
        twins.append(dossier)
    return twins[0], twins[1]


@pytest.mark.parametrize("holder", HOLDERS.values(), ids=HOLDERS.keys())
@pytest.mark.parametrize("answers", [{}, IDENTITY], ids=["the account's identity", "the identity step's"])
def test_the_sweep_writes_the_rows_one_certificate_issued_alone_writes(holder, answers, mails):
    alone, swept = _twins(holder, days_left=3, answers=answers)
    today = timezone.localdate()
    _before["audit"] = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with mails():
        assert extension_certificate_issue(dossier=alone, today=today) is not None
        assert extension_certificates_sweep(today=today) == 1  # the other one: alone is covered now

    expected, written = _written_for(alone), _written_for(swept)
    assert written == expected
    # What the comparison stands on: rows there are, with their facts.
    assert [line["action"] for line in written["audit"]] == ["document.issued", "dossier.certificate_issued"]
    assert {line["channel"] for line in written["outbox"]} >= {"inbox"} and len(written["outbox"]) >= 2
    assert written["certificate"]["context"]["applicant"]["name"] in ("Amina DIALLO", "Aminata DIALLO-SOW")
    assert written["dossier"]["certificate_valid_until"] == certificates(swept)[0].valid_until


@pytest.mark.parametrize("holder", list(HOLDERS.values())[:2], ids=list(HOLDERS)[:2])
def test_a_certificate_re_issued_by_the_sweep_replaces_the_previous_one_as_one_issued_alone(holder, mails):
    alone, swept = _twins(holder, days_left=3, allows_work=False)
    today = timezone.localdate()
    with mails():
        for dossier in (alone, swept):
            extension_certificate_issue(dossier=dossier, today=today)
    [first] = certificates(swept)
    reissue = first.valid_until - timedelta(days=LEAD)
    with travel_to(reissue), mails():
        _before["audit"] = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        assert extension_certificate_issue(dossier=alone, today=reissue) is not None
        assert extension_certificates_sweep(today=reissue) == 1

    expected, written = _written_for(alone), _written_for(swept)
    assert written == expected
    assert [line["action"] for line in written["audit"]] == [
        "document.issued", "document.superseded", "dossier.certificate_issued"]
    [previous] = written["previous"]
    assert (previous["status"], previous["superseded_by_id"], previous["superseded_on"]) == (
        "superseded", "<document>", written["certificate"]["valid_from"])
    assert written["certificate"]["valid_from"] == first.valid_until + timedelta(days=1)


def test_the_rows_compared_name_what_differs_between_two_dossiers():
    """The masks of the comparison above only hide what names each dossier: a fact that differs
    (here the permit's end, so the certificate's dates) still shows."""
    one, other = pending_renewal(days_left=3), pending_renewal(days_left=4)
    _before["audit"] = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for dossier in (one, other):
        extension_certificate_issue(dossier=dossier, today=timezone.localdate())
    first, second = _written_for(one), _written_for(other)
    assert first != second
    assert first["certificate"]["valid_from"] + timedelta(days=1) == second["certificate"]["valid_from"]
    assert first["outbox"][0]["body"] != second["outbox"][0]["body"]
    assert isinstance(first["certificate"]["valid_until"], date) and settings.EXTENSION_CERTIFICATE_MONTHS
