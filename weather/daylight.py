"""Night as 14 CFR 1.1 defines it: from the end of evening civil twilight to the beginning of morning civil
twilight, at the departure airport's own coordinates, told in its own time zone.

Pure functions over astral's sun positions: no database, no clock.
"""

from __future__ import annotations

import functools
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from astral import Observer
from astral.sun import dawn, dusk, elevation

CIVIL_DEPRESSION = 6.0  # degrees below the horizon: the end of civil twilight


@dataclass(frozen=True)
class Night:
    """One night at a place: [begins, ends) in UTC-aware datetimes."""

    begins: datetime
    ends: datetime


def _twilight(observer: Observer, day: date, tz: zoneinfo.ZoneInfo, which) -> datetime | None:
    """Civil dawn or dusk of the local `day`; None when the sun never sinks 6° below the horizon that day,
    or never rises above it (told apart by the caller through the sun's height at noon)."""
    try:
        return which(observer, day, depression=CIVIL_DEPRESSION, tzinfo=tz)
    except ValueError:
        return None


def _always_dark(observer: Observer, day: date, tz: zoneinfo.ZoneInfo) -> bool:
    noon = datetime.combine(day, time(12), tzinfo=tz)
    return elevation(observer, noon) < -CIVIL_DEPRESSION


@functools.lru_cache(maxsize=4096)
def dark_spans(latitude: float, longitude: float, time_zone: str, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The dark parts of one local day: midnight to morning civil twilight, evening civil twilight to midnight.

    Cached: the monitor and the solver ask about the same few airports and days over and over."""
    tz = zoneinfo.ZoneInfo(time_zone)
    observer = Observer(latitude=latitude, longitude=longitude)
    midnight = datetime.combine(day, time(0), tzinfo=tz)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    if _always_dark(observer, day, tz):
        return ((midnight, next_midnight),)
    spans = []
    morning = _twilight(observer, day, tz, dawn)
    evening = _twilight(observer, day, tz, dusk)
    if morning is not None and morning > midnight:
        spans.append((midnight, morning))
    if evening is not None and evening < next_midnight:
        spans.append((evening, next_midnight))
    return tuple(spans)


def nights_between(*, latitude: float, longitude: float, time_zone: str, start: datetime,
                   end: datetime) -> list[Night]:
    """Every night (or part of one) touching [start, end), in order, at one place.

    Built from each local day's civil dusk to the next day's civil dawn. A polar day has no night; a polar
    night is dark from local midnight to midnight.
    """
    tz = zoneinfo.ZoneInfo(time_zone or "UTC")
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    dark: list[list[datetime]] = []
    day = first
    while day <= last:
        for begins, ends in dark_spans(latitude, longitude, time_zone or "UTC", day):
            if dark and begins <= dark[-1][1] + timedelta(seconds=1):
                dark[-1][1] = max(dark[-1][1], ends)
            else:
                dark.append([begins, ends])
        day += timedelta(days=1)
    return [Night(b, e) for b, e in dark if b < end and e > start]


def night_reason(*, start: datetime, end: datetime, latitude: float, longitude: float, time_zone: str,
                 icao: str, who: str) -> str | None:
    """Why [start, end) reaches into night at this airport, in a pilot's words; None when it is all daylight.

    `ends 17:42 local, after civil twilight 17:31 at KPAO (student_pilot)`.
    """
    nights = nights_between(latitude=latitude, longitude=longitude, time_zone=time_zone, start=start, end=end)
    if not nights:
        return None
    tz = zoneinfo.ZoneInfo(time_zone or "UTC")
    night = nights[0]

    def local(moment: datetime) -> str:
        moment = moment.astimezone(tz)
        same_day = moment.date() == start.astimezone(tz).date()
        return f"{moment:%H:%M}" if same_day else f"{moment:%a %H:%M}"

    if night.begins <= start:
        # Already dark at the start: the night ends with morning twilight (or runs past the booking).
        if night.ends < end:
            return (f"starts {local(start)} local, before civil twilight {local(night.ends)} at {icao} ({who})")
        return f"starts {local(start)} local, in the night (civil twilight {local(night.begins)}) at {icao} ({who})"
    return f"ends {local(end)} local, after civil twilight {local(night.begins)} at {icao} ({who})"
