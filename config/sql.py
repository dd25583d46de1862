"""Small pieces of SQL the apps share."""

from collections.abc import Collection

from django.db import connection, connections, router
from django.db.models import NOT_PROVIDED
from django.db.models.expressions import RawSQL


def id_set(ids: Collection[int]):
    """`ids` for an `__in` lookup on an integer key, however many there are.

    On PostgreSQL the ids travel as one array parameter (`IN (SELECT unnest(%s::bigint[]))`): a Python list
    becomes one placeholder per id, which psycopg splits and quotes one by one (about 0.1 s for 10,000 ids,
    against 0.04 s for the array, measured on the weather checks). Elsewhere the list is passed as it is.
    """
    ids = list(ids)
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])
    return ids


# (database alias, model, filter fields) -> (SQL, the filter fields, per-column converters); built on first use.
_ROW_STATEMENTS: dict = {}


def _row_statement(model, names: tuple[str, ...], alias: str):
    key = (alias, model._meta.label, names)
    statement = _ROW_STATEMENTS.get(key)
    if statement is None:
        conn = connections[alias]
        meta, quote = model._meta, conn.ops.quote_name
        columns = [field.get_col(meta.db_table) for field in meta.concrete_fields]
        filters = tuple(meta.pk if name == "pk" else meta.get_field(name) for name in names)
        where = " AND ".join(f"{quote(field.column)} = %s" for field in filters)
        sql = (f"SELECT {', '.join(quote(col.target.column) for col in columns)} "  # noqa: S608 - names from the model
               f"FROM {quote(meta.db_table)}" + (f" WHERE {where}" if where else ""))
        # The conversions the ORM's compiler applies to each column read (JSON text, for one).
        converters = [(index, conn.ops.get_db_converters(col) + col.get_db_converters(conn), col)
                      for index, col in enumerate(columns)]
        statement = (sql, filters, [c for c in converters if c[1]])
        _ROW_STATEMENTS[key] = statement
    return statement


def instances_where(model, **equal) -> list:
    """The rows of `model` whose fields equal `equal` (`pk` names the primary key), as the model's default
    manager would return them, in no particular order, read with SQL built once per model and set of fields.

    For lookups on every API request (the token's user, a booking's student, instructor and aircraft, an
    airport by ICAO code): building and compiling the ORM's query cost about three times running it, 0.5 ms of
    the 0.7 ms a `get()` took. Only for models whose default manager returns every row. Values are checked as
    the ORM checks them (a value the field cannot take raises ValueError or TypeError); an integer beyond its
    column's range matches nothing, as in the ORM."""
    alias = router.db_for_read(model)
    conn = connections[alias]
    sql, filters, converters = _row_statement(model, tuple(equal), alias)
    params = []
    for field, value in zip(filters, equal.values(), strict=True):
        value = field.get_db_prep_value(value, conn, prepared=False)
        if isinstance(value, int) and not isinstance(value, bool):
            column_type = (field.target_field if field.is_relation else field).get_internal_type()
            low, high = conn.ops.integer_field_ranges.get(column_type, (None, None))
            if (low is not None and value < low) or (high is not None and value > high):
                return []
        params.append(value)
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    names = [field.attname for field in model._meta.concrete_fields]
    instances = []
    for row in rows:
        if converters:
            row = list(row)
            for index, functions, col in converters:
                for convert in functions:
                    row[index] = convert(row[index], col, conn)
        instances.append(model.from_db(alias, names, row))
    return instances


def instance_where(model, **equal):
    """The one row of `model` matching `equal` on a unique key (see `instances_where`), or None."""
    found = instances_where(model, **equal)
    if len(found) > 1:
        raise model.MultipleObjectsReturned(f"{len(found)} {model._meta.verbose_name_plural} match {equal}.")
    return found[0] if found else None


# (database alias, model) -> (SQL, the fields it writes); built on first use.
_INSERT_STATEMENTS: dict = {}


def insert_instance(instance) -> None:
    """Insert a new `instance` as `save()` would (each field's value as saved: `auto_now_add` times, JSON) and set
    its primary key, with the INSERT built once per model: the ORM compiles it anew for every row, most of what
    an audit row's insert cost. Sends no `pre_save`/`post_save` signals: only for models nothing listens to."""
    model = type(instance)
    alias = router.db_for_write(model)
    conn = connections[alias]
    statement = _INSERT_STATEMENTS.get((alias, model._meta.label))
    if statement is None:
        meta, quote = model._meta, conn.ops.quote_name
        fields = [field for field in meta.concrete_fields if not field.primary_key]
        unwritable = [f.name for f in fields if getattr(f, "generated", False) or f.db_default is not NOT_PROVIDED]
        if unwritable:
            raise TypeError(f"insert_instance cannot write {model._meta.label}: {', '.join(unwritable)} take "
                            "their values in the database; use save().")
        sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
               f"VALUES ({', '.join(['%s'] * len(fields))})")
        returning = conn.features.can_return_columns_from_insert
        if returning:
            sql += f" RETURNING {quote(meta.db_table)}.{quote(meta.pk.column)}"
        statement = (sql, fields, returning)
        _INSERT_STATEMENTS[(alias, model._meta.label)] = statement
    sql, fields, returning = statement
    # As save() does: refuse a related object that was never saved, take the ids of those that were since.
    instance._prepare_related_fields_for_save(operation_name="insert_instance")
    params = [field.get_db_prep_save(field.pre_save(instance, True), conn) for field in fields]
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            pk = cursor.fetchone()[0]
        else:
            pk = conn.ops.last_insert_id(cursor, model._meta.db_table, model._meta.pk.column)
    instance.pk = pk
    instance._state.adding, instance._state.db = False, alias
