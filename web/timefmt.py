"""Times as a pilot reads them: in the airport's own zone, always with the zone's abbreviation."""

import zoneinfo
from datetime import datetime

from django.conf import settings


def zone_of(place) -> zoneinfo.ZoneInfo:
    """The zone of an airport (or anything with `time_zone`), a zone name, or the school's zone."""
    name = getattr(place, "time_zone", None) or (place if isinstance(place, str) and place else None)
    try:
        return zoneinfo.ZoneInfo(name or settings.SCHOOL_TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.SCHOOL_TIME_ZONE)


def format_local(value: datetime | None, place=None, *, with_date: bool = True) -> str:
    if value is None:
        return ""
    local = value.astimezone(zone_of(place))
    pattern = "%a %d %b %H:%M" if with_date else "%H:%M"
    return f"{local.strftime(pattern)} {local.tzname()}"


def format_local_range(start: datetime, end: datetime, place=None) -> str:
    """`Wed 15 Jan 09:30–11:30 PST`; both dates when the flight crosses midnight, both zones across a DST change."""
    zone = zone_of(place)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.date() != local_end.date():
        return f"{format_local(start, place)} – {format_local(end, place)}"
    head = local_start.strftime("%a %d %b %H:%M")
    if local_start.tzname() != local_end.tzname():
        head += f" {local_start.tzname()}"
    return f"{head}–{local_end.strftime('%H:%M')} {local_end.tzname()}"
