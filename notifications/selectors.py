"""Reads for notifications: a person's own in-app messages, what is due for delivery, delivery figures."""

from datetime import datetime

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q

from config.exceptions import NotFoundError
from notifications.models import Channel, Notification, NotificationStatus


def notification_list(*, actor, filters: dict | None = None):
    """The actor's own in-app notifications, newest first. Everyone, staff included, sees only their own."""
    filters = filters or {}
    notifications = Notification.objects.filter(recipient=actor, channel=Channel.IN_APP)
    if filters.get("unread") is True:
        notifications = notifications.filter(read_at__isnull=True)
    elif filters.get("unread") is False:
        notifications = notifications.filter(read_at__isnull=False)
    if filters.get("kind"):
        notifications = notifications.filter(kind=filters["kind"])
    if filters.get("booking"):
        notifications = notifications.filter(booking_id=filters["booking"])
    return notifications.order_by("-created_at", "-id")


def notification_get(*, actor, notification_id) -> Notification:
    try:
        return Notification.objects.get(pk=int(notification_id), recipient=actor, channel=Channel.IN_APP)
    except (Notification.DoesNotExist, TypeError, ValueError):
        raise NotFoundError("Notification not found.")


def unread_count(*, actor) -> int:
    return Notification.objects.filter(recipient=actor, channel=Channel.IN_APP, read_at__isnull=True).count()


def due_email_ids(*, now: datetime, ignore_backoff: bool = False, limit: int | None = None) -> list[int]:
    """Pending emails whose retry time has come (any time, with ignore_backoff), oldest first.

    Only a candidate list: each one is still claimed with a conditional UPDATE before it is sent.
    """
    from django.conf import settings

    due = Notification.objects.filter(
        channel=Channel.EMAIL, status=NotificationStatus.PENDING,
        attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS,
    ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
    if not ignore_backoff:
        due = due.filter(next_attempt_at__lte=now)
    ids = due.order_by("next_attempt_at", "id").values_list("pk", flat=True)
    return list(ids[:limit] if limit else ids)


def _seconds(value) -> float | None:
    if value is None:
        return None
    if hasattr(value, "total_seconds"):
        return round(value.total_seconds(), 3)
    # SQLite hands durations back as microseconds.
    return round(float(value) / 1_000_000, 3)


def delivery_stats(*, since: datetime, until: datetime) -> dict:
    """Email delivery figures and detection-to-notification latency for notifications created in [since, until).

    delivery_rate = sent / (sent + failed) among emails (in-app messages cannot fail, so they would only
    flatter it); None when no email was settled. first_attempt_rate also counts emails waiting for a retry
    as undelivered, so it drops during a mail outage long before anything is marked failed.
    Latency runs from the triggering event (`event_at`, e.g. the weather check that found the conflict) to the
    moment the message reached the person (`sent_at`).
    """
    window = Notification.objects.filter(created_at__gte=since, created_at__lt=until)
    latency = ExpressionWrapper(F("sent_at") - F("event_at"), output_field=DurationField())
    timed = Q(status=NotificationStatus.SENT, event_at__isnull=False, sent_at__isnull=False)
    by_channel = {}
    for row in (window.values("channel").annotate(
        sent=Count("id", filter=Q(status=NotificationStatus.SENT)),
        failed=Count("id", filter=Q(status=NotificationStatus.FAILED)),
        pending=Count("id", filter=Q(status=NotificationStatus.PENDING)),
        retrying=Count("id", filter=Q(status=NotificationStatus.PENDING, attempts__gt=0)),
        avg_latency=Avg(latency, filter=timed),
    ).order_by("channel")):
        by_channel[row["channel"]] = {
            "sent": row["sent"], "failed": row["failed"], "pending": row["pending"], "retrying": row["retrying"],
            "avg_seconds_detection_to_notification": _seconds(row["avg_latency"]),
        }
    overall = window.aggregate(avg_latency=Avg(latency, filter=timed))
    email = by_channel.get(Channel.EMAIL, {"sent": 0, "failed": 0, "pending": 0, "retrying": 0})
    settled = email["sent"] + email["failed"]
    tried = settled + email["retrying"]
    return {
        "sent": email["sent"],
        "failed": email["failed"],
        "pending": email["pending"],
        "retrying": email["retrying"],
        "in_app": by_channel.get(Channel.IN_APP, {}).get("sent", 0),
        "delivery_rate": round(email["sent"] / settled, 4) if settled else None,
        # Counts an email still waiting for a retry as not delivered (yet): reacts to an outage at once.
        "first_attempt_rate": round(email["sent"] / tried, 4) if tried else None,
        "avg_seconds_detection_to_notification": _seconds(overall["avg_latency"]),
        "by_channel": by_channel,
    }
