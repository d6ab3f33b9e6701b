import datetime

import pytest

from documents.models import DocumentKind
from documents.services import document_issue
from tests.documents.support import RECEIPT_TEMPLATE, receipt_context
from tests.factories import UserFactory


@pytest.fixture
def holder(db):
    return UserFactory(
        first_name="Awa", last_name="Ndiaye", birth_date=datetime.date(1990, 4, 12),
        foreigner_number="0123456789", nationality="sénégalaise", address="12 rue des Lilas",
        postal_code="69003", city="Lyon",
    )


@pytest.fixture
def issue_receipt(django_capture_on_commit_callbacks):
    """Issues a filing receipt and runs its after-commit rendering, as a real commit would.
    The subject is any model instance (a dossier in real use); the holder by default."""

    def issue(holder, *, subject=None, supersedes=None, **context_overrides):
        with django_capture_on_commit_callbacks(execute=True):
            document = document_issue(
                kind=DocumentKind.FILING_RECEIPT, holder=holder,
                subject=subject or holder, template=RECEIPT_TEMPLATE,
                context=receipt_context(**context_overrides), supersedes=supersedes,
            )
        document.refresh_from_db()
        return document

    return issue
