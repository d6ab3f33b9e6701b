"""``document_issue_many``, the batch twin of ``document_issue`` (the nightly certificate sweep):
the same numbers, codes, holder snapshots, audit lines, replacements and PDFs queued, and all or
nothing."""

import datetime
import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent
from documents.models import DocumentKind, DocumentStatus, IssuedDocument
from documents.services import DocumentToIssue, document_issue, document_issue_many
from tests.documents.support import RECEIPT_TEMPLATE, receipt_context
from tests.documents.test_issue_rules import CERTIFICATE_CONTEXT
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

CERTIFICATE_TEMPLATE = "documents/pdf/extension_certificate.html"
_starts = itertools.count(7)  # one extension certificate per subject and start: a new start each


def certificate(holder, **options) -> DocumentToIssue:
    today = timezone.localdate()
    return DocumentToIssue(kind=DocumentKind.EXTENSION_CERTIFICATE, holder=holder, subject=holder,
                           template=CERTIFICATE_TEMPLATE, context=CERTIFICATE_CONTEXT,
                           valid_from=options.pop("valid_from", today + timedelta(days=next(_starts))),
                           valid_until=options.pop("valid_until", today + timedelta(days=200)), **options)


def test_a_batch_is_numbered_after_single_issues_and_before_the_next_one(holder, django_capture_on_commit_callbacks):
    year = timezone.localdate().year
    before = document_issue(kind=DocumentKind.EXTENSION_CERTIFICATE, holder=holder, subject=holder,
                            template=CERTIFICATE_TEMPLATE, context=CERTIFICATE_CONTEXT)
    with django_capture_on_commit_callbacks() as callbacks:
        batch = document_issue_many(issues=[certificate(holder), certificate(UserFactory()), certificate(holder)])
    after = document_issue(kind=DocumentKind.EXTENSION_CERTIFICATE, holder=holder, subject=holder,
                           template=CERTIFICATE_TEMPLATE, context=CERTIFICATE_CONTEXT)

    numbers = [document.number for document in (before, *batch, after)]
    first = int(before.number.rsplit("-", 1)[1])
    assert numbers == [f"ANEF-API-{year}-{first + n:08d}" for n in range(5)]
    codes = [document.verification_code for document in batch]
    assert len(set(codes)) == 3 and before.verification_code not in codes
    assert all(document.pk and document.status == DocumentStatus.VALID for document in batch)
    assert len(callbacks) == 3  # one PDF each, queued after commit (one message under enqueue_held)


def test_a_batch_records_each_holder_as_the_paper_names_them(holder):
    other = UserFactory(first_name="Jo", last_name="Martin", birth_date=datetime.date(1985, 1, 2),
                        preferred_language="en")
    named, plain = document_issue_many(issues=[
        certificate(holder, holder_as={"name": "Awa Marie NDIAYE", "birth_date": "1990-04-13"}),
        certificate(other),
    ])

    assert (named.holder_name, named.holder_birth_date, named.language) == (
        "Awa Marie NDIAYE", datetime.date(1990, 4, 13), "fr")
    assert (plain.holder_name, plain.holder_birth_date, plain.language) == (
        other.get_full_name(), datetime.date(1985, 1, 2), "en")
    assert named.context == CERTIFICATE_CONTEXT


def test_a_batch_replaces_its_predecessors_from_their_successors_start_and_audits_as_one_issue(holder):
    today = timezone.localdate()
    agent = StaffFactory()
    old = document_issue(kind=DocumentKind.EXTENSION_CERTIFICATE, holder=holder, subject=holder,
                         template=CERTIFICATE_TEMPLATE, context=CERTIFICATE_CONTEXT,
                         valid_from=today - timedelta(days=80), valid_until=today + timedelta(days=5))

    [new] = document_issue_many(issues=[certificate(holder, supersedes=old)], by=agent)

    old.refresh_from_db()
    assert (old.status, old.superseded_by) == (DocumentStatus.SUPERSEDED, new)
    assert old.superseded_on == new.valid_from  # a certificate stays in force until its successor starts
    issued = AuditEvent.objects.get(action="document.issued", object_id=str(new.pk))
    assert (issued.actor, issued.object_type) == (agent, "documents.issueddocument")
    assert issued.data == {"kind": "extension_certificate", "number": new.number,
                           "subject": f"accounts.user#{holder.pk}", "supersedes": old.number}
    superseded = AuditEvent.objects.get(action="document.superseded", object_id=str(old.pk))
    assert superseded.actor == agent
    assert superseded.data == {"number": old.number, "superseded_by": new.number,
                               "superseded_on": new.valid_from.isoformat()}


def test_a_batch_with_one_mistake_issues_nothing(holder):
    someone_else = document_issue(kind=DocumentKind.FILING_RECEIPT, holder=UserFactory(), subject=holder,
                                  template=RECEIPT_TEMPLATE, context=receipt_context())
    count = IssuedDocument.objects.count()

    with pytest.raises(ValueError, match="same holder"):
        document_issue_many(issues=[certificate(holder), certificate(holder, supersedes=someone_else)])
    with pytest.raises(ValueError, match="valid_until is before valid_from"):
        document_issue_many(issues=[certificate(holder, valid_until=timezone.localdate() - timedelta(days=1))])

    assert IssuedDocument.objects.count() == count
    someone_else.refresh_from_db()
    assert someone_else.status == DocumentStatus.VALID


def test_a_batch_costs_the_same_queries_whatever_its_size(holder):
    document_issue_many(issues=[certificate(holder)])  # the year's numbering row exists from now on

    def queries_for(count):
        issues = [certificate(UserFactory()) for _n in range(count)]
        with CaptureQueriesContext(connection) as queries:
            document_issue_many(issues=issues)
        return len(queries)

    assert queries_for(1) == queries_for(20)


def test_a_batch_checks_each_documents_facts_words_its_refusals_and_shares_one_issue_time(holder):
    """What ``document_issue`` refuses, a batch refuses in the same words; a one-day document
    (from and until the same day) is accepted; every document of a batch is issued at one instant,
    in the holder's language or else French, named by the holder's birth date or by none."""
    today = timezone.localdate()
    lacking = DocumentToIssue(kind=DocumentKind.EXTENSION_CERTIFICATE, holder=holder, subject=holder,
                              template=CERTIFICATE_TEMPLATE, context={"reference": "DOS-1"})
    with pytest.raises(ValueError, match="^Context of a extension_certificate lacks: "):
        document_issue_many(issues=[lacking])
    with pytest.raises(ValueError, match="^valid_until is before valid_from$"):
        document_issue_many(issues=[certificate(holder, valid_from=today, valid_until=today - timedelta(days=1))])
    old = document_issue(kind=DocumentKind.EXTENSION_CERTIFICATE, holder=holder, subject=holder,
                         template=CERTIFICATE_TEMPLATE, context=CERTIFICATE_CONTEXT)
    with pytest.raises(ValueError, match="^Two documents of a batch cannot supersede the same document.$"):
        document_issue_many(issues=[certificate(holder, supersedes=old), certificate(holder, supersedes=old)])
    with pytest.raises(ValueError, match="^A document can only supersede a document of the same holder.$"):
        document_issue_many(issues=[certificate(UserFactory(), supersedes=old)])

    no_preference = UserFactory(preferred_language="")
    one_day, unnamed = document_issue_many(issues=[
        certificate(holder, valid_from=today + timedelta(days=3), valid_until=today + timedelta(days=3)),
        certificate(no_preference, holder_as={"name": "Jo MARTIN", "birth_date": ""}),
    ])

    assert one_day.valid_from == one_day.valid_until
    assert one_day.issued_at == unnamed.issued_at
    assert (unnamed.language, unnamed.holder_name, unnamed.holder_birth_date) == ("fr", "Jo MARTIN", None)
