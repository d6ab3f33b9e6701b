"""Services enqueue work through this one helper, by the task's name, never by importing it.

Tasks call services; if services imported tasks as well, each app would hold an import loop
(service -> task -> service). So a service names the task it wants (``"documents.tasks.render_document"``,
Celery's default name: the module's path and the function's name) and ``enqueue`` sends it once the
current transaction commits: a worker never sees a row that is not there yet, and a rolled-back
change sends nothing (STYLE: side effects after commit). Outside a transaction it sends at once.

A batch job that commits many small transactions may hold what they enqueue (``enqueue_held``)
and send it when a unit of its work ends: a task ``<name>`` with a sibling ``<name>_many`` (the
same work for a list of ids) then leaves in one message instead of one per id.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from celery import current_app
from celery.app.task import Task
from django.db import transaction


def task_by_name(name: str) -> Task:
    """The registered task called ``name``; KeyError for a name no task module defines.

    The task's module is imported first: a web process imports task modules only on demand."""
    module, _, _ = name.rpartition(".")
    importlib.import_module(module)
    return current_app.tasks[name]


def enqueue(name: str, *args: object) -> None:
    """Send the task ``name`` with ``args`` once the current transaction commits.

    The name is checked now, so a mistyped one fails where it is written, not later in a callback."""
    task = task_by_name(name)
    transaction.on_commit(partial(_send, task, args))


#: While ``enqueue_held`` is active: (task name, id) committed and not sent yet.
_HELD: ContextVar[list[tuple[str, object]] | None] = ContextVar("core_enqueue_held", default=None)


def _send(task: Task, args: tuple) -> None:
    held = _HELD.get()
    if held is not None and len(args) == 1 and f"{task.name}_many" in current_app.tasks:
        held.append((task.name, args[0]))
        return
    task.delay(*args)


@contextmanager
def enqueue_held() -> Iterator[None]:
    """Around a unit of a batch job's work (transactions that commit inside the block): the tasks
    enqueued by what commits are sent when the block ends, each task that has a ``<name>_many``
    sibling once with the list of its ids; the others as usual, at commit. What a rolled-back
    transaction enqueued is never sent. Keep the unit short: what it committed waits for its end."""
    held: list[tuple[str, object]] = []
    token = _HELD.set(held)
    try:
        yield
    finally:
        _HELD.reset(token)
        ids: dict[str, list[object]] = {}
        for name, one in held:
            ids.setdefault(name, []).append(one)
        for name, many in ids.items():
            current_app.tasks[f"{name}_many"].delay(many)
