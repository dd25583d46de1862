"""Times as a pilot reads them: in the airport's (or else the school's) own zone, always with the zone's name.

Everything is stored in UTC; these turn it into the wall clock people fly by. They live here, below every app,
so pages, emails, the admin and the calendar feed all say a time the same way.
"""

import re
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings


def school_zone() -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(settings.SCHOOL_TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def zone_of(place) -> zoneinfo.ZoneInfo:
    """The zone of an airport (or anything with `time_zone`), a zone name, or the school's zone."""
    if isinstance(place, zoneinfo.ZoneInfo):
        return place
    name = getattr(place, "time_zone", None) or (place if isinstance(place, str) and place else None)
    if not name:
        return school_zone()
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return school_zone()


def format_local(value: datetime | None, place=None, *, with_date: bool = True) -> str:
    """`Wed 15 Jan 09:30 PST` (or `09:30 PST` without the date)."""
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


# Reasons are recorded with UTC hours (`at KPAO 14:00Z`), the way the weather reports themselves speak.
_ZULU_HOUR = re.compile(r"\b([01]\d|2[0-3]):([0-5]\d)Z\b")


def instant_near(hour: int, minute: int, around: datetime) -> datetime:
    """The UTC instant at hour:minute closest to `around`: reasons only name hours inside a flight's window."""
    around = around.astimezone(zoneinfo.ZoneInfo("UTC"))
    same_day = around.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return min((same_day + timedelta(days=shift) for shift in (-1, 0, 1)), key=lambda moment: abs(moment - around))


def localize_reason(text: str, *, place=None, around: datetime | None) -> str:
    """`… at KPAO 14:00Z` → `… at KPAO 06:00 PST`, in the zone of `place`, for a flight around `around`."""
    if around is None or not text:
        return text
    zone = zone_of(place)

    def local(match: re.Match) -> str:
        moment = instant_near(int(match.group(1)), int(match.group(2)), around).astimezone(zone)
        return f"{moment:%H:%M} {moment.tzname()}"

    return _ZULU_HOUR.sub(local, str(text))
