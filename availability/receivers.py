"""How availability answers bookings' signals (connected in AvailabilityConfig.ready)."""

from availability import selectors as availability_selectors
from config.exceptions import ApplicationError


def refuse_outside_availability(sender, *, start, end, instructor, aircraft, override_availability: bool,
                                **kwargs) -> None:
    blocked = availability_selectors.overlapping_exceptions(start=start, end=end, aircraft=aircraft).first()
    if blocked is not None:
        raise ApplicationError(f"{aircraft.tail_number} is unavailable then: {blocked.reason or 'blocked'}.",
                               code="aircraft_unavailable",
                               fields={"aircraft": ["This aircraft is unavailable at that time."]})
    if override_availability:
        return
    scheduled = availability_selectors.scheduled_intervals(
        start=start, end=end, instructor_ids=[instructor.pk] if instructor else [], aircraft_ids=[aircraft.pk])
    fields = {}
    if not availability_selectors.covers(scheduled[("aircraft", aircraft.pk)], start, end):
        fields["aircraft"] = ["The aircraft is not available for the whole booking."]
    if instructor and not availability_selectors.covers(scheduled[("instructor", instructor.pk)], start, end):
        fields["instructor"] = ["The instructor is not available for the whole booking."]
    if fields:
        raise ApplicationError("The booking is outside availability.", code="outside_availability", fields=fields)
