"""SQL that the ORM writes once and the application runs again with other values.

Building a queryset and compiling it to SQL costs a Python process more than the
database takes to answer a query on an index. For the queries a person waits for
on every page view, a `CompiledQuery` is the ORM's own SQL, compiled once per *shape*
(which filters are there, which rights the user has) with marker values in the
places of a request's own. Django passes every value as a parameter, never in the
SQL's text, so each marker is found among the parameters, and each run puts the
request's values in their places.

Markers are checked when compiled: each must be found, and none may be written in
the text. A value the ORM would transform in a way this module does not repeat
(anything but an integer, a date, text compared whole, or text inside a LIKE pattern)
is refused then.

Writes too, where the ORM's building of each statement costs more than the database's
work and the rows are many or a lock is held: `insert` (new rows as bulk_create writes
them, the billing run's thousands and every audit row) and `update_and_insert` (the
finalization's two rows while the numbering's lock is held). Each value is prepared by
its field as save() prepares it (a value its field would give back unchanged is kept as
it is: _as_is); only the statement's text is kept.
"""

import dataclasses
import datetime
import functools
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKey,
    IntegerField,
    Model,
    QuerySet,
    TextField,
    TimeField,
)
from django.db.models import Field as ModelField
from django.db.models.fields import AutoFieldMixin
from django.db.models.sql import Query


class ValueKind(Enum):
    INTEGER = "integer"
    DATE = "date"
    # Text compared whole (a country code): passed as it is.
    TEXT = "text"
    # Text searched for inside a LIKE pattern (icontains): escaped as the ORM does.
    PATTERN = "pattern"


_BASE = 7_301_000_000


def marker(kind: ValueKind, index: int):
    """The stand-in value of the `index`-th value of a kind: values no request has."""
    if kind is ValueKind.INTEGER:
        return -(_BASE + index)
    if kind is ValueKind.DATE:
        return datetime.date(1111, 1, 1) + datetime.timedelta(days=index)
    return f"qzmarker{index}qz"


class Markers:
    """The stand-ins of one compilation, by name: `markers.value("firm", Kind.INTEGER)`."""

    def __init__(self):
        self.kinds: dict[str, ValueKind] = {}
        self.values: dict[str, object] = {}

    def value(self, name: str, kind: ValueKind):
        if name not in self.values:
            self.kinds[name] = kind
            self.values[name] = marker(kind, len(self.values))
        return self.values[name]


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    # For each parameter: (name, kind, text around) for a value given at each run, or
    # (None, None, constant) for one the shape fixes (a status, a zero).
    slots: tuple[tuple, ...]
    # How `instances` reads its rows, worked out at the first run: kept with the
    # statement, and gone with it when a cache lets it go.
    layouts: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def params(self, values: Mapping[str, object]) -> list:
        params = []
        for name, kind, fixed in self.slots:
            if name is None:
                params.append(fixed)
            elif kind is ValueKind.INTEGER:
                params.append(int(values[name]))
            elif kind is ValueKind.DATE:
                params.append(connection.ops.adapt_datefield_value(values[name]))
            elif kind is ValueKind.TEXT:
                params.append(str(values[name]))
            else:
                before, after = fixed
                params.append(f"{before}{connection.ops.prep_for_like_query(values[name])}{after}")
        return params

    def rows(self, values: Mapping[str, object], *more) -> list[tuple]:
        """Run with `values` (and `more` parameters after, such as a LIMIT): the rows as
        the database driver gives them, with no model field's conversion (ids, text,
        counts; see `instances` for model objects)."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [*self.params(values), *more])
            return cursor.fetchall()


class Unprepared(Exception):
    """The ORM compiled a marker in a way a CompiledQuery cannot run again."""


def compile_query(
    queryset: QuerySet, markers: Markers, *, wrap: str = "{}"
) -> CompiledQuery | None:
    """`queryset`, built with `markers`' values, as a CompiledQuery; `wrap` places its SQL in
    an outer statement ("SELECT COUNT(*) FROM ({}) t"). None: the queryset matches
    nothing, whatever the values (the ORM then runs no query: an empty list of ids)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return None
    by_value = {}
    for name, value in markers.values.items():
        kind = markers.kinds[name]
        by_value[value] = name
        if kind is ValueKind.DATE:
            by_value[connection.ops.adapt_datefield_value(value)] = name
        written = value.isoformat() if kind is ValueKind.DATE else str(value)
        if written in sql:
            raise Unprepared(f"{name} is written in the statement's text")
    slots, found = [], set()
    for param in params:
        name = _lookup(by_value, param)
        if name is not None:
            if markers.kinds[name] is ValueKind.PATTERN:
                raise Unprepared(f"{name} is compared whole, not searched for")
            slots.append((name, markers.kinds[name], None))
            found.add(name)
            continue
        pattern = _pattern_of(markers, param)
        if pattern is not None:
            name, around = pattern
            slots.append((name, ValueKind.PATTERN, around))
            found.add(name)
            continue
        slots.append((None, None, param))
    if missing := set(markers.values) - found:
        raise Unprepared(f"not found among the parameters: {sorted(missing)}")
    return CompiledQuery(wrap.format(sql), tuple(slots))


def _lookup(by_value: dict, param) -> str | None:
    try:
        return by_value.get(param)
    except TypeError:  # an unhashable parameter (a list): a constant
        return None


def _pattern_of(markers: Markers, param) -> tuple[str, tuple[str, str]] | None:
    if not isinstance(param, str):
        return None
    for name, value in markers.values.items():
        if markers.kinds[name] is ValueKind.PATTERN and value in param:
            before, _, after = param.partition(value)
            return name, (before, after)
    return None


class StandIn:
    """The user a statement is compiled for, as rights checks read a request's user: its
    id and firm are markers (or None for an id the statement does not depend on)."""

    is_authenticated = True
    is_active = True
    is_superuser = False

    def __init__(self, pk, firm_id):
        self.pk, self.firm_id = pk, firm_id


class CompiledRows:
    """A list's rows for Django's paginator, from two compiled statements: a capped count
    (run with the limit after the values) and a page (run with its size and offset).
    None for both when nothing can match (a search no client's name holds)."""

    def __init__(
        self,
        model: type[Model],
        page: CompiledQuery | None,
        count: CompiledQuery | None,
        values: Mapping[str, object],
    ):
        self.model, self.page_statement, self.count_statement = model, page, count
        self.values = values

    def count_upto(self, limit: int) -> int:
        if self.count_statement is None:
            return 0
        return self.count_statement.rows(self.values, limit)[0][0]

    def __getitem__(self, window: slice) -> list:
        if self.page_statement is None:
            return []
        start = window.start or 0
        return instances(self.model, self.page_statement, self.values, window.stop - start, start)


def instances(
    model: type[Model],
    statement: CompiledQuery,
    values: Mapping[str, object],
    *more,
    related: tuple[str, ...] = (),
) -> list:
    """Run with `values` (and `more` parameters after, as for CompiledQuery.rows): the rows as
    `model` instances, as RawQuerySet reads them (columns of the
    model's fields set, those not read deferred, other columns set as attributes); the
    columns' mapping and converters are worked out at its first run and kept.

    `related`: the foreign keys the statement's queryset named in select_related(), in
    that order; each row then carries their whole rows after the model's whole row (the
    order the ORM writes them in, checked by the columns' names), read as the related
    objects, as select_related() has them."""
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [*statement.params(values), *more])
        key = (model, connection.alias, related)
        layout = statement.layouts.get(key)
        if layout is None:
            columns = [column[0] for column in cursor.description]
            layout = statement.layouts[key] = _Layout(model, columns, related)
        rows = cursor.fetchall()
    return layout.instances(rows)


class _Layout:
    def __init__(self, model: type[Model], columns: list[str], related: tuple[str, ...]):
        self.model = model
        fields = {field.column: field for field in model._meta.concrete_fields}
        if related:
            # Whole rows, one model after the other: the model's, then each related one's.
            own = len(model._meta.concrete_fields)
            self.names = [f.attname for f in model._meta.concrete_fields]
            self.positions = list(range(own))
            self.others = []
            self.related, start, expected = [], own, [f.column for f in model._meta.concrete_fields]
            cols = [f.get_col(model._meta.db_table) for f in model._meta.concrete_fields]
            for name in related:
                field = model._meta.get_field(name)
                target = field.related_model
                width = len(target._meta.concrete_fields)
                names = [f.attname for f in target._meta.concrete_fields]
                key = start + target._meta.concrete_fields.index(target._meta.pk)
                self.related.append((field, target, slice(start, start + width), names, key))
                expected += [f.column for f in target._meta.concrete_fields]
                cols += [f.get_col(target._meta.db_table) for f in target._meta.concrete_fields]
                start += width
            if columns != expected:
                raise Unprepared("the statement's columns are not the models' rows in order")
        else:
            self.names = [fields[c].attname for c in columns if c in fields]
            self.positions = [i for i, c in enumerate(columns) if c in fields]
            self.others = [(c, i) for i, c in enumerate(columns) if c not in fields]
            self.related = []
            table = model._meta.db_table
            cols = [fields[c].get_col(table) if c in fields else None for c in columns]
        if model._meta.pk.attname not in self.names:
            raise Unprepared("the statement does not read the primary key")
        compiler = connection.ops.compiler("SQLCompiler")(
            Query(model), connection, connection.alias
        )
        # What compiler.apply_converters does, laid out once: (position, the field's
        # converters, its column), run on each row in the loop below.
        self.converters = [
            (position, tuple(converters), column)
            for position, (converters, column) in compiler.get_converters(cols).items()
        ]
        self.pick = operator.itemgetter(*self.positions)
        if len(self.positions) == 1:
            self.pick = lambda row, pick=self.pick: (pick(row),)

    def instances(self, rows: list) -> list:
        db, names, pick, others = connection.alias, self.names, self.pick, self.others
        converters, wrapper, from_db = self.converters, connections[db], self.model.from_db
        read = []
        for row in rows:
            if converters:
                row = list(row)
                for position, field_converters, column in converters:
                    value = row[position]
                    for convert in field_converters:
                        value = convert(value, column, wrapper)
                    row[position] = value
            instance = from_db(db, names, pick(row))
            for name, i in others:
                setattr(instance, name, row[i])
            for field, target, columns, target_names, key in self.related:
                other = None if row[key] is None else target.from_db(db, target_names, row[columns])
                field.set_cached_value(instance, other)
            read.append(instance)
        return read


def insert(objs: Sequence[Model]) -> None:
    """INSERT the new `objs`, all of one model, as bulk_create writes them (the same rows:
    each field's pre_save and database value; no save(), no signals), from a statement
    built once per model and number of rows; each object then has its primary key.

    Building an INSERT costs the ORM more than SQLite takes to run it: the billing run
    writes five rows per engagement. As many rows per statement as bulk_create puts in
    one (the database's limit on parameters); each object saved by save() where the
    database cannot return the keys of an INSERT, or a value is an expression."""
    if not objs:
        return
    # The connection itself, not its per-thread proxy: each field asks it for its value.
    db = connections[DEFAULT_DB_ALIAS]
    size = max(db.ops.bulk_batch_size(_inserted_fields(type(objs[0])), objs), 1)
    for start in range(0, len(objs), size):
        batch = objs[start : start + size]
        prepared = _insert_statement(batch, db)
        if prepared is None:
            for obj in batch:
                obj.save(force_insert=True)
            continue
        with db.cursor() as cursor:
            cursor.execute(*prepared)
            _keyed(batch, cursor.fetchall(), db)


def update_and_insert(instance: Model, fields: Sequence[str], new: Model) -> None:
    """UPDATE `instance`'s row with its `fields` (names, written as save() writes them:
    pre_save, so auto_now, then the database value) and INSERT `new`, in one statement
    on PostgreSQL (the UPDATE in a WITH), in two on SQLite (which has no round trip to
    save). Raises IntegrityError as save() would; the caller's transaction takes both
    back.

    For the writes made while a lock every other writer waits for is held (the
    numbering's, from the number taken to the commit): save() builds its statement
    anew each time, and goes to the database once per row."""
    db = connections[DEFAULT_DB_ALIAS]
    names = tuple(fields)
    values = []
    for field in map(instance._meta.get_field, names):
        value = field.pre_save(instance, False)
        values.append(
            value if type(value) in _as_is(field, db.vendor) else field.get_db_prep_save(value, db)
        )
    update = (_update_sql(type(instance), db.vendor, names), [*values, instance.pk])
    prepared = _insert_statement([new], db)
    if prepared is None:
        with db.cursor() as cursor:
            cursor.execute(*update)
            if cursor.rowcount != 1:
                raise DatabaseError(f"{type(instance).__name__} {instance.pk}: no row to update")
        new.save(force_insert=True)
        return
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            # One statement, so that the server can prepare it: the UPDATE in a WITH,
            # the count of its rows returned beside the new row's key.
            cursor.execute(
                f"WITH updated AS ({update[0]} RETURNING 1) {prepared[0]}, "
                f"(SELECT COUNT(*) FROM updated)",
                [*update[1], *prepared[1]],
            )
            [(key, updated)] = cursor.fetchall()
        else:
            cursor.execute(*update)
            updated = cursor.rowcount
            cursor.execute(*prepared)
            [(key,)] = cursor.fetchall()
        if updated != 1:  # as save(update_fields=...) refuses a row that is gone
            raise DatabaseError(f"{type(instance).__name__} {instance.pk}: no row to update")
        _keyed([new], [(key,)], db)


def _insert_statement(objs: Sequence[Model], db) -> tuple[str, list] | None:
    """The INSERT of `objs` and its parameters; None where save() must write them."""
    model = type(objs[0])
    if not db.features.can_return_rows_from_bulk_insert:
        return None
    # A key the database gives: a row that already has one is not new. A key of the
    # model's own (a UUID) is a column like the others, once it has a value (save()
    # gives a missing one its default).
    automatic = _automatic_key(model)
    reader = _reader(model)
    rows = []
    for obj in objs:
        reader.prepare_related(obj)
        if (automatic and obj.pk is not None) or (not automatic and obj.pk is None):
            return None
        rows.append(reader.values(obj))
    # Column by column: a batch of drafts repeats its dates, rates and amounts on every
    # row, each prepared once.
    columns = []
    for (field, as_is), column in zip(
        _writers(model, db.vendor), zip(*rows, strict=True), strict=True
    ):
        prepared = _prepared_column(field, as_is, column, db)
        if prepared is None:
            return None
        columns.append(prepared)
    sql = _insert_sql(model, db.vendor, len(objs))
    return sql, [value for row in zip(*columns, strict=True) for value in row]


# Values of these exact types are immutable and hashable, and two equal ones are
# written alike (the same text, number, day or instant, or NULL).
_SHARED_TYPES = frozenset(
    {type(None), str, int, bool, Decimal, datetime.date, datetime.datetime, datetime.time}
)


def _prepared_column(field: ModelField, as_is: frozenset, values: Sequence, db) -> Sequence | None:
    """get_db_prep_save of a column's values, each distinct one prepared once (a value
    of a type in `as_is` is its own); None if one is an expression (save() writes it)."""
    kinds = set(map(type, values))
    if kinds <= as_is:
        return values
    if not kinds <= _SHARED_TYPES:
        if any(hasattr(value, "resolve_expression") for value in values):
            return None
        return [
            value if type(value) in as_is else field.get_db_prep_save(value, db) for value in values
        ]
    keys = list(zip(map(type, values), values, strict=True))
    try:
        distinct = dict.fromkeys(keys)
    except TypeError:  # a signalling NaN: not hashable, and refused by the field
        return [
            value if type(value) in as_is else field.get_db_prep_save(value, db) for value in values
        ]
    for key in distinct:
        kind, value = key
        distinct[key] = value if kind in as_is else field.get_db_prep_save(value, db)
    return list(map(distinct.__getitem__, keys))


class _Reader:
    """How an INSERT reads a model's objects, laid out once per model: what
    Model._prepare_related_fields_for_save does, over the relations only (it walks every
    column), and each column's pre_save, read straight from the object where the field's
    pre_save is Field's own (a getattr), as most are."""

    def __init__(self, model: type[Model]):
        fields = _inserted_fields(model)
        meta = model._meta
        self.relations = tuple(field for field in meta.concrete_fields if field.is_relation)
        # A GenericForeignKey's check is Django's to make: the whole method then.
        self.generic = any(field.is_relation for field in meta.private_fields)
        self.read = operator.attrgetter(*(field.attname for field in fields))
        if len(fields) == 1:
            self.read = lambda obj, read=self.read: (read(obj),)
        self.own = tuple(
            (position, field) for position, field in enumerate(fields) if _own_pre_save(field)
        )

    def prepare_related(self, obj: Model) -> None:
        if self.generic:
            obj._prepare_related_fields_for_save(operation_name="insert")
            return
        for field in self.relations:
            if not field.is_cached(obj):
                continue
            other = field.get_cached_value(obj)
            if not other:
                continue
            if not other._is_pk_set():
                if not field.remote_field.multiple:
                    field.remote_field.delete_cached_value(other)
                raise ValueError(
                    "insert() prohibited to prevent data loss due to unsaved related object "
                    f"'{field.name}'."
                )
            if getattr(obj, field.attname) in field.empty_values:
                setattr(obj, field.name, other)
            if getattr(other, field.target_field.attname) != getattr(obj, field.attname):
                field.delete_cached_value(obj)

    def values(self, obj: Model) -> list:
        """Each inserted field's pre_save(obj, add=True), in the INSERT's order."""
        row = list(self.read(obj))
        for position, field in self.own:
            row[position] = field.pre_save(obj, True)
        return row


def _own_pre_save(field: ModelField) -> bool:
    """Whether `field`'s pre_save on an INSERT is more than Field's getattr: a date's or
    time's is, only when it stamps the row (auto_now, auto_now_add)."""
    pre_save = type(field).pre_save
    if pre_save is ModelField.pre_save:
        return False
    if pre_save in (DateField.pre_save, DateTimeField.pre_save, TimeField.pre_save):
        return field.auto_now or field.auto_now_add
    return True


@functools.lru_cache(maxsize=64)
def _reader(model: type[Model]) -> _Reader:
    return _Reader(model)


def _keyed(objs: Sequence[Model], keys: list, db) -> None:
    """The inserted objects, given the keys the INSERT returned: saved ones now."""
    attname = type(objs[0])._meta.pk.attname
    automatic = _automatic_key(type(objs[0]))
    for obj, (key,) in zip(objs, keys, strict=True):
        if automatic:  # a key of the model's own is already the object's
            setattr(obj, attname, key)
        obj._state.adding = False
        obj._state.db = db.alias


# Field classes whose get_db_prep_save gives a value of these exact types back as it is,
# when the methods it runs are Django's own: such a value skips the chain of five calls
# per value (the billing run writes fifty columns per invoice). Any other field, type or
# override goes through get_db_prep_save.
_KEPT_AS_IS = ((CharField, str), (TextField, str), (BooleanField, bool), (IntegerField, int))
_CHAIN = ("get_db_prep_save", "get_db_prep_value", "get_prep_value", "to_python")


@functools.cache
def _as_is(field: ModelField, vendor: str) -> frozenset[type]:
    """The types of value `field` writes unchanged on `vendor`'s connection."""
    ops = type(connections[DEFAULT_DB_ALIAS].ops)
    if isinstance(field, ForeignKey):
        if type(field).get_db_prep_save is not ForeignKey.get_db_prep_save:
            return frozenset()
        return _as_is(field.target_field, vendor) - {str}  # "" may be NULL for a key
    if isinstance(field, AutoFieldMixin):
        unchanged = (
            type(field).get_db_prep_save is ModelField.get_db_prep_save
            and type(field).get_db_prep_value is AutoFieldMixin.get_db_prep_value
            and type(field).get_prep_value is IntegerField.get_prep_value
            and ops.validate_autopk_value is BaseDatabaseOperations.validate_autopk_value
        )
        return frozenset({int, type(None)}) if unchanged else frozenset()
    for base, kept in _KEPT_AS_IS:
        if isinstance(field, base):
            if any(getattr(type(field), name) is not getattr(base, name) for name in _CHAIN):
                return frozenset()
            if base is IntegerField and (
                ops.adapt_integerfield_value is not BaseDatabaseOperations.adapt_integerfield_value
            ):
                return frozenset()
            return frozenset({kept, type(None)})
    return frozenset()


@functools.lru_cache(maxsize=64)
def _writers(model: type[Model], vendor: str) -> tuple[tuple[ModelField, frozenset], ...]:
    return tuple((field, _as_is(field, vendor)) for field in _inserted_fields(model))


@functools.lru_cache(maxsize=64)
def _update_sql(model: type[Model], vendor: str, names: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    meta = model._meta
    columns = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in names)
    return f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(meta.pk.column)} = %s"


def _automatic_key(model: type[Model]) -> bool:
    return isinstance(model._meta.pk, AutoFieldMixin)


@functools.cache
def _inserted_fields(model: type[Model]) -> tuple:
    """The columns an INSERT writes: every concrete one but an automatic primary key."""
    pk = model._meta.pk
    return tuple(
        field
        for field in model._meta.concrete_fields
        if not (field is pk and isinstance(field, AutoFieldMixin))
    )


@functools.lru_cache(maxsize=64)
def _insert_sql(model: type[Model], vendor: str, rows: int) -> str:
    quote = connection.ops.quote_name
    fields = _inserted_fields(model)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES {', '.join([row] * rows)} RETURNING {quote(model._meta.pk.column)}"
    )
