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

The builder must depend on nothing but its arguments (no ``timezone.now()`` inside: pass the date):
its SQL is built twice, with two sets of markers, and must differ only in the parameters.
Only the shapes this module can rebuild exactly are accepted; any other raises ``TypeError`` at the
first call, as does a parameter whose marker the SQL does not carry as one whole value (a lookup
that rewrites it, such as ``icontains``): ``prefetch_related``, ``values()`` dictionaries and named
tuples are refused. Results equal the queryset's (tests/core/test_prepared.py compares them for
every query prepared in the project).

``select_related`` is rebuilt from Django's own ``RelatedPopulator`` (``get_related_populators``,
made once from the compiler's ``klass_info`` and select), whose ``populate`` steps ``_Related``
repeats: the related instances are cached on each row's instance as the queryset caches them, a
null foreign key giving None. Instances are made as ``Model.from_db`` makes them (``_Builder``).

A list parameter (kind ``list[int]`` or ``list[str]``) is for an ``__in`` lookup: its SQL is built
once per number of distinct values (``IN (%s, %s)``), and the values go through what the ``In``
lookup does with them (``None`` and repeated values dropped). An empty list is compiled too: the
ORM then raises ``EmptyResultSet`` and the queryset gives nothing, and so does the prepared query;
where the empty list only removes one branch of an ``OR``, its SQL is the ORM's without it. Past
``MAX_LIST_LENGTH`` values the queryset itself is run (no SQL kept per length without bound).
"""

from __future__ import annotations

import datetime
import functools
import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    RelatedPopulator,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

from core.l10n import active_language

#: Marker values per parameter type, numbered in the builder's arguments (a list's values one after
#: the other), in two sets: the SQL is built with each and must differ only where the markers are,
#: so that a constant of the query equal to a marker is caught, not taken for a parameter. The
#: integers stay within a small integer column's range (up to 32767): Django 5 turns a lookup out
#: of a column's range into an empty result rather than SQL.
_MARKERS: dict[type, Callable[[int, int], Any]] = {
    int: lambda variant, i: 30_001 + 1_000 * variant + i,
    str: lambda variant, i: f"\x1fprepared-marker-{variant}-{i}\x1f",
    datetime.date: lambda variant, i: datetime.date(1, 1, 1) + datetime.timedelta(days=5_000 * variant + i),
    datetime.datetime: lambda variant, i: (datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
                                           + datetime.timedelta(seconds=100_000 * variant + i)),
}
#: The types a backend may send as something else (SQLite: a date or an instant as text), and the
#: backend operation that does it: a marker is found in the SQL's parameters as it is, or as that
#: operation gives it, and then the value is given to the same operation at each call.
_ADAPTERS: dict[type, str] = {datetime.date: "adapt_datefield_value", datetime.datetime: "adapt_datetimefield_value"}
#: List parameters, for ``__in`` lookups, and the type of their values.
_LIST_KINDS: dict[Any, type] = {list[int]: int, list[str]: str}
#: Longer lists run the queryset itself (a list's SQL is kept per length; the markers of a query
#: are fewer than 1,000).
MAX_LIST_LENGTH = 64


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    #: (position in params, argument name, index in a list, the backend's adapter to apply or None)
    slots: tuple[tuple[int, str, int | None, str | None], ...]
    converters: tuple[tuple[int, tuple, Any], ...]  # (column, converter functions, expression)
    shape: str  # "model", "tuples" or "flat"
    model: type[Model] | None
    field_names: tuple[str, ...]  # the model's attnames, in the select's order
    model_end: int
    annotations: tuple[tuple[str, int], ...]
    builder: _Builder | None = None  # the model's instances
    related: tuple[_Related, ...] = ()  # select_related: Django's own populators, each with its builder
    empty: bool = False  # the ORM found the query empty whatever the values (an empty ``IN``)
    nodes: tuple[_Related, ...] = ()  # ``related`` and their children, depth first
    #: The instance makers of the last call, with the receivers of ``pre_init`` and ``post_init``
    #: they were chosen for (``_Builder.for_this_call``): chosen again when those change.
    makers: list = field(default_factory=lambda: [None])


#: Django's own builder of the ``select_related`` populators (``ModelIterable`` calls it so). Typed
#: loosely: django-stubs describe a later Django's signature (with a ``fetch_mode``).
_related_populators: Callable[..., list[RelatedPopulator]] = get_related_populators

#: Every prepared query of the process, so that a test compares each with its queryset.
PREPARED: list[PreparedQuery] = []


class PreparedQuery:
    """A read query whose SQL the ORM builds once per database and language (module docstring)."""

    def __init__(self, build: Callable[..., QuerySet], **kinds: Any) -> None:
        unknown = {name: kind for name, kind in kinds.items() if kind not in _MARKERS and kind not in _LIST_KINDS}
        if unknown:
            raise TypeError(f"no marker for the types of {sorted(unknown)}: use int, str, datetime.date, "
                            "datetime.datetime, list[int] or list[str]")
        PREPARED.append(self)
        self.build = build
        self.kinds = kinds
        self._lists = tuple(name for name, kind in kinds.items() if kind in _LIST_KINDS)
        self._kinds = tuple(kinds.items())
        self._names = kinds.keys()
        self._compiled: dict[tuple, _Compiled] = {}
        self._lock = threading.Lock()

    def __call__(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list:
        if values.keys() != self._names:
            raise TypeError(f"expected the values of {sorted(self.kinds)}, got {sorted(values)}")
        for name, kind in self._kinds:
            value = values[name]
            if type(value) is not kind and value is not None:  # a plain value needs nothing
                values[name] = _coerced(kind, value)
        lengths: tuple[int, ...] = ()
        if self._lists:
            for name in self._lists:  # what the ``In`` lookup does with its values
                values[name] = list(dict.fromkeys(value for value in values[name] if value is not None))
            lengths = tuple(len(values[name]) for name in self._lists)
            if max(lengths) > MAX_LIST_LENGTH:
                return list(self.build(**values).using(using))
        key = (using, active_language(), lengths)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(using, lengths)
                self._compiled[key] = compiled
        if compiled.empty:
            return []
        params = list(compiled.params)
        connection = connections[using]
        for position, name, index, adapter in compiled.slots:
            value = values[name] if index is None else values[name][index]
            params[position] = value if adapter is None else getattr(connection.ops, adapter)(value)
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = [self._convert(row, compiled.converters, connection) for row in rows]
        if compiled.shape == "flat":
            return [row[0] for row in rows]
        if compiled.shape == "tuples":
            return [tuple(row) for row in rows]
        build, makers = _makers(compiled)
        instances = []
        for row in rows:
            instance = build(using, row[:compiled.model_end])
            for node in compiled.related:  # as ModelIterable does: each related instance or None
                node.populate(row, instance, using, makers)
            for name, position in compiled.annotations:
                setattr(instance, name, row[position])
            instances.append(instance)
        return instances

    def sql(self, *, using: str = DEFAULT_DB_ALIAS, lengths: tuple[int, ...] | None = None) -> str:
        """The SQL as run (for docs and tests); ``lengths``: of the list parameters (1 each by default)."""
        return self._compile(using, (1,) * len(self._lists) if lengths is None else lengths).sql

    # --- Building once ---------------------------------------------------------------------------

    def _markers(self, lengths: tuple[int, ...], variant: int) -> tuple[dict[str, Any], dict[Any, tuple]]:
        """The builder's arguments, and which parameter (and list index) each marker stands for."""
        arguments: dict[str, Any] = {}
        by_marker: dict[Any, tuple[str, int | None]] = {}
        length_of = dict(zip(self._lists, lengths, strict=True))
        number = iter(range(1_000))
        for name, kind in self.kinds.items():
            if kind in _LIST_KINDS:
                marker = _MARKERS[_LIST_KINDS[kind]]
                arguments[name] = [marker(variant, next(number)) for _ in range(length_of[name])]
                by_marker.update({value: (name, k) for k, value in enumerate(arguments[name])})
            else:
                arguments[name] = _MARKERS[kind](variant, next(number))
                by_marker[arguments[name]] = (name, None)
        return arguments, by_marker

    def _built(self, using: str, lengths: tuple[int, ...], variant: int):
        """The queryset built with one set of markers, its compiler, SQL, parameters and slots;
        the SQL and parameters are None where the ORM finds the query empty whatever the values."""
        markers, by_marker = self._markers(lengths, variant)
        queryset = self.build(**markers)
        if not isinstance(queryset, QuerySet):
            raise TypeError("the builder must return a QuerySet")
        compiler = queryset.query.get_compiler(using=using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # an empty ``IN`` list: the queryset gives nothing
            return queryset, compiler, None, None, ()
        adapted: dict[Any, tuple[str, int | None, str]] = {}
        for marker, (name, index) in by_marker.items():
            adapter = _ADAPTERS.get(self.kinds[name])
            if adapter is not None:
                form = getattr(connections[using].ops, adapter)(marker)
                if form != marker and _hashable(form):
                    adapted[form] = (name, index, adapter)
        slots = tuple((position, *by_marker[value], None) if value in by_marker else (position, *adapted[value])
                      for position, value in enumerate(params)
                      if _hashable(value) and (value in by_marker or value in adapted))
        missing = set(by_marker.values()) - {(name, index) for _, name, index, _adapter in slots}
        if missing or any(str(marker) in sql for marker in by_marker):
            names = sorted({name for name, _ in missing})
            raise TypeError(f"the SQL does not carry {names or 'every marker'} as a parameter of "
                            "its own: a lookup rewrote it or the value was written into the SQL")
        return queryset, compiler, sql, params, slots

    def _compile(self, using: str, lengths: tuple[int, ...] = ()) -> _Compiled:
        queryset, compiler, sql, params, slots = self._built(using, lengths, 0)
        if getattr(queryset, "_prefetch_related_lookups", ()):
            raise TypeError("prefetch_related runs more queries: not preparable")
        if queryset._known_related_objects:
            raise TypeError("a related manager's queryset sets its known related objects: not preparable")
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
        _, _, other_sql, other_params, other_slots = self._built(using, lengths, 1)
        if (other_sql, other_slots, _constants(other_params, other_slots)) != (sql, slots, _constants(params, slots)):
            raise TypeError("the SQL changes with the values beyond its parameters (a builder reading the clock, "
                            "or a constant equal to a marker): not preparable")
        if sql is None or params is None:
            return _Compiled(sql="", params=(), slots=(), converters=(), shape=shape, model=None, field_names=(),
                             model_end=0, annotations=(), empty=True)
        columns = [column for column, _sql, _alias in compiler.select]
        converters = tuple((position, tuple(functions), expression) for position, (functions, expression)
                           in compiler.get_converters(columns).items())
        model, field_names, model_end, annotations, builder = None, (), 0, (), None
        related: tuple[_Related, ...] = ()
        if shape == "model":
            info = compiler.klass_info
            related = tuple(_Related(populator) for populator in _related_populators(info, compiler.select, using))
            fields = info["select_fields"]
            if fields != list(range(fields[0], fields[-1] + 1)) or fields[0] != 0:
                raise TypeError("the model's columns are not the first of the select: not preparable")
            model = info["model"]
            field_names = tuple(compiler.select[i][0].target.attname for i in fields)
            model_end = fields[-1] + 1
            annotations = tuple(compiler.annotation_col_map.items())
            builder = _Builder(model, field_names)
        return _Compiled(sql=sql, params=tuple(params), slots=slots, converters=converters, shape=shape,
                         model=model, field_names=field_names, model_end=model_end, annotations=annotations,
                         builder=builder, related=related, nodes=tuple(_nodes(related)))

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


#: The descriptors whose ``__set__`` on a new instance only stores the value (a foreign key's also
#: creates its instance's cache of related objects, which ``_Builder`` does too).
_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute)


class _Builder:
    """A model's instances from their loaded columns, as ``Model.from_db`` builds them.

    ``from_db`` calls ``Model.__init__``, which sends ``pre_init`` and ``post_init`` and sets every
    column through its descriptor: for about 120 instances per queue page, a sixth of the page's
    CPU (issue 14). Where that comes down to storing the values (the model overrides neither
    ``__new__``, ``__init__`` nor ``from_db``, its loaded fields' descriptors are Django's plain
    ones, and nobody listens to the two signals for it, which is checked at each call), the
    instance is made with the same ``__dict__`` and ``_state`` directly; otherwise ``from_db`` is
    called. tests/core/test_prepared.py compares both with the queryset's instances."""

    def __init__(self, model: type[Model], attnames) -> None:
        self.model = model
        self.attnames = tuple(attnames)
        descriptors = [type(inspect.getattr_static(model, name, None)) for name in self.attnames]
        self.plain = (model.__new__ is object.__new__ and model.__init__ is Model.__init__
                      and getattr(model.from_db, "__func__", None) is getattr(Model.from_db, "__func__", None)
                      and all(descriptor in _PLAIN_DESCRIPTORS for descriptor in descriptors))
        self.foreign_keys = tuple(i for i, descriptor in enumerate(descriptors)
                                  if descriptor is ForeignKeyDeferredAttribute)

    def for_this_call(self) -> Callable[[str, Any], Model]:
        if self.plain and not (pre_init.has_listeners(self.model) or post_init.has_listeners(self.model)):
            return self._plain
        return self._from_db

    def _from_db(self, db: str, values) -> Model:
        return self.model.from_db(db, self.attnames, values)

    def _plain(self, db: str, values) -> Model:
        instance = self.model.__new__(self.model)
        state = instance.__dict__["_state"] = ModelState()  # Model.__init__'s first attribute
        for position in self.foreign_keys:  # a foreign key's descriptor, given a value, creates the cache
            if values[position] is not None:
                state.fields_cache  # noqa: B018 (the descriptor creates it)
                break
        state.adding = False  # then from_db's
        state.db = db
        instance.__dict__.update(zip(self.attnames, values, strict=True))
        return instance


class _Related:
    """One of Django's ``RelatedPopulator`` (select_related) and its own, whose ``populate`` this
    repeats line for line with the instance made by a ``_Builder``."""

    def __init__(self, populator: RelatedPopulator) -> None:
        self.populator = populator
        self.builder = _Builder(populator.model_cls, populator.init_list)
        self.children = tuple(_Related(child) for child in populator.related_populators)

    def populate(self, row, from_obj: Model, db: str, makers: dict) -> None:
        populator = self.populator
        if populator.reorder_for_init:
            obj_data = populator.reorder_for_init(row)
        else:
            obj_data = row[populator.cols_start:populator.cols_end]
        if obj_data[populator.pk_idx] is None:
            obj = None
        else:
            obj = makers[self](db, obj_data)
            for child in self.children:
                child.populate(row, obj, db, makers)
        populator.local_setter(from_obj, obj)
        if obj is not None:
            populator.remote_setter(obj, from_obj)


def _makers(compiled: _Compiled) -> tuple[Callable[[str, Any], Model], dict]:
    """The makers of a "model" query's instances and of its related ones (``_Builder.for_this_call``
    of each), chosen again only when a receiver of ``pre_init`` or ``post_init`` was connected or
    disconnected since the last call (comparing the signals' lists costs no call; asking each model
    with ``has_listeners`` costs a dozen calls per model per query)."""
    kept = compiled.makers[0]
    if kept is not None and kept[0] == pre_init.receivers and kept[1] == post_init.receivers:
        return kept[2], kept[3]
    receivers = (list(pre_init.receivers), list(post_init.receivers))
    build = cast("_Builder", compiled.builder).for_this_call()  # the "model" shape always has one
    makers = {node: node.builder.for_this_call() for node in compiled.nodes}
    compiled.makers[0] = (*receivers, build, makers)
    return build, makers


def _nodes(related: tuple[_Related, ...]) -> list[_Related]:
    found = []
    for node in related:
        found.append(node)
        found.extend(_nodes(node.children))
    return found


def _coerced(kind: Any, value: Any) -> Any:
    """A choice (``TextChoices``, ``IntegerChoices``) as its plain value, as a field's
    ``get_prep_value`` gives it to the database: the driver would send an enum's name."""
    if kind in _LIST_KINDS:
        plain = _LIST_KINDS[kind]
        return [item if item is None or type(item) is plain else plain(item) for item in value]
    if kind in (int, str) and value is not None and type(value) is not kind:
        return kind(value)
    return value


def _constants(params: Any, slots: tuple) -> list:
    """The parameters that are not the builder's arguments."""
    taken = {slot[0] for slot in slots}
    return [value for position, value in enumerate(params or ()) if position not in taken]


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


class PreparedPair:
    """Two prepared queries read in one statement, where each is read on the same requests: ``one``,
    which gives at most one row (filtered on a primary key), and ``many``, any number of rows
    (issue 17: a staff request read its authenticator and then its memberships, a round trip and a
    statement each). The SQL is each query's own, as the ORM builds it, side by side::

        SELECT "one".*, "many".* FROM (SELECT 1) AS "anchor"
          LEFT JOIN (<one's SQL>) AS "one" ON TRUE LEFT JOIN (<many's SQL>) AS "many" ON TRUE

    ``many``'s rows come in its own order: a join on no condition is a nested loop, which reads its
    inner side (the subquery, sorted by its ``ORDER BY``, which keeps PostgreSQL from flattening
    it) in that order for the one row of its outer side. Each part of a row is made into what its
    query gives, by the same converters and builders as ``PreparedQuery.__call__`` (compared in
    tests/core/test_prepared.py). Both must give model instances, without list parameters; where
    the ORM finds one of them empty whatever the values, and on databases other than PostgreSQL,
    each is run on its own.

    A call gives ``one``'s instances (none or one) and a function that makes ``many``'s, called
    when they are first needed: a request that reads them only in some cases does not make them
    in the others.
    """

    def __init__(self, one: PreparedQuery, many: PreparedQuery) -> None:
        if one._lists or many._lists:
            raise TypeError("list parameters are not preparable side by side")
        self.one, self.many = one, many
        self._ready: dict[tuple, _Pair | None] = {}
        self._lock = threading.Lock()

    def __call__(self, *, one: dict[str, Any], many: dict[str, Any],
                 using: str = DEFAULT_DB_ALIAS) -> tuple[list, Callable[[], list]]:
        if one.keys() != self.one._names or many.keys() != self.many._names:
            raise TypeError(f"expected the values of {sorted(self.one.kinds)} and {sorted(self.many.kinds)}")
        key = (using, active_language())
        pair = self._ready.get(key)
        if pair is None:
            with self._lock:
                pair = self._ready.get(key) or self._prepare(using, key)
                self._ready[key] = pair
        if not pair.sql:  # one of them found empty by the ORM: each on its own
            return self.one(using=using, **one), functools.partial(self.many, using=using, **many)
        params = list(pair.params)
        connection = connections[using]
        values = (one, many)
        for position, which, name, kind, adapter in pair.slots:
            value = values[which][name]
            if type(value) is not kind and value is not None:
                value = _coerced(kind, value)
            params[position] = value if adapter is None else getattr(connection.ops, adapter)(value)
        with connection.cursor() as cursor:
            cursor.execute(pair.sql, params)
            rows = cursor.fetchall()
        width, one_pk, many_pk = pair.width, pair.one_pk, pair.width + pair.many_pk
        if rows and rows[0][one_pk] != rows[-1][one_pk]:  # its rows come one after the other (a nested loop)
            raise RuntimeError("the first query of a pair gave more than one row")
        ones = [rows[0][:width]] if rows and rows[0][one_pk] is not None else []
        manys = [row[width:] for row in rows if row[many_pk] is not None]
        return (_instances(pair.first, ones, connection, using),
                functools.partial(_instances, pair.second, manys, connection, using))

    def sql(self, *, using: str = DEFAULT_DB_ALIAS) -> str:
        """The SQL as run (for docs and tests); empty where each query runs on its own."""
        return self._prepare(using, (using, active_language())).sql

    def _prepare(self, using: str, key: tuple) -> _Pair:
        parts = []
        for query in (self.one, self.many):
            with query._lock:
                compiled = query._compiled.get((*key, ())) or query._compile(using, ())
                query._compiled[(*key, ())] = compiled
            parts.append(compiled)
        first, second = parts
        # The order of ``many``'s rows rests on PostgreSQL's nested loop over its sorted subquery;
        # SQLite flattens the subquery and loses it (``make run``): there, each on its own.
        if (first.empty or second.empty or first.shape != "model" or second.shape != "model"
                or connections[using].vendor != "postgresql"):
            return _Pair(sql="", params=(), slots=(), width=0, one_pk=0, many_pk=0, first=first, second=second)
        width = len(self.one._built(using, (), 0)[1].select)
        slots = tuple((offset + position, which, name, query.kinds[name], adapter)
                      for which, (query, part, offset) in enumerate(((self.one, first, 0),
                                                                     (self.many, second, len(first.params))))
                      for position, name, _index, adapter in part.slots)
        return _Pair(
            # Only the ORM's SQL of the two queries (their values stay parameters).
            sql=(f'SELECT "one".*, "many".* FROM (SELECT 1) AS "anchor" LEFT JOIN ({first.sql}) AS "one" ON TRUE '  # noqa: S608
                 f'LEFT JOIN ({second.sql}) AS "many" ON TRUE'),
            params=(*first.params, *second.params), slots=slots, width=width,
            one_pk=first.field_names.index(cast("type[Model]", first.model)._meta.pk.attname),
            many_pk=second.field_names.index(cast("type[Model]", second.model)._meta.pk.attname),
            first=first, second=second)


@dataclass(frozen=True)
class _Pair:
    sql: str  # empty: each query on its own
    params: tuple
    slots: tuple[tuple[int, int, str, Any, str | None], ...]  # (position, 0: one's or 1: many's, name, kind, adapter)
    width: int  # the number of ``one``'s columns, first in the row
    one_pk: int
    many_pk: int  # in many's columns
    first: _Compiled
    second: _Compiled


def _instances(compiled: _Compiled, rows: list, connection, using: str) -> list:
    """A "model" query's instances from its rows, as ``PreparedQuery.__call__`` makes them."""
    if compiled.converters:
        rows = [PreparedQuery._convert(row, compiled.converters, connection) for row in rows]
    build, makers = _makers(compiled)
    instances = []
    for row in rows:
        instance = build(using, row[:compiled.model_end])
        for node in compiled.related:
            node.populate(row, instance, using, makers)
        for name, position in compiled.annotations:
            setattr(instance, name, row[position])
        instances.append(instance)
    return instances
