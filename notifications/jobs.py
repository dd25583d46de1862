"""What the schedulers call: a Zappa event, Celery beat and `manage.py send_pending_notifications`."""

from config.bootstrap import ensure_django

ensure_django()

import logging  # noqa: E402
from collections import Counter  # noqa: E402
from datetime import timedelta  # noqa: E402

from django.core.mail import get_connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from audit.metrics import emit  # noqa: E402
from config.request_context import job_context  # noqa: E402
from notifications import selectors, services  # noqa: E402

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# The alarm on NotificationDeliveryRate looks at 10-minute periods: the figure covers the last hour's emails.
RATE_WINDOW = timedelta(hours=1)


def run_delivery(event=None, context=None, *, now=None, ignore_backoff: bool = False, batch_size: int = BATCH_SIZE,
                 progress=None) -> dict:
    """Send every email that is due (any pending one with ignore_backoff), then write the delivery metrics.

    Safe to run twice and concurrently: each message is claimed before it is sent. `progress`, when given,
    is called with the number of due messages and then once per message handled.
    """
    with job_context("notifications.run_delivery") as run_id:
        started = now or timezone.now()
        abandoned = services.notifications_fail_abandoned(now=started)
        due = selectors.due_email_ids(now=started, ignore_backoff=ignore_backoff, limit=batch_size)
        if progress:
            progress(total=len(due))
        outcomes = Counter()
        # One mail session for the whole batch (opening one per message costs a TCP and SMTP handshake each);
        # the channel closes it after a failure and the next send opens a fresh one.
        connection = get_connection()
        if due:
            try:
                connection.open()
            except Exception as exc:
                logger.warning("mail server unreachable at the start of the run: %s", exc)
        try:
            outcomes.update(services.notifications_deliver(
                notification_ids=due, now=now, ignore_backoff=ignore_backoff, connection=connection,
                on_outcome=(lambda outcome: progress(advance=1)) if progress else None))
        finally:
            try:
                connection.close()
            except Exception:
                logger.warning("closing the mail connection failed", exc_info=True)
        stats = selectors.delivery_stats(since=started - RATE_WINDOW, until=started + timedelta(seconds=1))
        summary = {
            "run_id": run_id,
            "due": len(due),
            "sent": outcomes["sent"],
            "retrying": outcomes["retrying"],
            "failed": outcomes["failed"] + abandoned,
            "skipped": outcomes["skipped"],
            "delivery_rate": stats["first_attempt_rate"],
        }
        emit(
            {
                "NotificationsSent": summary["sent"],
                "NotificationsFailed": summary["failed"],
                "NotificationsRetrying": summary["retrying"],
                "NotificationsPending": stats["pending"],
                "NotificationDeliveryRate": (None if stats["first_attempt_rate"] is None
                                             else round(stats["first_attempt_rate"] * 100, 2)),
                "DetectionToNotificationSeconds": stats["avg_seconds_detection_to_notification"],
            },
            units={"NotificationsSent": "Count", "NotificationsFailed": "Count", "NotificationsRetrying": "Count",
                   "NotificationsPending": "Count", "NotificationDeliveryRate": "Percent",
                   "DetectionToNotificationSeconds": "Seconds"},
        )
        logger.info("notification delivery run", extra={"summary": summary})
        return summary
