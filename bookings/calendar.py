"""A person's bookings as an iCalendar feed that calendar apps subscribe to."""

import zoneinfo
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from bookings.models import Booking, BookingStatus
from config.links import site_url

# Calendar apps poll the feed; recent history keeps last week's lessons visible without sending years of them.
HISTORY = timedelta(days=60)
ICAL_STATUS = {
    BookingStatus.SCHEDULED: "TENTATIVE",
    BookingStatus.WEATHER_HOLD: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.COMPLETED: "CONFIRMED",
    BookingStatus.RESCHEDULED: "CANCELLED",
    BookingStatus.CANCELLED: "CANCELLED",
}


def _local(moment: datetime, zone_name: str) -> datetime:
    try:
        return moment.astimezone(zoneinfo.ZoneInfo(zone_name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return moment


def booking_summary(booking: Booking) -> str:
    route = booking.departure_airport.icao
    if booking.destination_airport_id != booking.departure_airport_id:
        route = f"{route}→{booking.destination_airport.icao}"
    summary = f"{booking.get_lesson_type_display()} · {booking.aircraft.tail_number} · {route}"
    if booking.status != BookingStatus.SCHEDULED:
        summary = f"{summary} ({booking.get_status_display()})"
    return summary


def booking_event(booking: Booking) -> Event:
    zone = booking.departure_airport.time_zone
    event = Event()
    event.add("uid", f"booking-{booking.pk}@flightschedulepro")
    event.add("dtstamp", booking.updated_at)
    event.add("last-modified", booking.updated_at)
    event.add("dtstart", _local(booking.start, zone))
    event.add("dtend", _local(booking.end, booking.destination_airport.time_zone))
    event.add("summary", booking_summary(booking))
    event.add("location", f"{booking.departure_airport.icao} {booking.departure_airport.name}")
    event.add("status", ICAL_STATUS[booking.status])
    lines = [f"Status: {booking.get_status_display()}", f"Weather: {booking.get_weather_status_display()}",
             f"Aircraft: {booking.aircraft}", f"Student: {booking.student}"]
    if booking.instructor_id:
        lines.append(f"Instructor: {booking.instructor}")
    event.add("description", "\n".join(lines))
    event.add("url", site_url(f"/bookings/{booking.pk}/"))
    # Calendar apps replace an event only when its sequence grows; the update time always does.
    event.add("sequence", int(booking.updated_at.timestamp()) - int(booking.created_at.timestamp()))
    return event


def bookings_calendar(*, bookings, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Flight Schedule Pro//Bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for booking in bookings:
        calendar.add_component(booking_event(booking))
    calendar.add_missing_timezones()
    return calendar.to_ical()
