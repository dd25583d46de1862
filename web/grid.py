"""The day grid: one row per aircraft and per instructor, the school's day in local time across.

Reads only, through the owning apps' selectors and scoped by who is looking: staff see every flight;
an instructor sees the lessons they teach in full and other flights only as "booked"; a student sees the
aircraft rows with their own flights and the free time they can book.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.urls import reverse

from accounts.models import Role
from accounts.selectors import users_with_role
from availability.selectors import exceptions_by_party, free_intervals, merge_intervals
from bookings.models import ACTIVE_STATUSES, AircraftStatus, BookingStatus
from bookings.selectors import active_bookings_for_parties, aircraft_list, booking_list
from config.localtime import format_local, format_local_range, school_zone

# The day shown unless a booking or free time reaches outside it (local school time).
DAY_OPENS, DAY_CLOSES = 6, 22
CELL = timedelta(minutes=30)
SHOWN_STATUSES = (*ACTIVE_STATUSES, BookingStatus.COMPLETED)
# Bookings overlapping the day may have started the evening before.
LONGEST_FLIGHT = timedelta(hours=24)

STATUS_WORDS = {
    "weather_hold": ("✕", "Hold"), "scheduled": ("", "Scheduled"), "confirmed": ("✓", "Confirmed"),
    "completed": ("✓", "Completed"),
}
WEATHER_WORDS = {"ok": "Weather OK", "marginal": "Weather marginal", "conflict": "Weather conflict",
                 "unknown": "Weather not checked yet"}


@dataclass
class Block:
    """Something drawn on a row: a flight, a flight the viewer may not open, or time the resource is away."""

    kind: str  # booking | busy | away
    left: float
    width: float
    label: str
    title: str
    url: str = ""
    css: str = ""
    sub: str = ""


@dataclass
class Cell:
    """A free half hour: clicking it opens the booking form filled in with the row and this start."""

    left: float
    width: float
    url: str
    label: str


@dataclass
class Row:
    kind: str  # aircraft | instructor
    id: int
    name: str
    detail: str
    own: bool = False
    maintenance: bool = False
    blocks: list[Block] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)


def _day_window(day: date) -> tuple[datetime, datetime]:
    zone = school_zone()
    return (datetime.combine(day, time.min, tzinfo=zone),
            datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone))


def _span(day: date, moments: list[datetime]) -> tuple[datetime, datetime]:
    """From DAY_OPENS to DAY_CLOSES local, widened to whole hours to take in every flight of the day."""
    zone = school_zone()
    day_start, day_end = _day_window(day)
    opens = datetime.combine(day, time(DAY_OPENS), tzinfo=zone)
    closes = datetime.combine(day, time(DAY_CLOSES), tzinfo=zone)
    for moment in moments:
        moment = min(max(moment, day_start), day_end)
        opens, closes = min(opens, moment), max(closes, moment)
    opens = opens.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    if closes.astimezone(zone).minute or closes.astimezone(zone).second:
        closes = closes.astimezone(zone).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return max(opens, day_start), min(closes, day_end)


class _Scale:
    def __init__(self, start: datetime, end: datetime):
        self.start, self.end = start, end
        self.length = (end - start).total_seconds()

    def place(self, start: datetime, end: datetime) -> tuple[float, float] | None:
        start, end = max(start, self.start), min(end, self.end)
        if end <= start:
            return None
        left = (start - self.start).total_seconds() / self.length * 100
        return round(left, 3), round((end - start).total_seconds() / self.length * 100, 3)


def _person(user) -> str:
    if user is None:
        return "solo"
    initial = f" {user.last_name[:1]}." if user.last_name else ""
    return f"{user.first_name or user.email}{initial}"


def _booking_block(booking, scale: _Scale, *, row_kind: str) -> Block | None:
    placed = scale.place(booking.start, booking.end)
    if placed is None:
        return None
    symbol, status_word = STATUS_WORDS.get(booking.status, ("", booking.get_status_display()))
    weather = booking.weather_status or "unknown"
    when = format_local_range(booking.start, booking.end, booking.departure_airport)
    other = booking.aircraft.tail_number if row_kind == "instructor" else _person(booking.instructor)
    # Two short lines: what it is (a hold first of all), then who and with what.
    label = f"{symbol} Hold" if booking.status == BookingStatus.WEATHER_HOLD else (
        f"{booking.start.astimezone(school_zone()):%H:%M} {symbol}".strip())
    people = f"{_person(booking.student)} · {other}"
    title = (f"{when}: {booking.student}, {booking.get_lesson_type_display()}, "
             f"{booking.instructor or 'solo'}, {booking.aircraft.tail_number}. {status_word}; "
             f"{WEATHER_WORDS.get(weather, weather)}.")
    return Block(kind="booking", left=placed[0], width=placed[1], label=label, sub=people, title=title,
                 url=reverse("web:booking_detail", args=[booking.pk]),
                 css=f"blk-{booking.status} blk-wx-{weather}")


def _cells(free: list, scale: _Scale, *, prefill: dict, name: str, now: datetime) -> list[Cell]:
    """Each whole free half hour still ahead, on the half hours of the school's clock."""
    zone = school_zone()
    cells = []
    for free_start, free_end in merge_intervals(free):
        free_start, free_end = max(free_start, scale.start, now), min(free_end, scale.end)
        moment = free_start.astimezone(zone)
        if moment.minute % 30 or moment.second or moment.microsecond:
            moment = moment.replace(minute=(moment.minute // 30) * 30, second=0, microsecond=0) + CELL
        while moment + CELL <= free_end:
            placed = scale.place(moment, moment + CELL)
            local = moment.astimezone(zone)
            query = {**prefill, "date": local.date().isoformat(), "start_time": local.strftime("%H:%M")}
            cells.append(Cell(left=placed[0], width=placed[1],
                              url=f"{reverse('web:booking_new')}?{urlencode(query)}",
                              label=f"Book {name} at {format_local(moment, zone)}"))
            moment += CELL
    return cells


def _away_blocks(cuts: list, scale: _Scale, *, words: str) -> list[Block]:
    blocks = []
    for cut_start, cut_end in merge_intervals(cuts):
        placed = scale.place(cut_start, cut_end)
        if placed:
            title = f"{words}: {format_local_range(cut_start, cut_end, school_zone())}"
            blocks.append(Block(kind="away", left=placed[0], width=placed[1], label=words, title=title,
                                css="blk-away"))
    return blocks


def day_grid(*, actor, day: date, now: datetime) -> dict:
    zone = school_zone()
    day_start, day_end = _day_window(day)
    aircraft = list(aircraft_list().order_by("tail_number"))
    instructors = [] if actor.is_student else list(users_with_role(Role.INSTRUCTOR).order_by("first_name",
                                                                                                "last_name", "id"))
    if actor.is_instructor:
        # Their own row first: it is the one they came to look at.
        instructors.sort(key=lambda person: person.pk != actor.pk)
    aircraft_ids, instructor_ids = [plane.pk for plane in aircraft], [person.pk for person in instructors]

    visible = [b for b in booking_list(actor=actor, filters={
        "status": list(SHOWN_STATUSES), "start_after": (day_start - LONGEST_FLIGHT).isoformat(),
        "start_before": day_end.isoformat()}) if b.end > day_start]
    visible_ids = {b.pk for b in visible}
    hidden = []
    if actor.is_instructor:
        hidden = [(b["aircraft_id"], b["instructor_id"], b["start"], b["end"]) for b in active_bookings_for_parties(
            start=day_start, end=day_end, instructor_ids=instructor_ids, aircraft_ids=aircraft_ids,
        ).exclude(pk__in=visible_ids).values("aircraft_id", "instructor_id", "start", "end")]
    free = free_intervals(start=day_start, end=day_end, instructor_ids=instructor_ids, aircraft_ids=aircraft_ids)
    away = exceptions_by_party(start=day_start, end=day_end, instructor_ids=instructor_ids,
                               aircraft_ids=aircraft_ids)

    # Flights widen the day; free time does not (an instructor free around the clock would make it 24 hours).
    moments = [m for b in visible for m in (b.start, b.end)]
    span_start, span_end = _span(day, moments)
    scale = _Scale(span_start, span_end)

    rows = []
    for plane in aircraft:
        maintenance = plane.status == AircraftStatus.MAINTENANCE
        row = Row(kind="aircraft", id=plane.pk, name=plane.tail_number,
                  detail=f"{plane.model} · {plane.home_airport.icao}", maintenance=maintenance)
        row.blocks = [block for b in visible if b.aircraft_id == plane.pk
                      if (block := _booking_block(b, scale, row_kind="aircraft"))]
        row.blocks += _busy([h for h in hidden if h[0] == plane.pk], scale)
        if not actor.is_student or not maintenance:
            row.blocks += _away_blocks(away.get(("aircraft", plane.pk), []), scale, words="Unavailable")
        if not maintenance:
            icao = plane.home_airport.icao
            row.cells = _cells(free.get(("aircraft", plane.pk), []), scale, now=now, name=plane.tail_number,
                               prefill={"aircraft": plane.pk, "departure_airport": icao, "destination_airport": icao})
        rows.append(row)
    instructor_rows = []
    for person in instructors:
        row = Row(kind="instructor", id=person.pk, name=person.get_full_name() or person.email,
                  detail="Instructor", own=person.pk == actor.pk)
        row.blocks = [block for b in visible if b.instructor_id == person.pk
                      if (block := _booking_block(b, scale, row_kind="instructor"))]
        row.blocks += _busy([h for h in hidden if h[1] == person.pk], scale)
        row.blocks += _away_blocks(away.get(("instructor", person.pk), []), scale, words="Away")
        row.cells = _cells(free.get(("instructor", person.pk), []), scale, now=now, name=row.name,
                           prefill={"instructor": person.pk})
        instructor_rows.append(row)
    if actor.is_instructor:
        # Their own row above the fleet, the other instructors below it.
        rows = instructor_rows[:1] + rows + instructor_rows[1:]
    else:
        rows += instructor_rows

    hours = []
    moment = span_start
    while moment < span_end:
        placed = scale.place(moment, moment + timedelta(hours=1))
        hours.append({"left": placed[0], "width": placed[1], "label": moment.astimezone(zone).strftime("%H:%M")})
        moment += timedelta(hours=1)
    now_at = scale.place(now, now + timedelta(seconds=1)) if span_start <= now < span_end else None
    return {
        "day": day, "zone": zone.key, "zone_name": span_start.astimezone(zone).tzname(),
        "rows": rows, "hours": hours, "now_left": now_at[0] if now_at else None,
        "previous": day - timedelta(days=1), "next": day + timedelta(days=1),
        "today": now.astimezone(zone).date(), "is_today": day == now.astimezone(zone).date(),
        "held": sum(1 for b in visible if b.status == BookingStatus.WEATHER_HOLD),
        "flights": len(visible),
    }


def _busy(spans: list, scale: _Scale) -> list[Block]:
    blocks = []
    for _, _, start, end in spans:
        placed = scale.place(start, end)
        if placed:
            blocks.append(Block(kind="busy", left=placed[0], width=placed[1], label="Booked",
                                title=f"Booked: {format_local_range(start, end, school_zone())}", css="blk-busy"))
    return blocks
