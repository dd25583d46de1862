"""Turning an event into the words a person reads: subject, text and HTML bodies, and the link to follow.

Times are shown in the departure airport's own zone ("Sat 28 Nov 09:00 PST at KPAO"), because that is the
clock the flight happens on, and so are the UTC hours in weather reasons. Links are built from FRONTEND_URL, or
from the request that caused the message when it is unset (config.links), so they point at the pages people use.
"""

import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string

from config.links import site_url
from config.localtime import localize_reason
from notifications.models import NotificationKind

SUBJECTS = {
    NotificationKind.WEATHER_CONFLICT: "Weather hold: {flight}",
    NotificationKind.OPTIONS_READY: "New times to choose from: {flight}",
    NotificationKind.RESCHEDULE_REMINDER: "Reminder: choose a new time for {flight}",
    NotificationKind.RESCHEDULE_CONFIRMED: "Rescheduled: {flight}",
    NotificationKind.WEATHER_CLEARED: "Weather cleared: {flight} is back on",
    NotificationKind.REQUEST_EXPIRED: "Reschedule options expired: {flight}",
    NotificationKind.REQUEST_DECLINED: "Reschedule options declined: {flight}",
    NotificationKind.NO_OPTIONS: "No new time found for {flight}",
    NotificationKind.WEATHER_UNKNOWN: "No usable weather data: {flight}",
    NotificationKind.MAINTENANCE_HOLD: "Aircraft grounded, flight on hold: {flight}",
    NotificationKind.MAINTENANCE_CLEARED: "Aircraft back in service: {flight} is back on",
    NotificationKind.STANDBY_BOOKED: "Booked from standby: {flight}",
    NotificationKind.DELIVERY_FAILED: "A notification could not be delivered",
}

# Messages whose reader has to choose among the options: they list them.
KINDS_LISTING_OPTIONS = frozenset({NotificationKind.OPTIONS_READY, NotificationKind.RESCHEDULE_REMINDER})
# Messages about the flight itself rather than the choice: they link to the booking, not to the request.
KINDS_ABOUT_THE_FLIGHT = frozenset({
    NotificationKind.RESCHEDULE_CONFIRMED, NotificationKind.WEATHER_CLEARED, NotificationKind.REQUEST_EXPIRED,
    NotificationKind.WEATHER_UNKNOWN, NotificationKind.NO_OPTIONS, NotificationKind.MAINTENANCE_CLEARED,
    NotificationKind.STANDBY_BOOKED,
})


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body_text: str
    body_html: str
    link: str


def frontend_url(path: str) -> str:
    return site_url(path)


def local_time(moment: datetime | None, time_zone: str) -> str:
    """`Sat 28 Nov 09:00 PST`: the airport's wall clock with its zone abbreviation."""
    if moment is None:
        return ""
    try:
        zone = zoneinfo.ZoneInfo(time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%a %d %b %H:%M %Z")


def _airport_zone(booking) -> str:
    airport = getattr(booking, "departure_airport", None)
    return getattr(airport, "time_zone", "") or settings.SCHOOL_TIME_ZONE


def _person(user) -> str:
    return (user.get_full_name() or user.email) if user is not None else ""


def booking_context(booking, *, recipient) -> dict | None:
    if booking is None:
        return None
    zone = _airport_zone(booking)
    departure = booking.departure_airport.icao
    destination = booking.destination_airport.icao
    is_student = recipient is not None and recipient.pk == booking.student_id
    previous = booking.rescheduled_from if booking.rescheduled_from_id else None
    return {
        "id": booking.pk,
        "when": f"{local_time(booking.start, zone)} at {departure}",
        "ends": local_time(booking.end, zone),
        "route": departure if departure == destination else f"{departure} to {destination}",
        "aircraft": booking.aircraft.tail_number,
        "lesson_type": booking.get_lesson_type_display(),
        "student": _person(booking.student),
        "instructor": _person(booking.instructor) if booking.instructor_id else "",
        "whose": "your flight" if is_student else f"{_person(booking.student)}'s flight",
        "previous_when": (f"{local_time(previous.start, _airport_zone(previous))} at {previous.departure_airport.icao}"
                          if previous is not None else ""),
        "url": frontend_url(f"/bookings/{booking.pk}/"),
    }


def _options_of(reschedule_request) -> list:
    related = getattr(reschedule_request, "options", None)
    if related is None:
        return []
    if "options" in getattr(reschedule_request, "_prefetched_objects_cache", {}):
        items = list(related.all())
    elif hasattr(related, "all"):
        # With their instructors and aircraft: one query for the list, not two more per option.
        items = list(related.select_related("instructor", "aircraft"))
    else:
        items = list(related)
    return sorted(items, key=lambda option: getattr(option, "rank", 0) or 0)


def request_context(reschedule_request, *, time_zone: str, with_options: bool) -> dict | None:
    if reschedule_request is None:
        return None
    options = []
    for option in _options_of(reschedule_request) if with_options else ():
        instructor = getattr(option, "instructor", None)
        aircraft = getattr(option, "aircraft", None)
        options.append({
            "rank": getattr(option, "rank", None),
            "when": local_time(option.start, time_zone),
            "ends": local_time(option.end, time_zone),
            "instructor": _person(instructor),
            "aircraft": getattr(aircraft, "tail_number", ""),
            "rationale": getattr(option, "rationale", ""),
            "weather_status": getattr(option, "weather_status", ""),
            "forecast_known": getattr(option, "forecast_known", True),
        })
    return {
        "id": reschedule_request.pk,
        "expires": local_time(getattr(reschedule_request, "expires_at", None), time_zone),
        "options": options,
        "url": frontend_url(f"/reschedule/{reschedule_request.pk}/"),
    }


def render_message(*, kind: str, recipient, booking=None, reschedule_request=None, reasons=(),
                   extra: dict | None = None) -> RenderedMessage:
    booking_ctx = booking_context(booking, recipient=recipient)
    request_ctx = request_context(
        reschedule_request, with_options=kind in KINDS_LISTING_OPTIONS,
        time_zone=_airport_zone(booking) if booking else settings.SCHOOL_TIME_ZONE,
    )
    links = {
        "notifications": frontend_url("/notifications/"),
        "profile": frontend_url("/profile/"),
    }
    candidates = [(request_ctx or {}).get("url"), (booking_ctx or {}).get("url")]
    if kind in KINDS_ABOUT_THE_FLIGHT:
        candidates.reverse()
    link = next((url for url in candidates if url), links["notifications"])
    context = {
        "kind": kind,
        "recipient_name": recipient.get_short_name(),
        "booking": booking_ctx,
        "request": request_ctx,
        "reasons": [localize_reason(str(reason), place=getattr(booking, "departure_airport", None),
                                    around=getattr(booking, "start", None)) for reason in reasons],
        "extra": extra or {},
        "links": links,
        "action_url": link,
    }
    flight = booking_ctx["when"] if booking_ctx else "your flight"
    subject = SUBJECTS[kind].format(flight=flight)
    context["subject"] = subject
    body_text = render_to_string(f"notifications/email/{kind}.txt", context)
    # Optional sections leave blank lines behind; a reader wants one blank line between paragraphs.
    body_text = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", body_text).strip() + "\n"
    body_html = render_to_string(f"notifications/email/{kind}.html", context)
    return RenderedMessage(subject=subject[:255], body_text=body_text, body_html=body_html, link=link)
