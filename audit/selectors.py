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


def school_metrics(*, since: datetime, until: datetime) -> dict:
    """The operations figures of one period, each taken from the app that owns it."""
    from notifications import selectors as notification_selectors
    from rescheduling import selectors as rescheduling_selectors
    from weather import selectors as weather_selectors

    weather = weather_selectors.provider_stats(since=since, until=until)
    notifications = notification_selectors.delivery_stats(since=since, until=until)
    rescheduling = rescheduling_selectors.reschedule_stats(since=since, until=until)
    return {
        "since": since,
        "until": until,
        "weather_provider_success_rate": weather.get("success_rate"),
        "notification_delivery_rate": notifications.get("delivery_rate"),
        "avg_seconds_detection_to_notification": notifications.get("avg_seconds_detection_to_notification"),
        "reschedule_acceptance_rate": rescheduling.get("acceptance_rate"),
        "avg_seconds_conflict_to_confirmed": rescheduling.get("avg_seconds_conflict_to_confirmed"),
        "weather": weather,
        "notifications": notifications,
        "rescheduling": rescheduling,
    }
