"""Page-specific reads. Each one goes through the owning app's selectors, scoped by the acting user."""

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from availability.selectors import free_intervals, school_zone
from bookings.models import ACTIVE_STATUSES, BookingStatus
from bookings.selectors import booking_list
from rescheduling.models import RequestStatus
from rescheduling.selectors import request_list
from weather.judging import PRE_FLIGHT
from weather.selectors import latest_checks
from web import charts

UPCOMING_DAYS = 14
# Patterns written as 00:00-23:59 mean the whole day.
ALL_DAY_SLACK = timedelta(minutes=1)
DASHBOARD_FLIGHTS = 20


@dataclass
class FlightRow:
    """A booking with what its latest weather check said, ready for a list."""

    booking: object
    weather_status: str
    reasons: list = field(default_factory=list)
    checked_at: datetime | None = None
    pending_request: object = None
    confidence: dict | None = None


def check_reasons(check) -> list[str]:
    reasons = getattr(check, "reasons", None) or []
    return [str(r) for r in reasons]


def flight_rows(*, bookings, actor, with_requests: bool = True) -> list[FlightRow]:
    """Each booking with its latest weather reasons and, when it has one, its pending reschedule request.

    One query for the weather of every listed booking, however many there are.
    """
    bookings = list(bookings)
    pending = {}
    if with_requests and bookings:
        for request in request_list(actor=actor, filters={"status": [RequestStatus.PENDING]}):
            pending.setdefault(request.booking_id, request)
    checks = latest_checks(booking_ids=[b.id for b in bookings],
                           fields=("id", "booking_id", "status", "reasons", "checked_at", "confidence"))
    rows = []
    for booking in bookings:
        check = checks.get(booking.id)
        rows.append(FlightRow(
            booking=booking,
            weather_status=(getattr(check, "status", None) or booking.weather_status or "unknown"),
            reasons=check_reasons(check),
            checked_at=getattr(check, "checked_at", None) or booking.weather_checked_at,
            pending_request=pending.get(booking.id),
            confidence=getattr(check, "confidence", None),
        ))
    return rows


def _upcoming(*, actor, now: datetime, days: int):
    return booking_list(actor=actor, filters={
        "status": list(ACTIVE_STATUSES), "start_after": (now - timedelta(hours=6)).isoformat(),
        "start_before": (now + timedelta(days=days)).isoformat(),
    }).filter(end__gt=now)


def upcoming_bookings(*, actor, now: datetime, days: int = UPCOMING_DAYS):
    return list(_upcoming(actor=actor, now=now, days=days)[:DASHBOARD_FLIGHTS])


def dashboard(*, actor, now: datetime) -> dict:
    """What a person needs at a glance: alerts first, then their flights and open decisions."""
    shown = upcoming_bookings(actor=actor, now=now)
    # Counted only when the list is full: then the page says how many more there are and where to see them.
    more = (_upcoming(actor=actor, now=now, days=UPCOMING_DAYS).count() - len(shown)
            if len(shown) == DASHBOARD_FLIGHTS else 0)
    rows = flight_rows(bookings=shown, actor=actor)
    requests = [r for r in request_list(actor=actor, filters={"status": [RequestStatus.PENDING]}) if r.expires_at > now]
    held = [row for row in rows if row.booking.status == BookingStatus.WEATHER_HOLD]
    return {
        "rows": rows,
        "more": more,
        "held": held,
        "pending_requests": requests,
        "unknown": [row for row in rows if row.weather_status == "unknown" and row.checked_at],
        "now": now,
    }


def day_bounds(day: date, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def dispatch_board(*, actor, now: datetime) -> list[dict]:
    """Every flight today and tomorrow (school days), each with its weather and status."""
    zone = school_zone()
    today = now.astimezone(zone).date()
    days = []
    for offset, title in ((0, "Today"), (1, "Tomorrow")):
        start, end = day_bounds(today + timedelta(days=offset), zone)
        bookings = booking_list(actor=actor, filters={"start_after": start.isoformat(),
                                                      "start_before": end.isoformat()})
        days.append({"title": title, "date": start.date(),
                     "rows": flight_rows(bookings=bookings, actor=actor, with_requests=False)})
    return days


def week_start_for(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_calendar(*, actor, week_start: date, instructor=None, aircraft=None) -> dict:
    """Seven days of the person's bookings and, for a chosen instructor or aircraft, when they are free."""
    zone = school_zone()
    start, _ = day_bounds(week_start, zone)
    _, end = day_bounds(week_start + timedelta(days=6), zone)
    bookings = list(booking_list(actor=actor, filters={
        "status": [*ACTIVE_STATUSES, BookingStatus.COMPLETED], "start_after": start.isoformat(),
        "start_before": end.isoformat(),
    }))

    if actor.is_instructor and instructor is None and aircraft is None:
        instructor = actor
    free = []
    if instructor is not None or aircraft is not None:
        intervals = free_intervals(
            start=start, end=end,
            instructor_ids=[instructor.id] if instructor is not None else [],
            aircraft_ids=[aircraft.id] if aircraft is not None else [],
        )
        key = ("instructor", instructor.id) if instructor is not None else ("aircraft", aircraft.id)
        free = intervals.get(key, [])

    days = []
    for offset in range(7):
        day = week_start + timedelta(days=offset)
        day_start, day_end = day_bounds(day, zone)
        days.append({
            "date": day,
            "is_today": False,
            "bookings": [b for b in bookings if day_start <= b.start < day_end],
            "free": [(max(s, day_start), min(e, day_end), s <= day_start and e >= day_end - ALL_DAY_SLACK)
                     for s, e in free if s < day_end and e > day_start],
        })
    return {"days": days, "zone": zone.key, "week_start": week_start,
            "previous": week_start - timedelta(days=7), "next": week_start + timedelta(days=7),
            "instructor": instructor, "aircraft": aircraft}


# --- the weather timeline --------------------------------------------------------------------------

def _parse_time(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def timeline_samples(check) -> list[charts.Sample]:
    """The per-location, per-hour values a check judged (`WeatherCheck.points`), as chart samples.

    A point that had a forecast but no ceiling had no BKN/OVC/VV layer: unlimited. A point with no
    forecast at all (status unknown) has nothing to plot.
    """
    samples = []
    for point in getattr(check, "points", None) or []:
        moment = _parse_time(point.get("hour"))
        if moment is None or point.get("status") == "unknown":
            continue
        samples.append(charts.Sample(
            time=moment, location=str(point.get("label") or point.get("location") or ""),
            values={key: point.get(key) for key in ("ceiling_ft", "visibility_sm", "wind_kt", "gust_kt")},
        ))
    return samples


def rules_applied(*, booking, check) -> list[str]:
    """The rules the latest check applied beyond the level's minimums, in words: the solo margin, the
    aircraft's crosswind limit and equipment, daylight."""
    minimums = getattr(check, "minimums", None) or {}
    if not minimums:
        return []
    level = minimums.get("training_level", "")
    lines = [f"{level}: ceiling {minimums['ceiling_ft']:g} ft, visibility {minimums['visibility_sm']:g} sm, "
             f"wind {minimums['wind_kt']:g} kt, gust {minimums['gust_kt']:g} kt, "
             f"crosswind {minimums['crosswind_kt']:g} kt"]
    if minimums.get("solo"):
        lines.append(f"Solo: +{minimums.get('solo_visibility_margin_sm', 0):g} sm, "
                     f"+{minimums.get('solo_ceiling_margin_ft', 0):g} ft, "
                     f"−{minimums.get('solo_wind_margin_kt', 0):g} kt wind, gust and crosswind (included above)")
    if minimums.get("aircraft"):
        limit = minimums.get("aircraft_crosswind_kt")
        crosswind = (f"maximum demonstrated crosswind {limit:g} kt"
                     + (" (the limit applied)" if minimums.get("crosswind_from_aircraft") else "")
                     if limit is not None else "no crosswind limit recorded")
        equipment = "IFR equipped" if minimums.get("ifr_equipped") else "VFR only"
        lines.append(f"{minimums['aircraft']}: {crosswind}; {equipment}")
    if "night_allowed" in minimums:
        if minimums["night_allowed"]:
            lines.append("Night: allowed at this level")
        elif minimums.get("night_endorsed"):
            lines.append("Night: allowed by the student's night endorsement")
        else:
            lines.append(f"Night: not allowed: down by evening civil twilight at {booking.departure_airport.icao}")
    return lines


def provider_names(check) -> list[str]:
    """Which providers answered for this check, in the order they were asked."""
    names = []
    for entry in getattr(check, "providers", None) or []:
        if isinstance(entry, dict):
            if entry.get("ok", entry.get("answered", True)):
                names.append(str(entry.get("provider") or entry.get("name") or ""))
        else:
            names.append(str(entry))
    return [n for n in names if n]


def weather_timeline(*, booking, check) -> dict | None:
    if check is None:
        return None
    minimums = getattr(check, "minimums", None) or {}
    arguments = {
        "samples": timeline_samples(check),
        "minimums": {key: minimums.get(key) for key in ("ceiling_ft", "visibility_sm", "wind_kt", "gust_kt")},
        "window_start": getattr(check, "window_start", None) or booking.start - PRE_FLIGHT,
        "window_end": getattr(check, "window_end", None) or booking.end,
        "place": booking.departure_airport,
    }
    timeline = charts.build_timeline(**arguments)
    timeline["narrow"] = charts.build_timeline(**arguments, width=charts.NARROW_WIDTH)
    return timeline


LATE_CANCELLATIONS_DAYS = 14


def recent_late_cancellations(*, actor, now: datetime, days: int = LATE_CANCELLATIONS_DAYS) -> list:
    """Students' own cancellations inside the school's cut-off, cancelled in the last `days`, newest first."""
    return list(booking_list(actor=actor, filters={"status": [BookingStatus.CANCELLED]})
                .filter(late_cancellation=True, cancelled_at__gte=now - timedelta(days=days))
                .order_by("-cancelled_at")[:50])


# --- the staff dashboard's cancellations chart -------------------------------------------------------

CHART_MONTHS = 6


def _month_starts(today: date, months: int) -> list[date]:
    first = today.replace(day=1)
    starts = []
    for _ in range(months):
        starts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(starts))


def cancellations_chart(*, now: datetime, months: int = CHART_MONTHS) -> dict:
    """Cancellations by month and reason over the last months (this one included), beside the weather holds
    that ended in an accepted reschedule: how much weather cost, and how much of it was saved."""
    from bookings.models import CancelReason
    from bookings.reports import cancellations_by_month
    from rescheduling.reports import weather_reschedules_by_month

    zone = school_zone()
    starts = _month_starts(now.astimezone(zone).date(), months)
    next_month = (starts[-1] + timedelta(days=32)).replace(day=1)
    window = {"start": datetime.combine(starts[0], time.min, tzinfo=zone),
              "end": datetime.combine(next_month, time.min, tzinfo=zone), "zone": zone}
    cancelled = cancellations_by_month(**window)
    rescheduled = weather_reschedules_by_month(**window)
    rows = []
    for month in starts:
        by_code = cancelled.get(month, {})
        segments = [{"code": code, "label": label, "count": by_code.get(code, 0)}
                    for code, label in CancelReason.choices]
        rows.append({"month": month, "segments": segments, "total": sum(by_code.values()),
                     "weather": by_code.get(CancelReason.WEATHER, 0), "rescheduled": rescheduled.get(month, 0)})
    scale = max([row["total"] for row in rows] + [1])
    for row in rows:
        for segment in row["segments"]:
            segment["width"] = round(segment["count"] / scale * 100, 2)
    return {"rows": rows, "reasons": CancelReason.choices, "zone": zone.key,
            "any": any(row["total"] or row["rescheduled"] for row in rows)}
