"""Read queries built by the ORM once per process, then run again with other values (issue 14).

On the pages every person opens (the applicant's dashboard, the staff gate), building a small
query's SQL costs three to four times running it: about 0.5 ms of CPU for the dashboard's dossiers,
0.12 ms once the SQL is known (docs/benchmarks.md, "Fourth pass"). ``PreparedQuery`` keeps the
ORM as the only author of the SQL: it calls the query's builder once per database and language with
marker values in place of the parameters, asks Django's compiler for the SQL and the columns, and
from then on only runs that SQL with the real values and turns the rows into what the queryset
would have given (model instances, tuples or single values), with the same field converters.

    _OWN_DOSSIERS = PreparedQuery(lambda user_id: Dossier.objects.filter(applicant_id=user_id).only(...),
                                  user_id=int)
    dossiers = _OWN_DOSSIERS(user_id=user.pk)

The builder must depend on nothing but its arguments (no ``timezone.now()`` inside: pass the date).
Only the shapes this module can rebuild exactly are accepted; any other raises ``TypeError`` at the
first call, as does a parameter whose marker the SQL does not carry as one whole value (a lookup
that rewrites it, such as ``icontains``): ``select_related``, ``prefetch_related``, ``values()``
dictionaries and named tuples are refused. Results equal the queryset's (tests/core/test_prepared.py
compares them for every query prepared in the project).
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import FlatValuesListIterable, ModelIterable, ValuesListIterable
from django.utils import translation

#: Marker values per parameter type: none of them is a value the portal stores or compares with.
#: The integers stay within a 32-bit column's range: Django 5 turns a lookup out of a column's
#: range into an empty result rather than SQL.
_MARKERS: dict[type, Callable[[int], Any]] = {
    int: lambda n: 2_147_480_000 + n,
    str: lambda n: f"\x1fprepared-marker-{n}\x1f",
    datetime.date: lambda n: datetime.date(1, 1, 1) + datetime.timedelta(days=n),
}


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: tuple[tuple[int, str], ...]  # (position in params, argument name)
    converters: tuple[tuple[int, tuple, Any], ...]  # (column, converter functions, expression)
    shape: str  # "model", "tuples" or "flat"
    model: type[Model] | None
    field_names: tuple[str, ...]  # the model's attnames, in the select's order
    model_end: int
    annotations: tuple[tuple[str, int], ...]


#: Every prepared query of the process, so that a test compares each with its queryset.
PREPARED: list[PreparedQuery] = []


class PreparedQuery:
    """A read query whose SQL the ORM builds once per database and language (module docstring)."""

    def __init__(self, build: Callable[..., QuerySet], **kinds: type) -> None:
        unknown = {name: kind for name, kind in kinds.items() if kind not in _MARKERS}
        if unknown:
            raise TypeError(f"no marker for the types of {sorted(unknown)}: use int, str or datetime.date")
        PREPARED.append(self)
        self.build = build
        self.kinds = kinds
        self._compiled: dict[tuple[str, str | None], _Compiled] = {}
        self._lock = threading.Lock()

    def __call__(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list:
        if values.keys() != self.kinds.keys():
            raise TypeError(f"expected the values of {sorted(self.kinds)}, got {sorted(values)}")
        key = (using, translation.get_language())
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(using)
                self._compiled[key] = compiled
        params = list(compiled.params)
        for position, name in compiled.slots:
            params[position] = values[name]
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = [self._convert(row, compiled.converters, connection) for row in rows]
        if compiled.shape == "flat":
            return [row[0] for row in rows]
        if compiled.shape == "tuples":
            return [tuple(row) for row in rows]
        return [self._instance(row, compiled, using) for row in rows]

    def sql(self, *, using: str = DEFAULT_DB_ALIAS) -> str:
        """The SQL as run (for docs and tests)."""
        return self._compile(using).sql

    # --- Building once ---------------------------------------------------------------------------

    def _compile(self, using: str) -> _Compiled:
        markers = {name: _MARKERS[kind](n) for n, (name, kind) in enumerate(self.kinds.items())}
        queryset = self.build(**markers)
        if not isinstance(queryset, QuerySet):
            raise TypeError("the builder must return a QuerySet")
        if getattr(queryset, "_prefetch_related_lookups", ()):
            raise TypeError("prefetch_related runs more queries: not preparable")
        iterable = queryset._iterable_class
        if iterable is ModelIterable:
            shape = "model"
        elif iterable is ValuesListIterable:
            shape = "tuples"
        elif iterable is FlatValuesListIterable:
            shape = "flat"
        else:
            raise TypeError(f"{iterable.__name__} results are not preparable: use a model, values_list() "
                            "or values_list(flat=True)")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        by_marker = {marker: name for name, marker in markers.items()}
        slots = tuple((position, by_marker[value]) for position, value in enumerate(params)
                      if _hashable(value) and value in by_marker)
        missing = set(markers) - {name for _, name in slots}
        if missing or any(str(marker) in sql for marker in markers.values()):
            raise TypeError(f"the SQL does not carry {sorted(missing) or 'every marker'} as a parameter of "
                            "its own: a lookup rewrote it or the value was written into the SQL")
        columns = [column for column, _sql, _alias in compiler.select]
        converters = tuple((position, tuple(functions), expression) for position, (functions, expression)
                           in compiler.get_converters(columns).items())
        model, field_names, model_end, annotations = None, (), 0, ()
        if shape == "model":
            info = compiler.klass_info
            if info.get("related_klass_infos"):
                raise TypeError("select_related builds related instances: not preparable")
            fields = info["select_fields"]
            if fields != list(range(fields[0], fields[-1] + 1)) or fields[0] != 0:
                raise TypeError("the model's columns are not the first of the select: not preparable")
            model = info["model"]
            field_names = tuple(compiler.select[i][0].target.attname for i in fields)
            model_end = fields[-1] + 1
            annotations = tuple(compiler.annotation_col_map.items())
        return _Compiled(sql=sql, params=tuple(params), slots=slots, converters=converters, shape=shape,
                         model=model, field_names=field_names, model_end=model_end, annotations=annotations)

    # --- Running ---------------------------------------------------------------------------------

    @staticmethod
    def _convert(row, converters, connection) -> list:
        row = list(row)
        for position, functions, expression in converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        return row

    @staticmethod
    def _instance(row, compiled: _Compiled, using: str):
        model = cast("type[Model]", compiled.model)  # the "model" shape always has one
        instance = model.from_db(using, compiled.field_names, row[:compiled.model_end])
        for name, position in compiled.annotations:
            setattr(instance, name, row[position])
        return instance


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
