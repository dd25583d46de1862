"""What the schedulers call: a Zappa event, Celery beat and `manage.py send_pending_notifications`."""

from config.bootstrap import ensure_django

ensure_django()

import logging  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from datetime import timedelta  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.mail import get_connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from audit.metrics import emit  # noqa: E402
from config.request_context import job_context  # noqa: E402
from notifications import selectors, services  # noqa: E402

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# The alarm on NotificationDeliveryRate looks at 10-minute periods: the figure covers the last hour's emails.
RATE_WINDOW = timedelta(hours=1)
# On Lambda, what the run keeps back from the invocation's remaining time: recording the last chunk, the delivery
# figures and the metrics line.
LAMBDA_MARGIN_SECONDS = 3.0


def delivery_deadline(context, *, started: float) -> float | None:
    """The time.monotonic() value by which the last send must have started: on Lambda (Zappa passes the
    invocation's context to the job) its remaining time less a margin; elsewhere none."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return None
    return started + max(0.0, remaining() / 1000 - LAMBDA_MARGIN_SECONDS)


def delivery_batch_limit(*, batch_size: int, send_rate: float | None, seconds: float | None) -> int:
    """How many due emails one run takes: `batch_size`, and no more than `send_rate` lets out in `seconds`."""
    if not send_rate or seconds is None:
        return batch_size
    return max(0, min(batch_size, int(send_rate * seconds)))


def run_delivery(event=None, context=None, *, now=None, ignore_backoff: bool = False, batch_size: int = BATCH_SIZE,
                 progress=None) -> dict:
    """Send every email that is due (any pending one with ignore_backoff), then write the delivery metrics.

    Safe to run twice and concurrently: each message is claimed before it is sent. `progress`, when given,
    is called with the number of due messages and then once per message handled.

    Sends are spaced to NOTIFICATION_SEND_RATE (SES's maximum send rate). On Lambda the run takes only as many
    as that rate lets out in the invocation's remaining time, and claims nothing it could not send in time:
    the rest stays due for the next run.
    """
    clock = time.monotonic()
    with job_context("notifications.run_delivery") as run_id:
        started = now or timezone.now()
        deadline = delivery_deadline(context, started=clock)
        send_rate = settings.NOTIFICATION_SEND_RATE or None
        abandoned = services.notifications_fail_abandoned(now=started)
        limit = delivery_batch_limit(batch_size=batch_size, send_rate=send_rate,
                                     seconds=None if deadline is None else deadline - time.monotonic())
        due = selectors.due_email_ids(now=started, ignore_backoff=ignore_backoff, limit=limit) if limit else []
        if progress:
            progress(total=len(due))
        outcomes = Counter()
        # One mail session for the whole batch (opening one per message costs a TCP and SMTP handshake each),
        # opened by the first send; the channel closes it after a failure that breaks the session, and the next
        # send opens a fresh one.
        connection = get_connection()
        try:
            outcomes.update(services.notifications_deliver(
                notification_ids=due, now=now, ignore_backoff=ignore_backoff, connection=connection,
                send_rate=send_rate, deadline=deadline,
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
            "deferred": outcomes["deferred"],
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
