"""The one way services queue work: by the task's name, after the transaction commits."""

import pytest
from django.db import transaction

from core.tasks import enqueue, enqueue_held, task_by_name


def test_a_task_is_found_by_its_name_without_importing_it_first():
    task = task_by_name("documents.tasks.render_document")

    assert task.name == "documents.tasks.render_document"


def test_a_mistyped_task_name_fails_where_it_is_written():
    with pytest.raises(KeyError):
        enqueue("documents.tasks.render_documents", 1)


@pytest.mark.django_db
def test_nothing_is_sent_before_the_transaction_commits_and_nothing_if_it_rolls_back(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            enqueue("documents.tasks.render_document", 0)
            assert callbacks == []
    assert len(callbacks) == 1

    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                enqueue("documents.tasks.render_document", 0)
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == []


@pytest.mark.django_db
def test_held_tasks_leave_when_the_block_ends_in_one_message_per_task_that_has_a_many_sibling(
    django_capture_on_commit_callbacks, monkeypatch,
):
    sent = []
    for name in ("documents.tasks.render_document_many", "notifications.tasks.send_notification_many",
                 "appointments.tasks.offer_freed_seat_task"):
        monkeypatch.setattr(task_by_name(name), "delay", lambda *args, name=name: sent.append((name, args)))

    with enqueue_held():
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                enqueue("documents.tasks.render_document", 1)
                enqueue("notifications.tasks.send_notification", 7)
                enqueue("documents.tasks.render_document", 2)
                enqueue("appointments.tasks.offer_freed_seat_task", 5)  # no list sibling
        with django_capture_on_commit_callbacks(execute=True):
            try:
                with transaction.atomic():
                    enqueue("documents.tasks.render_document", 3)
                    raise RuntimeError
            except RuntimeError:
                pass
        assert sent == [("appointments.tasks.offer_freed_seat_task", (5,))]  # at commit, as usual

    assert sent[1:] == [("documents.tasks.render_document_many", ([1, 2],)),
                        ("notifications.tasks.send_notification_many", ([7],))]
