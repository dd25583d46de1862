"""Timestamps read through psycopg's C parser, exactly as Django's own loader reads them."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from config.timestamps import TIMESTAMPTZ_OID, timestamptz_loader

pytestmark = pytest.mark.django_db

VALUES = ["2026-12-06 22:00:00+00", "2026-12-06 22:00:00.123456+00", "1999-01-08 04:05:06-08",
          "2026-03-29 01:30:00+01", "0001-01-01 00:00:00+00", "9999-12-31 23:59:59.999999+00",
          "2026-06-01 12:00:00+05:45"]


def _read(cursor, values):
    cursor.execute("SELECT v::timestamptz FROM unnest(%s::text[]) AS v", [values])
    return [row[0] for row in cursor.fetchall()]


def test_every_connection_reads_timestamps_with_the_c_parser():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    assert loader is timestamptz_loader(connection.timezone)
    assert loader.timezone is connection.timezone  # Django keeps it: no loader of its own per cursor
    with connection.cursor() as cursor:
        assert cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT) is loader


def test_the_values_are_those_djangos_own_loader_reads():
    with connection.cursor() as ours:
        fast = _read(ours, VALUES)
    with connection.cursor() as theirs:
        register_tzloader(connection.timezone, theirs.cursor)
        assert theirs.cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT).__module__.startswith("django.")
        django_read = _read(theirs, VALUES)
    assert fast == django_read
    assert [(v.tzinfo, v.microsecond) for v in fast] == [(d.tzinfo, d.microsecond) for d in django_read]
    assert fast[0] == datetime.datetime(2026, 12, 6, 22, tzinfo=datetime.UTC)
    assert fast[0].tzinfo is datetime.UTC
    assert fast[2] == datetime.datetime(1999, 1, 8, 12, 5, 6, tzinfo=datetime.UTC)


def test_a_value_python_cannot_hold_fails_as_it_did():
    errors = []
    for register in (False, True):
        with connection.cursor() as cursor:
            if register:
                register_tzloader(connection.timezone, cursor.cursor)
            try:
                _read(cursor, ["infinity"])
            except Exception as exc:  # noqa: BLE001 - compared below
                errors.append((type(exc), str(exc)))
    assert len(errors) == 2 and errors[0] == errors[1]
