"""Reschedule deadlines: expire requests, remind once before expiry, cancel flights still held at departure,
expire standby requests whose slot has started, and open the options a grounding's hold never got.

Safe to run twice and concurrently: every row is claimed with a conditional UPDATE before anything is sent,
and notifications carry idempotency keys, so nothing happens twice.
"""

from config.bootstrap import ensure_django

ensure_django()

import logging  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from audit.metrics import emit  # noqa: E402
from audit.services import audit_record  # noqa: E402
from bookings.models import BookingStatus  # noqa: E402
from bookings.selectors import bookings_for_weather_monitor  # noqa: E402
from bookings.services import booking_cancel  # noqa: E402
from bookings.services.standby import standby_expire_due  # noqa: E402
from config.exceptions import ApplicationError  # noqa: E402
from config.request_context import job_context  # noqa: E402
from notifications.services import notify  # noqa: E402
from rescheduling.holds import offer_missing_maintenance_options  # noqa: E402
from rescheduling.models import REMINDER_BEFORE_EXPIRY, RequestStatus, RescheduleRequest  # noqa: E402
from rescheduling.services import request_snapshot  # noqa: E402

logger = logging.getLogger(__name__)

# Held bookings whose start passed up to this long ago are still swept (a job that was down for a while).
HELD_LOOKBACK = timedelta(days=30)
FALLBACK_CANCEL_REASON = "Weather: the flight was still on weather hold at its departure time."


def expire_requests(*, now: datetime, progress: Callable[[], None] | None = None) -> int:
    expired = 0
    due = RescheduleRequest.objects.filter(status=RequestStatus.PENDING, expires_at__lte=now).order_by("id")
    for request_id in list(due.values_list("id", flat=True)):
        with transaction.atomic():
            won = RescheduleRequest.objects.filter(id=request_id, status=RequestStatus.PENDING).update(
                status=RequestStatus.EXPIRED, decided_at=now, closed_reason="expired")
            if won:
                request = RescheduleRequest.objects.select_related("booking__student", "booking__instructor").get(
                    id=request_id)
                audit_record(action="reschedule_request.expired", object_type="reschedule_request",
                             object_id=request_id, before={"status": RequestStatus.PENDING},
                             after=request_snapshot(request))
                booking = request.booking
                notify(kind="request_expired", recipients=[booking.student, booking.instructor], booking=booking,
                       reschedule_request=request, reasons=request.reasons,
                       idempotency_key=f"request_expired:{request_id}", event_at=now)
                expired += 1
        if progress:
            progress()
    return expired


def send_reminders(*, now: datetime, progress: Callable[[], None] | None = None) -> int:
    sent = 0
    due = RescheduleRequest.objects.filter(
        status=RequestStatus.PENDING, reminder_sent_at__isnull=True,
        expires_at__gt=now, expires_at__lte=now + REMINDER_BEFORE_EXPIRY,
    ).order_by("id")
    for request_id in list(due.values_list("id", flat=True)):
        with transaction.atomic():
            won = RescheduleRequest.objects.filter(
                id=request_id, status=RequestStatus.PENDING, reminder_sent_at__isnull=True,
            ).update(reminder_sent_at=now)
            if won:
                request = RescheduleRequest.objects.select_related("booking__student", "booking__instructor").get(
                    id=request_id)
                booking = request.booking
                notify(kind="reschedule_reminder", recipients=[booking.student], booking=booking,
                       reschedule_request=request, reasons=request.reasons,
                       idempotency_key=f"reschedule_reminder:{request_id}", event_at=now,
                       extra={"expires_at": request.expires_at.isoformat()})
                sent += 1
        if progress:
            progress()
    return sent


def cancel_unresolved_holds(*, now: datetime, progress: Callable[[], None] | None = None) -> int:
    cancelled = 0
    held = bookings_for_weather_monitor(start=now - HELD_LOOKBACK, end=now).filter(status=BookingStatus.WEATHER_HOLD)
    for booking in list(held):
        latest = RescheduleRequest.objects.filter(booking=booking).order_by("-created_at", "-id").first()
        reasons = latest.reasons if latest and latest.reasons else []
        if booking.hold_reason == "maintenance":
            reason = "Maintenance: " + ("; ".join(reasons) if reasons else
                                        f"{booking.aircraft.tail_number} was still grounded at the departure time.")
        else:
            reason = ("Weather: " + "; ".join(reasons)) if reasons else FALLBACK_CANCEL_REASON
        try:
            booking_cancel(booking=booking, actor=None, reason=reason, now=now)
        except ApplicationError as exc:
            # Another run (or a person) changed it first: nothing left to do for this booking.
            logger.info("Held booking %s not cancelled: %s", booking.pk, exc.message)
        else:
            cancelled += 1
        if progress:
            progress()
    return cancelled


def run_deadlines(event=None, context=None, *, now: datetime | None = None,
                  progress: Callable[[], None] | None = None) -> dict:
    """Zappa, Celery beat and `manage.py run_reschedule_deadlines` all call this."""
    now = now or timezone.now()
    with job_context("reschedule-deadlines"):
        summary = {
            "expired": expire_requests(now=now, progress=progress),
            "reminded": send_reminders(now=now, progress=progress),
            "cancelled": cancel_unresolved_holds(now=now, progress=progress),
            "standby_expired": standby_expire_due(now=now),
            "maintenance_options": offer_missing_maintenance_options(now=now),
        }
        emit({"RescheduleRequestsExpired": summary["expired"], "RescheduleRemindersSent": summary["reminded"],
              "HeldBookingsCancelled": summary["cancelled"], "StandbyRequestsExpired": summary["standby_expired"]},
             units={"RescheduleRequestsExpired": "Count", "RescheduleRemindersSent": "Count",
                    "HeldBookingsCancelled": "Count", "StandbyRequestsExpired": "Count"},
             dimensions={"Job": "reschedule-deadlines"})
        logger.info("Reschedule deadlines: %s", summary)
    return summary
