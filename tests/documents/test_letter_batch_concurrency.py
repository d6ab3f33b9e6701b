"""Four desk agents building a batch at the same instant (PostgreSQL threads, committed
transactions): each pending letter lands in exactly one batch."""

from __future__ import annotations

import pytest
from django.db import connection

from documents.letters.selectors import Desk
from documents.letters.services import letter_batch_build
from documents.models import BatchedLetter, LetterBatch
from tests.appointments.test_concurrency import race
from tests.documents.letters_support import person_by_post, send_letter
from tests.factories import StaffFactory, prefecture

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL (CI runs it)"),
    pytest.mark.django_db(transaction=True),
]


def test_agents_building_at_once_put_each_letter_in_one_batch(settings):
    settings.LETTER_BATCH_MAX_LETTERS = 7  # several batches, so that the builders really compete
    letters = [send_letter(person_by_post("69")) for _ in range(20)]
    agents = [StaffFactory() for _ in range(4)]
    desk = Desk(prefecture_id=prefecture("69").pk)

    results = race([lambda a=a: letter_batch_build(desk=desk, by=a) for a in agents])

    # They took turns: no error, and the first four batches took 7 + 7 + 6 letters (then none).
    assert not [r for r in results if isinstance(r, Exception)]
    assert sorted((r.letters_count if r else 0) for r in results) == [0, 6, 7, 7]
    batched = list(BatchedLetter.objects.values_list("notification_id", flat=True))
    assert len(batched) == len(set(batched))  # no letter twice
    assert set(batched) <= {n.pk for n in letters}
    assert sum(b.letters_count for b in LetterBatch.objects.all()) == len(batched)
    assert letter_batch_build(desk=desk, by=agents[0]) is None
    assert BatchedLetter.objects.count() == len(letters)
