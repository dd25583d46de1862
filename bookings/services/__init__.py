"""Writes for airports, aircraft and bookings.

Double-booking is prevented twice over. The service takes a transaction-scoped lock per party (student,
instructor, aircraft), always in the same order, then looks for overlapping active bookings and answers
409 `booking_conflict` naming them. On PostgreSQL exclusion constraints are the last guard: if anything
slips past the check, the IntegrityError becomes the same 409.
"""

from bookings.services.fleet import (
    aircraft_create,
    aircraft_update,
    airport_for_code,
    airport_get_or_create,
    airport_learn_from_search,
    airport_update,
)
from bookings.services.lifecycle import (
    booking_cancel,
    booking_create,
    booking_mark_rescheduled,
    booking_update,
    cancellation_cutoff,
    is_late_cancellation,
)
from bookings.services.rules import (
    LOCK_NAMESPACES,
    MAX_ADVANCE,
    MAX_DURATION,
    MIN_DURATION,
    BookingBusy,
    booking_snapshot,
    conflict_from_integrity_error,
)
from bookings.services.squawks import (
    aircraft_ground,
    aircraft_return_to_service,
    booking_release_maintenance_hold,
    squawk_clear,
    squawk_open,
)
from bookings.services.weather import (
    booking_place_on_weather_hold,
    booking_record_weather,
    booking_release_weather_hold,
    bookings_record_weather_bulk,
)

__all__ = [
    "LOCK_NAMESPACES", "MAX_ADVANCE", "MAX_DURATION", "MIN_DURATION", "BookingBusy", "aircraft_create",
    "aircraft_update", "airport_for_code", "airport_get_or_create", "airport_learn_from_search", "airport_update",
    "booking_cancel", "booking_create",
    "booking_mark_rescheduled", "booking_place_on_weather_hold", "booking_record_weather",
    "booking_release_weather_hold", "booking_snapshot", "booking_update", "bookings_record_weather_bulk",
    "cancellation_cutoff", "conflict_from_integrity_error", "is_late_cancellation", "aircraft_ground",
    "aircraft_return_to_service", "booking_release_maintenance_hold", "squawk_clear", "squawk_open",
]
