"""Writing the audit trail. Services call `audit_record` inside their own transaction."""

import json
from collections.abc import Mapping, Sequence

from django.core.serializers.json import DjangoJSONEncoder

from audit.models import AuditEvent
from config.request_context import current_request_id

# Rows per INSERT in audit_record_many: large enough that a 10,000-booking sweep writes its audit trail in
# a couple of statements, small enough to keep one statement's memory modest.
AUDIT_BATCH_SIZE = 10_000


def _jsonable(value):
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def audit_record(*, action: str, object_type: str, object_id, actor=None, before: dict | None = None,
                 after: dict | None = None, ip_address: str | None = None) -> AuditEvent:
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=_jsonable(before),
        after=_jsonable(after),
        request_id=current_request_id(),
        ip_address=ip_address,
    )


def audit_record_many(*, events: Sequence[Mapping]) -> list[AuditEvent]:
    """Several audit rows in one bulk insert, for set-based writes (thousands of bookings in one statement).

    Each event takes the keys `audit_record` takes (action, object_type, object_id; actor, before, after,
    ip_address optional); every row carries the current request id, as one `audit_record` call would.
    """
    request_id = current_request_id()
    rows = []
    for event in events:
        actor = event.get("actor")
        if actor is not None and not getattr(actor, "is_authenticated", False):
            actor = None
        rows.append(AuditEvent(
            actor=actor, action=event["action"], object_type=event["object_type"],
            object_id=str(event["object_id"]), before=_jsonable(event.get("before")),
            after=_jsonable(event.get("after")), request_id=request_id, ip_address=event.get("ip_address"),
        ))
    return AuditEvent.objects.bulk_create(rows, batch_size=AUDIT_BATCH_SIZE)
