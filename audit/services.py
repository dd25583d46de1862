"""Writing the audit trail. Services call `audit_record` inside their own transaction."""

import json

from django.core.serializers.json import DjangoJSONEncoder

from audit.models import AuditEvent
from config.request_context import current_request_id


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
