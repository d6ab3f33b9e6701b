"""Services enqueue work through this one helper, by the task's name, never by importing it.

Tasks call services; if services imported tasks as well, each app would hold an import loop
(service -> task -> service). So a service names the task it wants (``"documents.tasks.render_document"``,
Celery's default name: the module's path and the function's name) and ``enqueue`` sends it once the
current transaction commits: a worker never sees a row that is not there yet, and a rolled-back
change sends nothing (STYLE: side effects after commit). Outside a transaction it sends at once.
"""

from __future__ import annotations

import importlib
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
    transaction.on_commit(partial(task.delay, *args))
