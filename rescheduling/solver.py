"""Finds reschedule candidates for a booking: same duration, within a week, where everyone and the weather agree.

Deterministic: the same data and the same `now` give the same candidates, ids and order. A fixed number of
queries whatever the size of the school: the people and aircraft involved, the student's history, one
`free_intervals` call and one `window_verdicts` call for every candidate window at once per kind of aircraft
(crosswind limit and IFR equipment). The verdicts apply every rule the monitor does: the minimums with the
solo margin, the aircraft's limits and daylight, so a slot reaching into night for a student who may not fly
then is never offered.
"""

import math
import zoneinfo
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from accounts.models import Role
from accounts.selectors import users_with_role
from availability.selectors import free_intervals
from bookings.models import AircraftStatus, Booking, BookingStatus, WeatherStatus
from bookings.selectors import aircraft_list
from weather import selectors as weather_selectors

SEARCH_DAYS = 7
EARLIEST_AFTER_NOW = timedelta(hours=2)
GRID = timedelta(minutes=30)
DEFAULT_LIMIT = 8
HISTORY_SIZE = 40

# Score weights: keeping the student's instructor matters most (continuity of training), then the aircraft
# they know, then a time close to the original and to the hours they usually fly.
SAME_INSTRUCTOR = 30.0
SAME_AIRCRAFT = 20.0
# When the booking's aircraft is grounded the student's time is what can still be kept: the same slot in
# another aircraft outranks everything else.
SAME_TIME_OTHER_AIRCRAFT = 200.0
CLOSENESS_MAX = 40.0
USUAL_HOURS_MAX = 15.0
WEATHER_POINTS = {WeatherStatus.OK: 10.0, WeatherStatus.MARGINAL: 4.0, WeatherStatus.UNKNOWN: 0.0}
UNKNOWN_INSIDE_HORIZON = -5.0
# Among slots that pass, a firmer forecast (an observation or a TAF over a two-day model run) is preferred:
# up to this many points, in proportion to the window's confidence score.
FIRM_FORECAST_MAX = 10.0

PASSING = (WeatherStatus.OK, WeatherStatus.MARGINAL)

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Candidate:
    candidate_id: str
    start: datetime
    end: datetime
    instructor_id: int | None
    aircraft_id: int
    same_instructor: bool
    same_aircraft: bool
    weather_status: str
    forecast_known: bool
    score: float
    weather_reasons: tuple[str, ...] = field(default=())
    hours_from_original: float = 0.0
    usual_hour: bool = False
    confidence: dict | None = None
    # As options show them (`instructor_label`, `aircraft_label`), from the rows the solver read anyway; None when
    # it did not read them.
    instructor_name: str | None = field(default=None, compare=False)
    aircraft_name: str | None = field(default=None, compare=False)


def instructor_label(user) -> str:
    return user.get_full_name() or user.email


def aircraft_label(aircraft) -> str:
    return f"{aircraft.tail_number} ({aircraft.model})"


def candidate_id_for(*, start: datetime, instructor_id: int | None, aircraft_id: int) -> str:
    """Stable across runs and readable in logs: `20260314T1030Z-i7-a3` (i0 for a solo flight)."""
    return f"{start.astimezone(zoneinfo.ZoneInfo('UTC')):%Y%m%dT%H%MZ}-i{instructor_id or 0}-a{aircraft_id}"


def grid_after(moment: datetime) -> datetime:
    """The first grid point at or after `moment` (grid of 30 minutes from the Unix epoch, i.e. :00 and :30 UTC)."""
    step = int(GRID.total_seconds())
    epoch = int(math.ceil(moment.timestamp() / step)) * step
    return datetime.fromtimestamp(epoch, tz=moment.tzinfo)


class FreeTime:
    """Containment checks over merged, sorted free intervals in O(log n)."""

    def __init__(self, intervals: Iterable[Interval]):
        merged: list[list[datetime]] = []
        for start, end in sorted(intervals):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [s for s, _ in merged]
        self._ends = [e for _, e in merged]

    def covers(self, start: datetime, end: datetime) -> bool:
        index = bisect_right(self._starts, start) - 1
        return index >= 0 and self._ends[index] >= end

    def intervals(self) -> list[Interval]:
        return list(zip(self._starts, self._ends, strict=True))


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    instructor_id: int | None
    aircraft_id: int
    # Every aircraft free for the slot, in order of preference: the weather may rule out the first one
    # (its crosswind limit, its equipment) and not the next.
    free_aircraft: tuple[int, ...] = field(default=(), compare=False)


def feasible_slots(*, grid: list[datetime], duration: timedelta, student: FreeTime,
                   instructors: list[tuple[int, FreeTime]] | None, aircraft: list[tuple[int, FreeTime]],
                   unavailable: frozenset[tuple[datetime, int | None]] = frozenset()) -> list[Slot]:
    """One slot per grid time: the first free instructor and aircraft in order of preference.

    `instructors` is None for a solo flight (no instructor needed). `unavailable` holds (start, instructor id)
    pairs an instructor has declined, so the slot goes to the next instructor instead.
    """
    # Nobody in a list can cover a window their union does not cover: one bisect rules out the hours when every
    # instructor or every aircraft is off (nights, mostly) before walking the list in order of preference.
    anyone_teaching = None if instructors is None else FreeTime(
        interval for _, free in instructors for interval in free.intervals())
    any_aircraft = FreeTime(interval for _, free in aircraft for interval in free.intervals())
    slots = []
    for start in grid:
        end = start + duration
        if not student.covers(start, end) or not any_aircraft.covers(start, end):
            continue
        instructor_id = None
        if instructors is not None:
            if not anyone_teaching.covers(start, end):
                continue
            instructor_id = next(
                (iid for iid, free in instructors if (start, iid) not in unavailable and free.covers(start, end)),
                None,
            )
            if instructor_id is None:
                continue
        elif (start, None) in unavailable:
            continue
        free_aircraft = tuple(aid for aid, free in aircraft if free.covers(start, end))
        if not free_aircraft:
            continue
        slots.append(Slot(start, end, instructor_id, free_aircraft[0], free_aircraft))
    return slots


def score_slot(*, slot: Slot, original_start: datetime, instructor_id: int | None, aircraft_id: int,
               usual_hours: list[float], tz: zoneinfo.ZoneInfo, weather_status: str,
               forecast_known: bool, confidence: float | None = None) -> tuple[float, float, bool]:
    """(score, hours from the original start, whether the slot is at one of the student's usual hours)."""
    score = 0.0
    if instructor_id is not None and slot.instructor_id == instructor_id:
        score += SAME_INSTRUCTOR
    if slot.aircraft_id == aircraft_id:
        score += SAME_AIRCRAFT
    hours_away = abs((slot.start - original_start).total_seconds()) / 3600
    score += CLOSENESS_MAX / (1 + hours_away / 24)
    local = slot.start.astimezone(tz)
    hour = local.hour + local.minute / 60
    near = [h for h in usual_hours if min(abs(h - hour), 24 - abs(h - hour)) <= 1.0]
    share = len(near) / len(usual_hours) if usual_hours else 0.0
    score += USUAL_HOURS_MAX * share
    score += WEATHER_POINTS.get(weather_status, 0.0)
    if weather_status == "unknown" and forecast_known:
        score += UNKNOWN_INSIDE_HORIZON
    if confidence is not None and weather_status in PASSING:
        score += FIRM_FORECAST_MAX * confidence
    return round(score, 4), round(hours_away, 2), share >= 0.25


def pick_spread(candidates: list[Candidate], limit: int) -> list[Candidate]:
    """The best candidates that do not overlap each other, so every option is a real alternative."""
    chosen: list[Candidate] = []
    for candidate in candidates:
        if len(chosen) >= limit:
            break
        if any(candidate.start < other.end and other.start < candidate.end for other in chosen):
            continue
        chosen.append(candidate)
    return chosen


def _usual_local_hours(*, student_id: int, now: datetime, fallback: datetime, tz: zoneinfo.ZoneInfo) -> list[float]:
    # A read of the student's own history; the bookings app offers no selector for this aggregate.
    history = (
        Booking.objects.filter(student_id=student_id, start__lt=now)
        .exclude(status=BookingStatus.CANCELLED)
        .order_by("-start")
        .values_list("start", "departure_airport__time_zone")[:HISTORY_SIZE]
    )
    hours = []
    for start, zone in history:
        local = start.astimezone(zoneinfo.ZoneInfo(zone) if zone else tz)
        hours.append(local.hour + local.minute / 60)
    if not hours:
        local = fallback.astimezone(tz)
        hours = [local.hour + local.minute / 60]
    return hours


def _instructor_order(booking) -> dict[int, str | None] | None:
    """The booking's instructor, then every other active instructor by id, with their names (None for the
    booking's own when it was not read with the booking)."""
    if booking.instructor_id is None:
        return None
    others = (users_with_role(Role.INSTRUCTOR).exclude(id=booking.instructor_id).order_by("id")
              .only("id", "first_name", "last_name", "email"))
    own = booking.instructor if Booking._meta.get_field("instructor").is_cached(booking) else None
    return {booking.instructor_id: instructor_label(own) if own is not None else None,
            **{user.pk: instructor_label(user) for user in others}}


def _aircraft_order(booking) -> list:
    """The booking's aircraft (unless it is in maintenance), then the others of its model: the rows, as the
    weather judges their limits."""

    same_model = (
        aircraft_list(filters={"model": booking.aircraft.model, "status": AircraftStatus.AVAILABLE})
        .exclude(id=booking.aircraft_id)
        .order_by("id")
    )
    own = [booking.aircraft] if booking.aircraft.status == AircraftStatus.AVAILABLE else []
    return [*own, *same_model]


def _judge_slots(*, booking, slots: list[Slot], fleet: dict, now: datetime) -> list[tuple[int | None, object]]:
    """For each slot, the first free aircraft (in order of preference) whose limits the forecast and the
    daylight rule pass, with that verdict; (None, None) when no free aircraft passes.

    Aircraft with the same crosswind limit and IFR equipment are judged alike, so the forecasts are judged
    once per such profile (one `window_verdicts` call each, usually one or two), not once per aircraft; the
    profiles share one memo, so a window whose verdict no profile's limits change is judged once for all.
    """
    wanted = sorted({aid for slot in slots for aid in slot.free_aircraft})

    def profile(aid: int):
        return (fleet[aid].max_crosswind_kt, fleet[aid].ifr_equipped)

    by_profile: dict[tuple, dict[int, object]] = {}
    representatives: dict[tuple, object] = {}
    profiles = sorted({profile(aid) for aid in wanted if aid in fleet}, key=str)
    memo: dict = {}
    if profiles:
        # Every profile judges the same route over hours among these: read the minimums and forecasts once.
        table = weather_selectors.minimums_by_level()
        forecasts = weather_selectors.route_forecasts(
            departure=booking.departure_airport, destination=booking.destination_airport,
            windows=[(slot.start, slot.end) for slot in slots if slot.free_aircraft], now=now)
    for key in profiles:
        indexes = [i for i, slot in enumerate(slots) if any(aid in fleet and profile(aid) == key
                                                            for aid in slot.free_aircraft)]
        representative = next(fleet[aid] for aid in wanted if aid in fleet and profile(aid) == key)
        verdicts = weather_selectors.window_verdicts(
            departure=booking.departure_airport, destination=booking.destination_airport,
            training_level=booking.student.training_level, windows=[(slots[i].start, slots[i].end) for i in indexes],
            now=now, lesson_type=booking.lesson_type, aircraft=representative,
            night_endorsed=booking.student.night_endorsement, minimums_table=table, forecasts=forecasts,
            memo=memo,
        )
        by_profile[key] = dict(zip(indexes, verdicts, strict=True))
        representatives[key] = representative
    chosen = []
    for index, slot in enumerate(slots):
        pick = (None, None)
        for aid in slot.free_aircraft:
            if aid not in fleet:
                continue
            verdict = by_profile[profile(aid)][index]
            if verdict.status in (*PASSING, "unknown"):
                judged_as = representatives[profile(aid)]
                if judged_as.pk != aid:
                    # Judged alike, but the reasons name the aircraft that will fly (its limit, its equipment).
                    verdict = replace(verdict, reasons=[r.replace(f"{judged_as.tail_number} ",
                                                                  f"{fleet[aid].tail_number} ")
                                                        for r in verdict.reasons])
                pick = (aid, verdict)
                break
        chosen.append(pick)
    return chosen


def find_candidates(*, booking, now: datetime, limit: int = DEFAULT_LIMIT,
                    unavailable: frozenset[tuple[datetime, int | None]] = frozenset(),
                    same_time_first: bool = False) -> list[Candidate]:
    """Ranked, non-overlapping candidates for `booking`, best first, at most `limit` of them.

    `same_time_first` (the booking's aircraft is grounded): the booking's own slot is searched too, even
    when it is sooner than the usual two hours ahead, and another aircraft then is ranked first.
    """
    duration = booking.end - booking.start
    first = grid_after(now + EARLIEST_AFTER_NOW)
    last_start = now + timedelta(days=SEARCH_DAYS)
    grid = []
    moment = first
    while moment <= last_start:
        grid.append(moment)
        moment += GRID
    keep_time = same_time_first and booking.start > now
    if keep_time and booking.start not in grid:
        grid = sorted([booking.start, *grid])
    if not grid:
        return []
    first = min(first, grid[0])
    search_end = grid[-1] + duration

    instructor_names = _instructor_order(booking)
    instructor_ids = None if instructor_names is None else list(instructor_names)
    fleet = {a.pk: a for a in _aircraft_order(booking)}
    aircraft_ids = list(fleet)
    free = free_intervals(
        start=first, end=search_end, instructor_ids=tuple(instructor_ids or ()), aircraft_ids=tuple(aircraft_ids),
        student_ids=(booking.student_id,), exclude_booking_ids=(booking.pk,),
    )
    # The booking being replaced frees its own slot (the replacement may overlap it), but offering the very
    # same slot back would change nothing; with its aircraft grounded the same slot in another aircraft does.
    if not keep_time:
        unavailable = unavailable | {(booking.start, booking.instructor_id)}
    slots = feasible_slots(
        grid=grid, duration=duration,
        student=FreeTime(free.get(("student", booking.student_id), [])),
        instructors=None if instructor_ids is None
        else [(iid, FreeTime(free.get(("instructor", iid), []))) for iid in instructor_ids],
        aircraft=[(aid, FreeTime(free.get(("aircraft", aid), []))) for aid in aircraft_ids],
        unavailable=unavailable,
    )
    if not slots:
        return []

    chosen = _judge_slots(booking=booking, slots=slots, fleet=fleet, now=now)
    tz = zoneinfo.ZoneInfo(booking.departure_airport.time_zone or "UTC")
    usual_hours = _usual_local_hours(student_id=booking.student_id, now=now, fallback=booking.start, tz=tz)
    candidates = []
    for slot, (aircraft_id, verdict) in zip(slots, chosen, strict=True):
        if verdict is None:
            continue
        slot = Slot(slot.start, slot.end, slot.instructor_id, aircraft_id, slot.free_aircraft)
        confidence = verdict.confidence
        score, hours_away, usual = score_slot(
            slot=slot, original_start=booking.start, instructor_id=booking.instructor_id,
            aircraft_id=booking.aircraft_id, usual_hours=usual_hours, tz=tz,
            weather_status=verdict.status, forecast_known=verdict.forecast_known,
            confidence=confidence["score"] if confidence else None,
        )
        if keep_time and slot.start == booking.start and slot.aircraft_id != booking.aircraft_id:
            score = round(score + SAME_TIME_OTHER_AIRCRAFT, 4)
        candidates.append(Candidate(
            candidate_id=candidate_id_for(start=slot.start, instructor_id=slot.instructor_id,
                                          aircraft_id=slot.aircraft_id),
            start=slot.start, end=slot.end, instructor_id=slot.instructor_id, aircraft_id=slot.aircraft_id,
            same_instructor=slot.instructor_id == booking.instructor_id,
            same_aircraft=slot.aircraft_id == booking.aircraft_id,
            weather_status=verdict.status, forecast_known=verdict.forecast_known,
            weather_reasons=tuple(verdict.reasons), score=score, hours_from_original=hours_away,
            usual_hour=usual, confidence=confidence,
            instructor_name=None if slot.instructor_id is None else instructor_names[slot.instructor_id],
            aircraft_name=aircraft_label(fleet[slot.aircraft_id]),
        ))
    candidates.sort(key=lambda c: (-c.score, c.start, c.instructor_id or 0, c.aircraft_id))
    return pick_spread(candidates, limit)
