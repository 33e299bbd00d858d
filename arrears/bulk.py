"""Writing many rows of a model, with the history rows django-simple-history would add,
from plain values rather than model instances.

`simple_history.utils.bulk_create_with_history` builds a model instance and a historical
instance for every row, and Django compiles every value of every row into SQL: at the 1.5
million months of a 50,000-row ledger that alone takes minutes. These functions send plain
tuples with `executemany`, and write each history row as simple-history does for a save:
every tracked field's value, `history_type` "+" (created) or "~" (changed), the user who
did it, the moment, and no change reason. Callers validate the values before (they come
from a checked import or payment); the database's constraints still hold.
"""

import functools
from collections.abc import Sequence
from itertools import islice

from django.db import connection
from django.utils import timezone

CHUNK = 5000  # rows per executemany call


def _adapter(field):
    """How a field's values go to the backend, as Django adapts them (SQLite takes dates and
    moments as text, moments in UTC), or None where the driver takes the value as it is."""
    kind = field.get_internal_type()
    if kind == "JSONField":
        return functools.partial(field.get_db_prep_save, connection=connection)
    if kind == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    if kind == "DateField":
        return connection.ops.adapt_datefield_value
    if kind == "TimeField":
        return connection.ops.adapt_timefield_value
    return None


def _adapted(rows, adapters):
    # Dates and moments are hashable and few per batch (its months, one history moment): each
    # is adapted once. JSON values are adapted every time.
    todo = [
        (i, adapt, None if isinstance(adapt, functools.partial) else {})
        for i, adapt in enumerate(adapters)
        if adapt is not None
    ]
    if not todo:
        return [tuple(row) for row in rows]
    out = []
    for row in rows:
        row = list(row)
        for i, adapt, seen in todo:
            value = row[i]
            if value is None:
                continue
            if seen is None:
                row[i] = adapt(value)
                continue
            adapted = seen.get(value)
            if adapted is None:
                adapted = seen[value] = adapt(value)
            row[i] = adapted
        out.append(row)
    return out


def _chunks(rows, size=CHUNK):
    rows = iter(rows)
    while chunk := list(islice(rows, size)):
        yield chunk


def _insert(table: str, fields: Sequence, rows) -> None:
    quote = connection.ops.quote_name
    columns = [f.column for f in fields]
    adapters = [_adapter(f) for f in fields]
    names = ", ".join(quote(c) for c in columns)
    if connection.vendor == "postgresql":
        # COPY: PostgreSQL runs an INSERT per row of an executemany, about 30,000 rows a
        # second with the history tables' indexes; COPY takes them several times faster.
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy,
        ):
            for chunk in _chunks(rows):
                for row in _adapted(chunk, adapters):
                    copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"  # noqa: S608 - model names
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            cursor.executemany(sql, _adapted(chunk, adapters))


def rows_insert(model, attnames: Sequence[str], rows) -> None:
    """Insert rows (tuples of values for `attnames`) into the model's table."""
    opts = model._meta
    _insert(opts.db_table, [opts.get_field(a) for a in attnames], rows)


def history_insert(*, model, attnames: Sequence[str], rows, by, kind: str) -> None:
    """The history rows of objects created ("+") or changed ("~"): `rows` are tuples of
    every tracked field's value (in `attnames` order, the id included), as they now are."""
    history = model.history.model
    tracked = {f.attname for f in history.tracked_fields}
    if set(attnames) != tracked:
        raise ValueError(f"{model.__name__}'s history needs exactly {sorted(tracked)}")
    opts = history._meta
    names = [*attnames, "history_date", "history_change_reason", "history_type", "history_user"]
    tail = (timezone.now(), None, kind, by.pk if by is not None else None)
    _insert(opts.db_table, [opts.get_field(a) for a in names], (tuple(row) + tail for row in rows))


def rows_update(model, attnames: Sequence[str], rows) -> None:
    """Set `attnames` of rows by id: `rows` are tuples (id, *values)."""
    opts = model._meta
    quote = connection.ops.quote_name
    fields = [opts.get_field(a) for a in attnames]
    adapters = [None, *(_adapter(f) for f in fields)]
    sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(opts.db_table)} SET {sets} WHERE {quote(opts.pk.column)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            cursor.executemany(sql, [(*row[1:], row[0]) for row in _adapted(chunk, adapters)])


def _tracked(model) -> list[str]:
    return [f.attname for f in model.history.model.tracked_fields]


def create_with_history(*, objects: list, by, batch_size: int = 2000) -> list:
    """`bulk_create` the (already checked) objects, then their history rows ("+") from
    their values: what `bulk_create_with_history` writes, without a historical instance
    for each. The backends used here return the new ids from `bulk_create`."""
    if not objects:
        return objects
    model = type(objects[0])
    model._default_manager.bulk_create(objects, batch_size=batch_size)
    if objects[0].pk is None:
        raise RuntimeError("The database did not return the new rows' ids.")
    names = _tracked(model)
    rows = [[getattr(o, a) for a in names] for o in objects]
    history_insert(model=model, attnames=names, rows=rows, by=by, kind="+")
    return objects


def update_with_history(*, objects: list, fields, by, batch_size: int = 2000) -> None:
    """`bulk_update` these fields of the objects, then their history rows ("~")."""
    if not objects:
        return
    model = type(objects[0])
    model._default_manager.bulk_update(objects, sorted(fields), batch_size=batch_size)
    names = _tracked(model)
    rows = [[getattr(o, a) for a in names] for o in objects]
    history_insert(model=model, attnames=names, rows=rows, by=by, kind="~")
