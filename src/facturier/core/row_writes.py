"""Rows written as the ORM writes them, in one round trip, for the few writes made while
a lock every other writer waits for is held (the numbering's, from the number taken to
the commit).

`Model.save()` builds its UPDATE or INSERT anew each time: that Python runs while the
lock is held, and every other finalization waits for it. Here each field's value is
prepared by the field itself (`pre_save`, then `get_db_prep_save`: what `save()` does
with it, `auto_now` included), the statement's text is made once per table and column
set, and the UPDATE and the INSERT go to the database together: one round trip where
`save()` takes two. No signal is sent (none is connected to the models written here).
"""

import functools
from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def update_and_insert(instance: Model, fields: Sequence[str], new: Model) -> None:
    """UPDATE `instance`'s row with `fields` (names), and INSERT `new` (its primary key
    made by the database and left unset on `new`), in one round trip where the backend
    takes several statements at once (PostgreSQL), in two otherwise (SQLite, which has
    no round trip to save). Raises IntegrityError as `save()` would; the caller's
    transaction takes both back."""
    update_sql, update_params = _update(instance, tuple(fields))
    insert_sql, insert_params = _insert(new)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{update_sql}; {insert_sql}", [*update_params, *insert_params])
        else:
            cursor.execute(update_sql, update_params)
            cursor.execute(insert_sql, insert_params)


def _update(instance: Model, names: tuple[str, ...]) -> tuple[str, list]:
    meta = instance._meta
    fields = [meta.get_field(name) for name in names]
    values = [f.get_db_prep_save(f.pre_save(instance, False), connection) for f in fields]
    return _update_text(meta.label, names), [*values, instance.pk]


def _insert(instance: Model) -> tuple[str, list]:
    fields = _insert_fields(type(instance))
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    return _insert_text(type(instance)), values


@functools.cache
def _update_text(label: str, names: tuple[str, ...]) -> str:
    from django.apps import apps

    meta = apps.get_model(label)._meta
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in names)
    return f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(meta.pk.column)} = %s"


@functools.cache
def _insert_fields(model: type[Model]) -> tuple:
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key)


@functools.cache
def _insert_text(model: type[Model]) -> str:
    quote = connection.ops.quote_name
    fields = _insert_fields(model)
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"
