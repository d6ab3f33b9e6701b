"""Where the multi-node test's beat job records its runs: shared by the test and by its workers'
Celery app (``tests/scale_celery.py``), which the test process must not import (it replaces the
portal app's beat schedule with its one-second job)."""


def ticks_key(prefix: str) -> str:
    return f"{prefix}:ticks"
