"""Weather holds and verdicts on bookings, written by the weather monitor."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from bookings.models import (
    Booking,
    BookingStatus,
    WeatherStatus,
)
from config.exceptions import ApplicationError


def booking_place_on_weather_hold(*, booking: Booking, actor=None, now: datetime | None = None) -> bool:
    """Hold a scheduled or confirmed booking for weather; False when it was not in either state."""
    now = now or timezone.now()
    with transaction.atomic():
        for previous in (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED):
            claimed = Booking.objects.filter(pk=booking.pk, status=previous).update(
                status=BookingStatus.WEATHER_HOLD, status_before_hold=previous, updated_at=now)
            if claimed:
                booking.status, booking.status_before_hold = BookingStatus.WEATHER_HOLD, previous
                audit_record(action="booking.weather_hold", object_type="booking", object_id=booking.pk,
                             actor=actor, before={"status": previous},
                             after={"status": BookingStatus.WEATHER_HOLD, "status_before_hold": previous})
                return True
    return False


def booking_release_weather_hold(*, booking: Booking, actor=None, now: datetime | None = None) -> bool:
    """Put a held booking back to the status the hold interrupted; False when it is not on hold."""
    now = now or timezone.now()
    with transaction.atomic():
        current = Booking.objects.filter(pk=booking.pk).values("status", "status_before_hold").first()
        if not current or current["status"] != BookingStatus.WEATHER_HOLD:
            return False
        restored = current["status_before_hold"] or BookingStatus.SCHEDULED
        claimed = Booking.objects.filter(
            pk=booking.pk, status=BookingStatus.WEATHER_HOLD, status_before_hold=current["status_before_hold"],
        ).update(status=restored, status_before_hold="", updated_at=now)
        if not claimed:
            return False
        booking.status, booking.status_before_hold = restored, ""
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
