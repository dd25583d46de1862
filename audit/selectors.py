from datetime import datetime

from audit.models import AuditEvent
from config.exceptions import NotFoundError


def audit_count_since(*, action: str, since: datetime, object_id: str | None = None,
                      ip_address: str | None = None) -> int:
    events = AuditEvent.objects.filter(action=action, created_at__gte=since)
    if object_id is not None:
        events = events.filter(object_id=object_id)
    if ip_address is not None:
        events = events.filter(ip_address=ip_address)
    return events.count()


def audit_event_list(*, filters: dict | None = None):
    filters = filters or {}
    events = AuditEvent.objects.select_related("actor")
    for key in ("action", "object_type", "object_id", "request_id"):
        if filters.get(key):
            events = events.filter(**{key: filters[key]})
    if filters.get("actor"):
        events = events.filter(actor_id=filters["actor"])
    if filters.get("since"):
        events = events.filter(created_at__gte=filters["since"])
    if filters.get("until"):
        events = events.filter(created_at__lt=filters["until"])
    return events.order_by("-created_at", "-id")


def audit_event_get(*, event_id) -> AuditEvent:
    try:
        return AuditEvent.objects.select_related("actor").get(pk=int(event_id))
    except (AuditEvent.DoesNotExist, TypeError, ValueError):
        raise NotFoundError("Audit event not found.")
