"""Reads for availability: who can fly when.

Weekly patterns are wall-clock times in SCHOOL_TIME_ZONE; they are expanded day by day into UTC intervals
so a 08:00 pattern stays 08:00 local on both sides of a daylight-saving change. Exceptions and active
bookings are then cut out. Every function here runs a fixed number of queries whatever the number of
parties or days asked about.
"""

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BigIntegerField, F, Func, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from availability.models import AvailabilityException, AvailabilityPattern
from bookings.selectors import active_bookings_for_parties, aircraft_in_maintenance
from config.exceptions import ApplicationError, NotFoundError

Interval = tuple[datetime, datetime]
PartyKey = tuple[str, int]

# A pattern ending at 23:59:59 or later runs until midnight: a TimeField cannot hold 24:00.
END_OF_DAY = time(23, 59, 59)


def school_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.SCHOOL_TIME_ZONE)


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract_intervals(base: list[Interval], cuts: Iterable[Interval]) -> list[Interval]:
    """`base` (merged, sorted) minus every interval in `cuts`, in one sweep over both."""
    cuts = merge_intervals(cuts)
    result: list[Interval] = []
    index = 0
    for start, end in base:
        # Cuts ending before this interval cannot touch it or any later one.
        while index < len(cuts) and cuts[index][1] <= start:
            index += 1
        position = index
        while start < end and position < len(cuts) and cuts[position][0] < end:
            cut_start, cut_end = cuts[position]
            if start < cut_start:
                result.append((start, cut_start))
            start = max(start, cut_end)
            position += 1
        if start < end:
            result.append((start, end))
    return result


def intersect_intervals(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def clip_intervals(intervals: list[Interval], start: datetime, end: datetime) -> list[Interval]:
    return [(max(s, start), min(e, end)) for s, e in intervals if s < end and e > start]


def covers(intervals: list[Interval], start: datetime, end: datetime) -> bool:
    return any(s <= start and e >= end for s, e in intervals)


def pattern_occurrences(pattern: AvailabilityPattern, start: datetime, end: datetime,
                        zone: zoneinfo.ZoneInfo | None = None) -> list[Interval]:
    """The UTC intervals a weekly pattern covers between `start` and `end`."""
    zone = zone or school_zone()
    days = _pattern_days(pattern.weekday, pattern.valid_from, pattern.valid_until, _expansion_days(start, end, zone))
    out = [span for day in days for span in _occurrence_times(day, pattern.start_time, pattern.end_time, zone)]
    return clip_intervals(merge_intervals(out), start, end)


def _expansion_days(start: datetime, end: datetime, zone: zoneinfo.ZoneInfo) -> list[date]:
    """The local dates whose occurrences can touch [start, end)."""
    # One day of margin before the range catches a window that straddles its start.
    day = max(start.astimezone(zone).date(), date.min + timedelta(days=1)) - timedelta(days=1)
    last = end.astimezone(zone).date()
    days = [day]
    while day < last:
        day += timedelta(days=1)
        days.append(day)
    return days


def _pattern_days(weekday: int, valid_from: date, valid_until: date | None, days: list[date]) -> list[date]:
    return [day for day in days if day.weekday() == weekday and valid_from <= day
            and (valid_until is None or day <= valid_until)]


def _occurrence_times(day: date, start_time: time, end_time: time, zone: zoneinfo.ZoneInfo) -> list[Interval]:
    """The UTC spans of one occurrence: every instant whose wall-clock reading that day is within the pattern.

    On an ordinary day that is one span. On the day clocks jump forward, readings inside the gap never happen:
    02:30-04:00 on a 02:00->03:00 day covers 03:00-04:00 local, and a pattern wholly inside the gap (02:15-02:45)
    covers nothing that day. On the day clocks fall back, a repeated reading is covered both times it happens:
    01:00-01:30 on a 02:00->01:00 day is two half hours, 00:00-03:00 is four hours.
    """
    local_start = datetime.combine(day, start_time)
    if end_time >= END_OF_DAY and day == date.max:
        local_end = datetime.combine(day, time.max)
    elif end_time >= END_OF_DAY:
        local_end = datetime.combine(day + timedelta(days=1), time(0))
    else:
        local_end = datetime.combine(day, end_time)
    # Wall-clock readings as if they were UTC; a reading r at offset o is the instant r - o.
    wall_start, wall_end = local_start.replace(tzinfo=UTC), local_end.replace(tzinfo=UTC)
    low = max(_shifted(wall_start, -_OFFSET_REACH), _EARLIEST)
    high = min(_shifted(wall_end, _OFFSET_REACH), _LATEST)
    before, after = low.astimezone(zone).utcoffset(), high.astimezone(zone).utcoffset()
    if before == after:
        return [(_shifted(wall_start, -before), _shifted(wall_end, -before))]
    jump = _transition(low, high, zone)
    spans = [(max(_shifted(wall_start, -before), low), min(_shifted(wall_end, -before), jump)),
             (max(_shifted(wall_start, -after), jump), min(_shifted(wall_end, -after), high))]
    return [(start, end) for start, end in spans if start < end]


# Further than any UTC offset (the widest are +14:00 and -12:00), so [low, high] holds every instant of the day.
_OFFSET_REACH = timedelta(hours=15)
# The range in which any instant can still be shown in any zone.
_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


def _shifted(moment: datetime, by: timedelta) -> datetime:
    """`moment + by`, held at the ends of the calendar (patterns may run to date.max)."""
    try:
        return moment + by
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC) if by < timedelta(0) else datetime.max.replace(tzinfo=UTC)


def _transition(low: datetime, high: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """The first instant in (low, high] at the zone's later offset, found to the second. Zones change offset
    at most once in the 54 hours searched, so there is exactly one such change."""
    offset = low.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def _party_filter(instructor_ids, aircraft_ids) -> Q | None:
    condition = Q()
    if instructor_ids:
        condition |= Q(instructor_id__in=instructor_ids)
    if aircraft_ids:
        condition |= Q(aircraft_id__in=aircraft_ids)
    return condition or None


def scheduled_intervals(*, start: datetime, end: datetime, instructor_ids=(), aircraft_ids=(),
                        include_exceptions: bool = True,
                        without_grounded: bool = False) -> dict[PartyKey, list[Interval]]:
    """Weekly patterns of instructors and aircraft in [start, end), minus their exceptions; bookings ignored.
    `without_grounded`: an aircraft in maintenance has no scheduled time (its patterns are left out in the same
    query).

    Two queries whatever the counts.
    """
    instructor_ids, aircraft_ids = list(instructor_ids), list(aircraft_ids)
    result: dict[PartyKey, list[Interval]] = {("instructor", i): [] for i in instructor_ids}
    result.update({("aircraft", a): [] for a in aircraft_ids})
    condition = _party_filter(instructor_ids, aircraft_ids)
    if condition is None:
        return result
    zone = school_zone()
    days = _expansion_days(start, end, zone)
    patterns = AvailabilityPattern.objects.filter(condition).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=days[0]), valid_from__lte=days[-1],
    )
    if without_grounded and aircraft_ids:
        patterns = patterns.exclude(aircraft_id__in=aircraft_in_maintenance(aircraft_ids))
    patterns = patterns.order_by().values_list("instructor_id", "aircraft_id", "weekday", "start_time",
                                               "end_time", "valid_from", "valid_until")
    # Plain rows and one UTC conversion per (day, wall-clock times): a big school has hundreds of patterns
    # sharing a handful of opening hours, and building model instances cost more than the query itself.
    days_by_weekday: dict[int, list[date]] = defaultdict(list)
    for day in days:
        days_by_weekday[day.weekday()].append(day)
    occurrences: dict[tuple[date, time, time], list[Interval]] = {}
    raw: dict[PartyKey, list[Interval]] = defaultdict(list)
    for instructor_id, aircraft_id, weekday, start_time, end_time, valid_from, valid_until in patterns:
        key = ("instructor", instructor_id) if instructor_id else ("aircraft", aircraft_id)
        for day in _pattern_days(weekday, valid_from, valid_until, days_by_weekday.get(weekday, [])):
            occurrence = occurrences.get((day, start_time, end_time))
            if occurrence is None:
                occurrence = occurrences[(day, start_time, end_time)] = _occurrence_times(
                    day, start_time, end_time, zone)
            raw[key].extend(occurrence)
    for key, intervals in raw.items():
        result[key] = merge_intervals(clip_intervals(intervals, start, end))
    if include_exceptions:
        for key, cuts in exceptions_by_party(start=start, end=end, instructor_ids=instructor_ids,
                                             aircraft_ids=aircraft_ids).items():
            result[key] = subtract_intervals(result[key], cuts)
    return result


def exceptions_by_party(*, start: datetime, end: datetime, instructor_ids=(), aircraft_ids=()
                        ) -> dict[PartyKey, list[Interval]]:
    condition = _party_filter(list(instructor_ids), list(aircraft_ids))
    out: dict[PartyKey, list[Interval]] = defaultdict(list)
    if condition is None:
        return out
    for instructor_id, aircraft_id, cut_start, cut_end in AvailabilityException.objects.filter(
            condition, start__lt=end, end__gt=start).values_list("instructor_id", "aircraft_id", "start", "end"):
        out[("instructor", instructor_id) if instructor_id else ("aircraft", aircraft_id)].append((cut_start, cut_end))
    return out


def overlapping_exceptions(*, start: datetime, end: datetime, instructor=None, aircraft=None):
    condition = _party_filter([instructor.pk] if instructor else [], [aircraft.pk] if aircraft else [])
    if condition is None:
        return AvailabilityException.objects.none()
    return AvailabilityException.objects.filter(condition, start__lt=end, end__gt=start)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _epoch_microseconds(field: str) -> Func:
    """A timestamp as whole microseconds since 1970 UTC, read as a plain integer. Thousands of booking times are
    read per solver run, and the database adapter's text parser for timestamps (pure Python in Django's
    time-zone-aware loader) cost more than the rest of the availability arithmetic."""
    return Func(F(field), template="(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint",
                output_field=BigIntegerField())


def _from_epoch_microseconds(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _booked_spans(bookings) -> list[tuple[int | None, int | None, int | None, datetime, datetime]]:
    """(instructor id, aircraft id, student id, start, end) of each booking, in no particular order.

    On PostgreSQL the times come as whole microseconds since 1970 (see `_epoch_microseconds`), the rows straight
    from the cursor (Django's per-row converters cost about as much as the query), and each distinct time becomes
    a datetime once: a school's bookings start and end on a handful of half hours, so a week's 1,700 times are
    fewer than a hundred distinct ones. Elsewhere the ORM reads them as datetimes."""
    if connections[bookings.db].vendor != "postgresql":
        return list(bookings.order_by().values_list("instructor_id", "aircraft_id", "student_id", "start", "end"))
    query = bookings.order_by().annotate(start_us=_epoch_microseconds("start"), end_us=_epoch_microseconds("end"))
    try:
        sql, params = query.values_list("instructor_id", "aircraft_id", "student_id", "start_us",
                                        "end_us").query.sql_with_params()
    except EmptyResultSet:  # nobody asked about: `active_bookings_for_parties` gave none()
        return []
    with connections[bookings.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    moments: dict[int, datetime] = {}
    for _, _, _, start_us, end_us in rows:
        for value in (start_us, end_us):
            if value not in moments:
                moments[value] = _from_epoch_microseconds(value)
    return [(instructor_id, aircraft_id, student_id, moments[start_us], moments[end_us])
            for instructor_id, aircraft_id, student_id, start_us, end_us in rows]


def free_intervals(*, start: datetime, end: datetime, instructor_ids=(), aircraft_ids=(), student_ids=(),
                   exclude_booking_ids=()) -> dict[PartyKey, list[Interval]]:
    """When each party is free in [start, end): three queries whatever the counts.

    Instructors and aircraft: weekly patterns minus exceptions minus active bookings; an aircraft in
    maintenance has no free time. Students: the whole range minus their active bookings.
    """
    instructor_ids, aircraft_ids, student_ids = list(instructor_ids), list(aircraft_ids), list(student_ids)
    result = scheduled_intervals(start=start, end=end, instructor_ids=instructor_ids, aircraft_ids=aircraft_ids,
                                 without_grounded=True)
    for student_id in student_ids:
        result[("student", student_id)] = [(start, end)]
    busy: dict[PartyKey, list[Interval]] = defaultdict(list)
    bookings = active_bookings_for_parties(start=start, end=end, instructor_ids=instructor_ids,
                                           aircraft_ids=aircraft_ids, student_ids=student_ids,
                                           exclude_booking_ids=exclude_booking_ids)
    wanted = set(result)
    # Plain rows: the solver asks about every instructor and aircraft of the school at once.
    for instructor_id, aircraft_id, student_id, start_at, end_at in _booked_spans(bookings):
        span = (start_at, end_at)
        for key in (("instructor", instructor_id), ("aircraft", aircraft_id), ("student", student_id)):
            if key in wanted:
                busy[key].append(span)
    for key, cuts in busy.items():
        result[key] = subtract_intervals(result[key], cuts)
    return result


def _ids(instructor=None, aircraft=None, student=None) -> dict:
    return {
        "instructor_ids": [instructor.pk] if instructor else [],
        "aircraft_ids": [aircraft.pk] if aircraft else [],
        "student_ids": [student.pk] if student else [],
    }


def _common_free(free: dict[PartyKey, list[Interval]], start: datetime, end: datetime) -> list[Interval]:
    common = [(start, end)]
    for intervals in free.values():
        common = intersect_intervals(common, intervals)
    return common


def _ceil_to_step(moment: datetime, step: timedelta) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    steps, remainder = divmod(moment - epoch, step)
    return epoch + (steps + (1 if remainder else 0)) * step


def free_slots(*, start: datetime, end: datetime, duration: timedelta, instructor=None, aircraft=None,
               student=None, step: timedelta = timedelta(minutes=30),
               exclude_booking_ids=()) -> list[Interval]:
    """Every slot of `duration`, starting on a `step` boundary, when all the named parties are free."""
    free = free_intervals(start=start, end=end, exclude_booking_ids=exclude_booking_ids,
                          **_ids(instructor, aircraft, student))
    slots = []
    for window_start, window_end in _common_free(free, start, end):
        slot_start = _ceil_to_step(window_start, step)
        while slot_start + duration <= window_end:
            slots.append((slot_start, slot_start + duration))
            slot_start += step
    return slots


def is_free(*, start: datetime, end: datetime, instructor=None, aircraft=None, student=None,
            exclude_booking_ids=()) -> bool:
    free = free_intervals(start=start, end=end, exclude_booking_ids=exclude_booking_ids,
                          **_ids(instructor, aircraft, student))
    return all(covers(intervals, start, end) for intervals in free.values())


def pattern_list(*, actor, filters: dict | None = None):
    """Admins see every pattern; an instructor only their own; anyone else nothing."""
    patterns = AvailabilityPattern.objects.select_related("instructor", "aircraft").order_by(
        "weekday", "start_time", "id")
    return _scope_and_filter(patterns, actor=actor, filters=filters)


def exception_list(*, actor, filters: dict | None = None):
    exceptions = AvailabilityException.objects.select_related("instructor", "aircraft").order_by("start", "id")
    exceptions = _scope_and_filter(exceptions, actor=actor, filters=filters)
    for key, lookup in (("start_after", "end__gt"), ("start_before", "start__lt")):
        if filters and filters.get(key):
            exceptions = exceptions.filter(**{lookup: _aware_filter_value(filters[key], key)})
    return exceptions


def _aware_filter_value(value, field: str) -> datetime:
    parsed = None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and "\x00" not in value:
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    if parsed is None or timezone.is_naive(parsed):
        raise ApplicationError("Filters take ISO 8601 times with an offset.", code="invalid",
                               fields={field: ["Give an ISO 8601 time with its UTC offset, e.g. 2026-05-01T14:00Z."]})
    return parsed


def _scope_and_filter(queryset, *, actor, filters):
    if not actor.is_admin:
        queryset = queryset.filter(instructor=actor) if actor.is_instructor else queryset.none()
    filters = filters or {}
    if filters.get("instructor"):
        queryset = queryset.filter(instructor_id=filters["instructor"])
    if filters.get("aircraft"):
        queryset = queryset.filter(aircraft_id=filters["aircraft"])
    return queryset


def pattern_get(*, actor, pattern_id) -> AvailabilityPattern:
    found = pattern_list(actor=actor).filter(pk=pattern_id).first()
    if found is None:
        raise NotFoundError("No such availability pattern.")
    return found


def exception_get(*, actor, exception_id) -> AvailabilityException:
    found = exception_list(actor=actor).filter(pk=exception_id).first()
    if found is None:
        raise NotFoundError("No such availability exception.")
    return found
