"""A set-based write and its audit trail in one statement: one row per row the statement returns, the same row
`audit_record_many` would write."""

import pytest
from django.db import connection

from audit.models import AuditEvent
from audit.services import Column, audit_record_many, audit_record_returning
from config.request_context import bind_request_id, reset_request_id

pytestmark = pytest.mark.postgres

FIELDS = ("action", "object_type", "object_id", "before", "after", "request_id", "actor_id", "ip_address")


@pytest.mark.django_db
def test_each_returned_row_gets_the_audit_row_audit_record_many_would_write():
    token = bind_request_id("job-1234")
    try:
        audited = audit_record_returning(
            statement="SELECT n AS id, n * 10 AS score FROM generate_series(1, 3) AS n WHERE n <> %s", params=[2],
            action="thing.scored", object_type="thing",
            before={"status": "new", "score": None}, after={"status": "scored", "score": Column("score")})
        audit_record_many(events=[{"action": "thing.scored", "object_type": "thing", "object_id": n,
                                   "before": {"status": "new", "score": None},
                                   "after": {"status": "scored", "score": n * 10}} for n in (1, 3)])
    finally:
        reset_request_id(token)

    assert sorted(audited) == ["1", "3"]
    rows = list(AuditEvent.objects.order_by("id").values_list(*FIELDS))
    assert rows[:2] == rows[2:]
    assert rows[0] == ("thing.scored", "thing", "1", {"status": "new", "score": None},
                       {"status": "scored", "score": 10}, "job-1234", None, None)


@pytest.mark.django_db
def test_a_statement_that_returns_nothing_writes_nothing():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE scratch (id integer)")

    assert audit_record_returning(statement="UPDATE scratch SET id = id + 1 RETURNING id", params=[],
                                  action="thing.moved", object_type="thing", after={"moved": True}) == []
    assert not AuditEvent.objects.exists()
