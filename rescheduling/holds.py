"""What holds mean for rescheduling: the reactions to bookings' and weather's signals (connected in
ReschedulingConfig.ready).

A weather verdict arrives here only after the monitor committed it. The options for a flight to be held are
worked out (solver, then Claude) before any transaction opens; the hold, its request and the messages are then
written together in one short transaction, so no row stays locked while Claude thinks and a failure leaves the
flight as it was for the next run.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.selectors import operations_staff
from audit.services import audit_record
from bookings.models import Booking, BookingStatus, HoldReason
from bookings.models import WeatherStatus as Verdict
from bookings.services import (
    booking_place_on_weather_hold,
    booking_record_weather,
    booking_release_maintenance_hold,
    booking_release_weather_hold,
)
from bookings.services.squawks import grounding_reason
from config.exceptions import ApplicationError
from notifications.services import notify
from rescheduling.models import RequestStatus
from rescheduling.selectors import latest_request_statuses
from rescheduling.services import (
    BOOKING_PARTS,
    reschedule_options_find,
    reschedule_request_open,
    reschedule_request_store,
    reschedule_requests_supersede,
)
from weather.models import WeatherCheck

logger = logging.getLogger(__name__)

# A flight going ahead that a conflict puts on hold.
HOLDABLE_STATUSES = (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED)


def _recipients(booking) -> list:
    return [booking.student, booking.instructor]


def weather_verdict_act(*, booking, check: WeatherCheck, now: datetime) -> str | None:
    """What a committed check means for its booking. Returns what happened: held, released, unknown_alert or None.

    The booking's hold and release are conditional updates in the bookings service, so of two monitor
    runs judging the same booking only one acts; notifications carry idempotency keys on top.
    """
    status = check.status
    if status == Verdict.UNKNOWN:
        return _unknown_alert(booking=booking, check=check, now=now)
    holding = status == Verdict.CONFLICT and booking.status in HOLDABLE_STATUSES
    options = reschedule_options_find(
        booking=Booking.objects.select_related(*BOOKING_PARTS).get(pk=booking.pk), now=now) if holding else None
    with transaction.atomic():
        if booking.weather_status != status:
            booking_record_weather(booking=booking, weather_status=status, checked_at=now)
        if holding:
            return _hold_for_weather(booking=booking, check=check, now=now, options=options)
        if status == Verdict.OK and booking.status == BookingStatus.WEATHER_HOLD:
            return _release_weather_hold(booking=booking, check=check, now=now)
    return None


def _hold_for_weather(*, booking, check: WeatherCheck, now: datetime, options) -> str | None:
    if not booking_place_on_weather_hold(booking=booking, now=now):
        return None
    audit_record(action="weather.conflict", object_type="booking", object_id=booking.pk,
                 before={"weather_status": booking.weather_status},
                 after={"weather_status": Verdict.CONFLICT, "reasons": check.reasons, "check_id": check.pk})
    request = reschedule_request_store(booking=booking, now=now, reasons=list(check.reasons), actor=None,
                                       options=options)
    notify(kind="weather_conflict", recipients=_recipients(booking), booking=booking,
           reschedule_request=request, reasons=list(check.reasons),
           idempotency_key=f"weather_conflict:{booking.pk}:{check.pk}", event_at=now)
    return "held"


def _release_weather_hold(*, booking, check: WeatherCheck, now: datetime) -> str | None:
    if not booking_release_weather_hold(booking=booking, now=now):
        return None
    audit_record(action="weather.cleared", object_type="booking", object_id=booking.pk,
                 before={"status": BookingStatus.WEATHER_HOLD}, after={"check_id": check.pk})
    reschedule_requests_supersede(booking=booking, reason="weather_cleared", now=now)
    notify(kind="weather_cleared", recipients=_recipients(booking), booking=booking,
           idempotency_key=f"weather_cleared:{booking.pk}:{check.pk}", event_at=now)
    return "released"


def _unknown_alert(*, booking, check: WeatherCheck, now: datetime) -> str | None:
    """No usable forecast never changes a booking; operations staff hear about it once per booking per day."""
    created = notify(kind="weather_unknown", recipients=list(operations_staff()), booking=booking,
                     reasons=list(check.reasons), idempotency_key=f"weather_unknown:{booking.pk}:{now.date():%Y-%m-%d}",
                     event_at=now)
    return "unknown_alert" if created else None


def on_verdict_committed(sender, *, booking, check, now, **kwargs) -> str | None:
    return weather_verdict_act(booking=booking, check=check, now=now)


def on_booking_cancelled(sender, *, booking, actor, now, **kwargs) -> None:
    # Every open request goes, whatever opened it (a weather hold or someone asking on demand): nobody should be
    # asked, or reminded, to choose a new time for a flight that is no longer happening.
    reschedule_requests_supersede(booking=booking, reason="booking_cancelled", now=now, actor=actor)


def on_aircraft_grounded(sender, *, booking_ids: list[int], reason: str, now: datetime, **kwargs) -> int:
    """For each booking held for maintenance: a reschedule request with options, and the student and instructor
    told. One booking failing (it was cancelled meanwhile) does not stop the others. Returns requests opened."""
    opened = 0
    for booking in Booking.objects.filter(pk__in=booking_ids).select_related("student", "instructor").order_by("pk"):
        if booking.status != BookingStatus.WEATHER_HOLD or booking.hold_reason != HoldReason.MAINTENANCE:
            continue
        try:
            request = reschedule_request_open(booking=booking, now=now, reasons=[reason])
        except ApplicationError as exc:
            logger.info("No maintenance options for booking %s: %s", booking.pk, exc.message)
            continue
        notify(kind="maintenance_hold", recipients=_recipients(booking), booking=booking,
               reschedule_request=request, reasons=[reason],
               idempotency_key=f"maintenance_hold:{booking.pk}:{request.pk}", event_at=now)
        opened += 1
    return opened


def offer_missing_maintenance_options(*, now: datetime | None = None) -> int:
    """Maintenance holds still ahead whose options never opened (the work after the grounding's commit failed:
    the database or the solver went away) get them now. A hold whose request expired, was declined or was
    accepted is settled and left alone; one with a pending request has its options. Returns requests opened;
    a second run opens none."""
    now = now or timezone.now()
    held = list(Booking.objects.filter(status=BookingStatus.WEATHER_HOLD, hold_reason=HoldReason.MAINTENANCE,
                                       start__gt=now).select_related("aircraft").order_by("pk"))
    latest = latest_request_statuses(booking_ids=[b.pk for b in held])
    opened = 0
    for booking in held:
        if latest.get(booking.pk, RequestStatus.SUPERSEDED) != RequestStatus.SUPERSEDED:
            continue
        opened += on_aircraft_grounded(Booking, booking_ids=[booking.pk], reason=grounding_reason(booking.aircraft),
                                       now=now)
    return opened


def on_aircraft_returned_to_service(sender, *, aircraft, by, now: datetime, **kwargs) -> list[int]:
    """Release the maintenance holds whose request is still open: the flight is back as it was, its request
    withdrawn, and the student and instructor told. Runs inside the return's transaction. Returns the released
    booking ids."""
    held = list(Booking.objects.select_for_update(of=("self",))
                .filter(aircraft_id=aircraft.pk, status=BookingStatus.WEATHER_HOLD,
                        hold_reason=HoldReason.MAINTENANCE)
                .select_related("student", "instructor", "departure_airport", "destination_airport", "aircraft")
                .order_by("pk"))
    # A request that expired or was declined closed the matter for that flight: staff arrange it by hand.
    latest = latest_request_statuses(booking_ids=[b.pk for b in held])
    released = []
    for booking in held:
        if latest.get(booking.pk) in (RequestStatus.EXPIRED, RequestStatus.DECLINED):
            continue
        if not booking_release_maintenance_hold(booking=booking, by=by, now=now):
            continue
        reschedule_requests_supersede(booking=booking, reason="aircraft_returned_to_service", now=now, actor=by)
        notify(kind="maintenance_cleared", recipients=_recipients(booking), booking=booking,
               idempotency_key=f"maintenance_cleared:{booking.pk}:{now.isoformat()}", event_at=now)
        released.append(booking.pk)
    return released
