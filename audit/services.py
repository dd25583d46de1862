"""Writing the audit trail. Services call `audit_record` inside their own transaction."""

import json
from collections.abc import Mapping, Sequence

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent
from config.memo import by_identity
from config.request_context import current_request_id
from config.sql import insert_instance

# Rows per INSERT in audit_record_many: large enough that a 10,000-booking sweep writes its audit trail in
# a couple of statements, small enough to keep one statement's memory modest.
AUDIT_BATCH_SIZE = 10_000
# From this many rows on PostgreSQL, one JSON document per batch instead of the ORM's bulk insert.
AUDIT_DOCUMENT_MIN_ROWS = 50


def _jsonable(value):
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def audit_record(*, action: str, object_type: str, object_id, actor=None, before: dict | None = None,
                 after: dict | None = None, ip_address: str | None = None) -> AuditEvent:
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    event = AuditEvent(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=_jsonable(before),
        after=_jsonable(after),
        request_id=current_request_id(),
        ip_address=ip_address,
    )
    insert_instance(event)
    return event


def audit_record_many(*, events: Sequence[Mapping]) -> list[AuditEvent]:
    """Several audit rows in one bulk insert, for set-based writes (thousands of bookings in one statement).

    Each event takes the keys `audit_record` takes (action, object_type, object_id; actor, before, after,
    ip_address optional); every row carries the current request id, as one `audit_record` call would.
    """
    request_id = current_request_id()
    now = timezone.now()
    rows = []
    safe: dict = {}

    def jsonable(value):
        # A before or after object that several events share (a bulk write's one per status) is made JSON-safe
        # once, and their rows share the result: the rows are for reading.
        return None if value is None else by_identity(safe, value, _jsonable)

    for event in events:
        actor = event.get("actor")
        if actor is not None and not getattr(actor, "is_authenticated", False):
            actor = None
        rows.append(AuditEvent(
            created_at=now, actor=actor, action=event["action"], object_type=event["object_type"],
            object_id=str(event["object_id"]), before=jsonable(event.get("before")),
            after=jsonable(event.get("after")), request_id=request_id, ip_address=event.get("ip_address"),
        ))
    if connection.vendor != "postgresql" or len(rows) < AUDIT_DOCUMENT_MIN_ROWS:
        return AuditEvent.objects.bulk_create(rows, batch_size=AUDIT_BATCH_SIZE)
    _insert_document(rows)
    return rows


# The columns of audit_auditevent as its migrations define them; a test compares this with the model.
_INSERT_EVENTS_SQL = """
    INSERT INTO audit_auditevent (created_at, actor_id, action, object_type, object_id, before, after, request_id,
                                  ip_address)
    SELECT created_at, actor_id, action, object_type, object_id, before, after, request_id, ip_address
    FROM json_to_recordset(%s::json) AS r(created_at timestamptz, actor_id bigint, action varchar(64),
                                          object_type varchar(64), object_id varchar(255), before jsonb,
                                          after jsonb, request_id varchar(64), ip_address inet)
    RETURNING id
"""


def _insert_document(rows: list[AuditEvent]) -> None:
    """Insert `rows` as one JSON document per batch expanded by json_to_recordset, and set their ids.

    The ORM's bulk insert binds nine parameters a row, which the driver splits and quotes one by one: 9,000
    rows (a sweep's first sight) took about 1.1 s that way against 0.22 s for PostgreSQL to store them.
    """
    with connection.cursor() as cursor:
        for start in range(0, len(rows), AUDIT_BATCH_SIZE):
            batch = rows[start:start + AUDIT_BATCH_SIZE]
            document = json.dumps([
                {"created_at": r.created_at.isoformat(), "actor_id": r.actor_id, "action": r.action,
                 "object_type": r.object_type, "object_id": r.object_id, "before": r.before, "after": r.after,
                 "request_id": r.request_id, "ip_address": r.ip_address}
                for r in batch
            ], separators=(",", ":"))
            cursor.execute(_INSERT_EVENTS_SQL, [document])
            # The ids come back in the document's order, as Django's own bulk insert relies on for its rows.
            for row, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                row.pk = row.id = pk
                row._state.adding, row._state.db = False, connection.alias


class Column(str):
    """In `audit_record_returning`'s before/after: the value of this column of each row the statement returns."""


def audit_record_returning(*, statement: str, params: Sequence, action: str, object_type: str,
                           before: Mapping | None = None, after: Mapping | None = None) -> list[str]:
    """Run `statement` (an UPDATE ... RETURNING on PostgreSQL, returning at least `id`) and write one audit row for
    each row it returns, in the same statement: one round trip and one commit for a set-based write and its
    trail. `before` and `after` are what `audit_record` takes, where a `Column("name")` value stands for that
    column of the returned row. Returns the ids of the rows audited (as stored: text).

    Every row carries the current request id and no actor, as a scheduled job's `audit_record_many` would."""
    meta, ops = AuditEvent._meta, connection.ops
    column = {name: ops.quote_name(meta.get_field(name).column) for name in
              ("created_at", "actor", "action", "object_type", "object_id", "before", "after", "request_id",
               "ip_address")}
    values: list = []

    def json_of(snapshot: Mapping | None) -> str:
        if snapshot is None:
            return "NULL"
        pairs = []
        for key, value in snapshot.items():
            pairs.append("%s")
            values.append(str(key))
            if isinstance(value, Column):
                pairs.append(f"audited.{ops.quote_name(value)}")
            else:
                pairs.append("%s::jsonb")
                values.append(json.dumps(value, cls=DjangoJSONEncoder))
        return f"jsonb_build_object({', '.join(pairs)})"

    before_sql, after_sql = json_of(before), json_of(after)
    sql = (f"WITH audited AS ({statement}) INSERT INTO {ops.quote_name(meta.db_table)} "  # noqa: S608 - quoted names and placeholders only
           f"({column['created_at']}, {column['actor']}, {column['action']}, {column['object_type']}, "
           f"{column['object_id']}, {column['before']}, {column['after']}, {column['request_id']}, "
           f"{column['ip_address']}) "
           f"SELECT %s, NULL, %s, %s, audited.id::text, {before_sql}, {after_sql}, %s, NULL FROM audited "
           f"RETURNING {column['object_id']}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, ops.adapt_datetimefield_value(timezone.now()), action, object_type, *values,
                             current_request_id()])
        return [object_id for (object_id,) in cursor.fetchall()]
