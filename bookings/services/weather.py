"""Weather holds and verdicts on bookings, written by the weather monitor."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record, audit_record_many
from bookings.models import (
    Booking,
    BookingStatus,
    HoldReason,
    WeatherStatus,
)
from config.exceptions import ApplicationError
from config.sql import id_set


def booking_place_on_weather_hold(*, booking: Booking, actor=None, now: datetime | None = None) -> bool:
    """Hold a scheduled or confirmed booking for weather; False when it was not in either state."""
    now = now or timezone.now()
    with transaction.atomic():
        for previous in (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED):
            claimed = Booking.objects.filter(pk=booking.pk, status=previous).update(
                status=BookingStatus.WEATHER_HOLD, status_before_hold=previous, hold_reason=HoldReason.WEATHER,
                updated_at=now)
            if claimed:
                booking.status, booking.status_before_hold = BookingStatus.WEATHER_HOLD, previous
                booking.hold_reason = HoldReason.WEATHER
                audit_record(action="booking.weather_hold", object_type="booking", object_id=booking.pk,
                             actor=actor, before={"status": previous},
                             after={"status": BookingStatus.WEATHER_HOLD, "status_before_hold": previous})
                return True
    return False


def booking_release_weather_hold(*, booking: Booking, actor=None, now: datetime | None = None) -> bool:
    """Put a booking held for weather back to the status the hold interrupted; False when it is not on a
    weather hold (a grounded aircraft's hold is released only by returning the aircraft to service)."""
    now = now or timezone.now()
    with transaction.atomic():
        current = Booking.objects.filter(pk=booking.pk).values("status", "status_before_hold", "hold_reason").first()
        if (not current or current["status"] != BookingStatus.WEATHER_HOLD
                or current["hold_reason"] == HoldReason.MAINTENANCE):
            return False
        restored = current["status_before_hold"] or BookingStatus.SCHEDULED
        claimed = Booking.objects.filter(
            pk=booking.pk, status=BookingStatus.WEATHER_HOLD, status_before_hold=current["status_before_hold"],
        ).exclude(hold_reason=HoldReason.MAINTENANCE).update(status=restored, status_before_hold="", hold_reason="",
                                                              updated_at=now)
        if not claimed:
            return False
        booking.status, booking.status_before_hold, booking.hold_reason = restored, "", ""
        audit_record(action="booking.weather_hold_released", object_type="booking", object_id=booking.pk,
                     actor=actor, before={"status": BookingStatus.WEATHER_HOLD}, after={"status": restored})
        return True


def booking_record_weather(*, booking: Booking, weather_status: str, checked_at: datetime) -> None:
    """Store the latest verdict on the booking; a change of verdict is audited."""
    if weather_status not in WeatherStatus.values:
        raise ApplicationError(f"Unknown weather status {weather_status!r}.", code="invalid",
                               fields={"weather_status": [f"Choose one of: {', '.join(WeatherStatus.values)}."]})
    with transaction.atomic():
        previous = Booking.objects.filter(pk=booking.pk).values_list("weather_status", flat=True).first()
        Booking.objects.filter(pk=booking.pk).update(weather_status=weather_status, weather_checked_at=checked_at)
        booking.weather_status, booking.weather_checked_at = weather_status, checked_at
        if previous != weather_status:
            audit_record(action="booking.weather_changed", object_type="booking", object_id=booking.pk,
                         before={"weather_status": previous},
                         after={"weather_status": weather_status, "checked_at": checked_at})


# Bookings per statement in bookings_record_weather_bulk: PostgreSQL takes 20,000 ids in one IN list easily,
# and SQLite's default limit on bound parameters (32,766) is above it.
BULK_CHUNK = 20_000


def bookings_record_weather_bulk(*, changes: Sequence[tuple[int, str, str]], checked_at: datetime) -> int:
    """Store many bookings' new verdicts at once: (booking id, status the caller saw, new status) each.

    The set-based twin of `booking_record_weather` for the weather monitor: the bookings are locked and
    their stored verdicts read in one statement, written with one UPDATE per new status, and every real
    change audited per booking (`booking.weather_changed`, before/after as the single version writes) in
    one bulk insert. The audited `before` is what the database held, not what the caller saw, so a booking
    changed meanwhile is still recorded truthfully. Returns how many bookings changed verdict.
    """
    wanted: dict[int, str] = {}
    known = frozenset(WeatherStatus.values)  # the enum builds the list anew on every read
    for booking_id, _seen, weather_status in changes:
        if weather_status not in known:
            raise ApplicationError(f"Unknown weather status {weather_status!r}.", code="invalid",
                                   fields={"weather_status": [f"Choose one of: {', '.join(WeatherStatus.values)}."]})
        wanted[booking_id] = weather_status
    if not wanted:
        return 0
    ids = sorted(wanted)
    events = []
    # One before and one after object per status, shared by the events that have it (made JSON-safe once).
    before = {status: {"weather_status": status} for status in known}
    after = {status: {"weather_status": status, "checked_at": checked_at} for status in known}
    with transaction.atomic():
        for start in range(0, len(ids), BULK_CHUNK):
            chunk = ids[start:start + BULK_CHUNK]
            # Locked in id order, like every other multi-row writer, so two writers cannot deadlock.
            stored = dict(Booking.objects.select_for_update().filter(pk__in=id_set(chunk)).order_by("pk")
                          .values_list("pk", "weather_status"))
            by_status: dict[str, list[int]] = defaultdict(list)
            for booking_id in chunk:
                if booking_id in stored:
                    by_status[wanted[booking_id]].append(booking_id)
            for weather_status, group in sorted(by_status.items()):
                Booking.objects.filter(pk__in=id_set(group)).update(weather_status=weather_status,
                                                            weather_checked_at=checked_at)
            events.extend(
                {"action": "booking.weather_changed", "object_type": "booking", "object_id": booking_id,
                 "before": before.get(stored[booking_id]) or {"weather_status": stored[booking_id]},
                 "after": after[wanted[booking_id]]}
                for booking_id in chunk if booking_id in stored and stored[booking_id] != wanted[booking_id]
            )
        audit_record_many(events=events)
    return len(events)
