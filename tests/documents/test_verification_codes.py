"""Verification codes are drawn at random and must be unused: a code already printed on another
document is drawn again, and after five unlucky draws the issue fails rather than print a code
twice. The random source (``secrets``, outside the project) is scripted here to make the draws
collide; the database's unique key stays the last guard."""

from unittest import mock

import pytest

from documents import services
from documents.models import CODE_ALPHABET, CODE_LENGTH, DocumentKind, IssuedDocument
from documents.services import document_issue, document_issue_many
from tests.documents.support import RECEIPT_TEMPLATE, receipt_context
from tests.documents.test_issue_many import certificate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FRESH = [CODE_ALPHABET[n] * CODE_LENGTH for n in range(3)]


class draws:
    """The documents' ``secrets.choice`` giving the characters of these codes in turn (only theirs:
    the rest of Django draws as usual); ``calls`` counts the characters drawn."""

    def __init__(self, *codes: str):
        self.characters = iter("".join(codes))
        self.patch = mock.patch.object(services, "secrets")

    def __enter__(self):
        self.choice = self.patch.__enter__().choice
        self.choice.side_effect = lambda alphabet: next(self.characters)
        return self.choice

    def __exit__(self, *exc):
        return self.patch.__exit__(*exc)


def receipt(holder):
    return document_issue(kind=DocumentKind.FILING_RECEIPT, holder=holder, subject=holder,
                          template=RECEIPT_TEMPLATE, context=receipt_context())


def test_a_code_already_printed_on_a_document_is_drawn_again(holder):
    taken = receipt(holder).verification_code
    with draws(taken, FRESH[0]) as choice:
        document = receipt(holder)
    assert document.verification_code == FRESH[0]
    assert choice.call_count == 2 * CODE_LENGTH


def test_a_batch_draws_again_only_the_codes_already_printed(holder):
    taken = receipt(holder).verification_code
    with draws(taken, FRESH[0], FRESH[1]) as choice:
        documents = document_issue_many(issues=[certificate(holder), certificate(UserFactory())])
    assert sorted(d.verification_code for d in documents) == sorted(FRESH[:2])
    assert choice.call_count == 3 * CODE_LENGTH


def test_after_five_draws_of_used_codes_the_issue_fails_and_nothing_is_written(holder):
    taken = receipt(holder).verification_code
    with draws(*[taken] * 6) as choice, pytest.raises(RuntimeError) as error:
        receipt(holder)
    assert str(error.value) == "Could not draw an unused verification code."
    assert choice.call_count == 5 * CODE_LENGTH

    with draws(*[taken] * 6) as choice, pytest.raises(RuntimeError) as error:
        document_issue_many(issues=[certificate(holder)])
    assert str(error.value) == "Could not draw unused verification codes."
    assert choice.call_count == 5 * CODE_LENGTH
    assert IssuedDocument.objects.filter(holder=holder).count() == 1  # the first receipt only
