from datetime import datetime

from audit.models import AuditEvent


def audit_count_since(*, action: str, since: datetime, object_id: str | None = None,
                      ip_address: str | None = None) -> int:
    events = AuditEvent.objects.filter(action=action, created_at__gte=since)
    if object_id is not None:
        events = events.filter(object_id=object_id)
    if ip_address is not None:
        events = events.filter(ip_address=ip_address)
    return events.count()


def audit_event_list(*, filters: dict | None = None):
    events = AuditEvent.objects.select_related("actor")
    for key in ("action", "object_type", "object_id"):
        if filters and filters.get(key):
            events = events.filter(**{key: filters[key]})
    if filters and filters.get("actor"):
        events = events.filter(actor_id=filters["actor"])
    return events
