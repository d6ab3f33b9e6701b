"""Many rows of one model written in one statement whose SQL is built once per process (issue 14).

``bulk_create`` on PostgreSQL (Django 5.2) writes ``INSERT … SELECT * FROM UNNEST(…)`` with an
array for every column of the model, compiles that SQL again for each call, and has psycopg quote
every array element by element in Python; in the nightly certificate sweep that was more than half
of its CPU (docs/benchmarks.md, "Third pass"). ``BulkInsert`` writes the same rows with

    INSERT INTO <table> (<columns given>, <columns shared by every row>, <the others>)
    SELECT v.*, %s, …, %s, … FROM json_to_recordset(%s::json) AS v(<column> <type>, …)
    [ON CONFLICT DO NOTHING] [RETURNING …]

the rows sent as one JSON text (one ``json.dumps``, in C, then one string quoted: eight times
cheaper than the arrays of ``unnest(%s::type[], …)`` for a chunk of certificates), each column cast
by PostgreSQL to its type as it reads the record (a JSON column takes the nested value as it is);
one parameter per column that is the same for every row (a timestamp, an action name), and for
every other concrete column its field's default (evaluated at each call: ``timezone.now`` is the
call's time), so that a field added to the model with a default needs no change in the callers.
The SQL text is made at the first call, for the connection, and kept.

    _EVENTS = BulkInsert(DossierEvent, varying=("dossier_id", "data"), shared=("kind", "at"),
                         returning=("id", "dossier_id"))
    rows = _EVENTS(varying=[ids, data], shared=[kind, now])   # [(id, dossier_id), …]

Values are Python values of the columns: dates and aware datetimes (sent in ISO 8601), the id for a
foreign key's ``<name>_id``, dicts and lists for a JSON column. On another database (SQLite on a
laptop) a ``BulkInsert`` writes the same rows through the ORM, one by one; ``statement`` and
``together`` are PostgreSQL's only (the certificate sweep, which needs PostgreSQL anyway).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model


class BulkInsert:
    """One ``INSERT … SELECT FROM json_to_recordset(…)`` shape for a model (module docstring)."""

    def __init__(self, model: type[Model], *, varying: Sequence[str], shared: Sequence[str] = (),
                 returning: Sequence[str] = (), ignore_conflicts: bool = False) -> None:
        self.model, self.varying, self.shared = model, tuple(varying), tuple(shared)
        self.returning, self.ignore_conflicts = tuple(returning), ignore_conflicts
        fields = {field.attname: field for field in model._meta.concrete_fields}
        unknown = [name for name in (*self.varying, *self.shared, *self.returning) if name not in fields]
        if unknown:
            raise ValueError(f"{model._meta.label} has no column {', '.join(unknown)}")
        self._fields = fields
        self._defaults = [field for field in model._meta.concrete_fields
                          if not field.primary_key and field.attname not in (*self.varying, *self.shared)]
        self._sql: str | None = None

    def sql(self) -> str:
        if self._sql is None:
            quote, fields = connection.ops.quote_name, self._fields
            columns: list[str]
            columns = [quote(str(fields[name].column)) for name in (*self.varying, *self.shared)]
            columns += [quote(str(field.column)) for field in self._defaults]
            record = [f"{quote(name)} {fields[name].db_type(connection)}" for name in self.varying]
            constants = ", %s" * (len(self.shared) + len(self._defaults))
            self._sql = (
                f"INSERT INTO {quote(self.model._meta.db_table)} ({', '.join(columns)})"  # noqa: S608 (names from the model)
                f" SELECT v.*{constants} FROM json_to_recordset(%s::json) AS v({', '.join(record)})"
                + (" ON CONFLICT DO NOTHING" if self.ignore_conflicts else "")
                + (f" RETURNING {', '.join(quote(str(fields[name].column)) for name in self.returning)}"
                   if self.returning else "")
            )
        return self._sql

    def statement(self, *, varying: Sequence[list[Any]], shared: Sequence[Any] = ()) -> tuple[str, list[Any]]:
        """The SQL and parameters that insert these rows (``__call__`` runs them; ``together``
        runs several statements as one)."""
        if len(varying) != len(self.varying) or len(shared) != len(self.shared):
            raise ValueError("One list per varying column and one value per shared column.")
        if len({len(values) for values in varying}) > 1:
            raise ValueError("The varying columns have different lengths.")
        # In the order of the placeholders in the text: the SELECT list (shared, defaults), then the rows.
        params = list(shared)
        params += [field.get_db_prep_save(field.get_default(), connection) for field in self._defaults]
        params.append(json.dumps([dict(zip(self.varying, row, strict=True)) for row in zip(*varying, strict=True)],
                                 default=_iso))
        return self.sql(), params

    def __call__(self, *, varying: Sequence[list[Any]], shared: Sequence[Any] = ()) -> list[tuple]:
        """Inserts the rows whose columns are ``varying`` (one list per name, in order, all of one
        length); returns the ``returning`` columns of the rows written (none left out by a
        conflict), in no promised order: callers match them by a key they returned."""
        sql, params = self.statement(varying=varying, shared=shared)
        if not varying or not varying[0]:
            return []
        if connection.vendor != "postgresql":
            return self._one_by_one(varying, shared)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall()) if self.returning else []


    def _one_by_one(self, varying: Sequence[list[Any]], shared: Sequence[Any]) -> list[tuple]:
        """The same rows through the ORM, one ``INSERT`` each (SQLite, the laptop's database:
        docs/deployment.md), a conflict skipped when conflicts are ignored."""
        written = []
        for row in zip(*varying, strict=True):
            values = {**dict(zip(self.varying, row, strict=True)), **dict(zip(self.shared, shared, strict=True))}
            try:
                with transaction.atomic():
                    created = self.model._default_manager.create(**values)
            except IntegrityError:
                if not self.ignore_conflicts:
                    raise
                continue
            written.append(tuple(getattr(created, name) for name in self.returning))
        return written if self.returning else []


def _iso(value: Any) -> str:
    if isinstance(value, date):  # and datetime: ISO 8601, with its offset when it has one
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value BulkInsert sends")


def together(*statements: tuple[str, list[Any]]) -> list[tuple]:
    """Runs data-modifying statements (``INSERT``, ``UPDATE``, ``DELETE``) as one round trip:
    all but the last as items of a ``WITH``, the last as the main statement, whose rows are
    returned. PostgreSQL runs every item to completion, on one snapshot: none sees what another
    wrote, so they must not depend on each other's rows (here: a chunk's dossier dates, its
    timeline lines and their audit lines)."""
    *before, (last_sql, last_params) = statements
    sql = "WITH " + ", ".join(f"_s{n} AS ({text})" for n, (text, _p) in enumerate(before)) + f" {last_sql}" \
        if before else last_sql
    params = [param for _text, parts in before for param in parts] + list(last_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []
