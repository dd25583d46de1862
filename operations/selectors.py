"""Reads that span apps: the operations figures, each taken from the app that owns it."""

from datetime import datetime

from notifications import selectors as notification_selectors
from rescheduling import selectors as rescheduling_selectors
from weather import selectors as weather_selectors


def school_metrics(*, since: datetime, until: datetime) -> dict:
    """The operations figures of one period, each taken from the app that owns it."""
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
