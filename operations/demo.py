"""The demo school's fleet, availability and bookings. Every step is idempotent: a second run adds nothing.

Availability is daylight at the airport (07:00-19:00 airport local time) written as weekly patterns in
SCHOOL_TIME_ZONE, whatever that zone is: a window that crosses midnight in the school's zone is split, and
where the two zones change clocks on different dates the patterns are cut into validity periods.
"""

import zoneinfo
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from availability.models import AvailabilityPattern
from availability.selectors import END_OF_DAY
from bookings import services
from bookings.models import Aircraft, Airport, Booking, BookingStatus, LessonType

HOME = "KPAO"
HOME_RUNWAYS = [130, 310]
CROSS_COUNTRY_DESTINATIONS = ["KSNS", "KMRY"]
FLEET = [("N739SP", "Cessna 172S"), ("N5247R", "Cessna 172S"), ("N8142W", "Piper PA-28-181")]
# Maximum demonstrated crosswind (POH) and IFR equipment: N8142W's 17 kt is below an instrument-rated pilot's
# 20 kt, so it is the limit judged for her; N5247R is VFR only.
FLEET_LIMITS = {"N739SP": (15, True), "N5247R": (15, False), "N8142W": (17, True)}
DAYLIGHT = (time(7), time(19))
PATTERN_HORIZON_DAYS = 400
# Airport-local start times for the four demo students, chosen so no two lessons share a person or aircraft,
# and so that the student pilots' lessons (cross-country ones last 3 hours) end before civil twilight all year.
DEMO_START_TIMES = [time(8), time(10, 30), time(13), time(14)]
# The fourth student (a student pilot) has one lesson, on the second day, ending ten minutes after civil
# twilight: booked by operations staff with the override, it is what the monitor flags as night.
LATE_LESSON = (3, 1)  # (student index, day offset)
LATE_BY = timedelta(minutes=10)
DEMO_LESSON_CYCLE = [LessonType.DUAL, LessonType.CROSS_COUNTRY, LessonType.DUAL, LessonType.SOLO, LessonType.DUAL,
                     LessonType.CROSS_COUNTRY, LessonType.CHECKRIDE]
LARGE_LESSON = timedelta(minutes=90)


def seed_fleet() -> tuple[Airport, list[Aircraft]]:
    home = services.airport_get_or_create(HOME)
    if not home.runway_headings:
        services.airport_update(airport=home, actor=None, runway_headings=HOME_RUNWAYS)
    for code in CROSS_COUNTRY_DESTINATIONS:
        services.airport_get_or_create(code)
    fleet = []
    for tail, model in FLEET:
        aircraft = Aircraft.objects.filter(tail_number=tail).first()
        if aircraft is None:
            aircraft = services.aircraft_create(actor=None, tail_number=tail, model=model, home_airport=home)
        if aircraft.max_crosswind_kt is None and tail in FLEET_LIMITS:
            crosswind, ifr = FLEET_LIMITS[tail]
            aircraft = services.aircraft_update(aircraft=aircraft, actor=None, max_crosswind_kt=crosswind,
                                                ifr_equipped=ifr)
        fleet.append(aircraft)
    return home, fleet


def daylight_pattern_rows(*, airport_zone: str, first_day: date, days: int = PATTERN_HORIZON_DAYS
                          ) -> list[tuple[int, time, time, date, date | None]]:
    """(weekday, start_time, end_time, valid_from, valid_until) rows in SCHOOL_TIME_ZONE covering daylight."""
    airport_tz, school_tz = zoneinfo.ZoneInfo(airport_zone), zoneinfo.ZoneInfo(settings.SCHOOL_TIME_ZONE)
    occurrences: dict[tuple[int, time, time], list[date]] = defaultdict(list)
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        start = datetime.combine(day, DAYLIGHT[0], tzinfo=airport_tz).astimezone(school_tz)
        end = datetime.combine(day, DAYLIGHT[1], tzinfo=airport_tz).astimezone(school_tz)
        while start < end:
            midnight = datetime.combine(start.date() + timedelta(days=1), time(0), tzinfo=school_tz)
            piece_end = min(end, midnight)
            end_time = END_OF_DAY if piece_end == midnight else piece_end.time()
            occurrences[(start.weekday(), start.time(), end_time)].append(start.date())
            start = piece_end
    last_day = first_day + timedelta(days=days - 1)
    rows = []
    for (weekday, start_time, end_time), dates in occurrences.items():
        run_start = previous = dates[0]
        for current in [*dates[1:], None]:
            if current is not None and current - previous == timedelta(days=7):
                previous = current
                continue
            # The run still going at the horizon stays open so the demo never runs out of availability.
            until = None if previous + timedelta(days=7) > last_day else previous
            rows.append((weekday, start_time, end_time, run_start, until))
            if current is not None:
                run_start = previous = current
    return sorted(rows, key=lambda r: (r[3], r[0], r[1]))


def seed_daylight_availability(*, instructors, aircraft, airport: Airport, first_day: date) -> int:
    """Daylight patterns for every instructor and aircraft that has none yet; returns how many were added."""
    rows = daylight_pattern_rows(airport_zone=airport.time_zone, first_day=first_day)
    has_instructor = set(AvailabilityPattern.objects.filter(instructor__in=instructors)
                         .values_list("instructor_id", flat=True))
    has_aircraft = set(AvailabilityPattern.objects.filter(aircraft__in=aircraft).values_list("aircraft_id", flat=True))
    owners = [{"instructor": i} for i in instructors if i.pk not in has_instructor]
    owners += [{"aircraft": a} for a in aircraft if a.pk not in has_aircraft]
    patterns = [AvailabilityPattern(weekday=weekday, start_time=start, end_time=end, valid_from=valid_from,
                                    valid_until=valid_until, **owner)
                for owner in owners for weekday, start, end, valid_from, valid_until in rows]
    AvailabilityPattern.objects.bulk_create(patterns, batch_size=1000)
    return len(patterns)


def _airport_local(day: date, at: time, airport: Airport) -> datetime:
    return datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(airport.time_zone))


def seed_demo_bookings(*, students, instructors, aircraft, home: Airport, actor, days: int = 7, now=None) -> int:
    """A week of lessons from tomorrow for every demo student who has none, through the booking rules."""
    now = now or timezone.now()
    tomorrow = now.astimezone(zoneinfo.ZoneInfo(home.time_zone)).date() + timedelta(days=1)
    booked = set(Booking.objects.filter(student__in=students).values_list("student_id", flat=True))
    created = 0
    for index, student in enumerate(students):
        if student.pk in booked:
            continue
        for offset in range(days):
            lesson_type = DEMO_LESSON_CYCLE[(offset + index) % len(DEMO_LESSON_CYCLE)]
            start = _airport_local(tomorrow + timedelta(days=offset), DEMO_START_TIMES[index % 4], home)
            length = timedelta(hours=3 if lesson_type == LessonType.CROSS_COUNTRY else 2)
            destination = (services.airport_get_or_create(CROSS_COUNTRY_DESTINATIONS[offset % 2])
                           if lesson_type == LessonType.CROSS_COUNTRY else home)
            late = (index % 4, offset) == LATE_LESSON and lesson_type == LessonType.DUAL and actor is not None
            if late:
                start = _late_start(day=tomorrow + timedelta(days=offset), length=length, airport=home)
            services.booking_create(
                actor=actor, student=student, aircraft=aircraft[index % len(aircraft)], departure_airport=home,
                destination_airport=destination, start=start, end=start + length, lesson_type=lesson_type,
                instructor=None if lesson_type == LessonType.SOLO else instructors[index % len(instructors)],
                notes="Demo lesson: ends after civil twilight" if late else "Demo lesson",
                override_availability=late, now=now)
            created += 1
    return created


def _late_start(*, day: date, length: timedelta, airport: Airport) -> datetime:
    """A start that makes the lesson end LATE_BY after the day's evening civil twilight, on a 5-minute mark."""
    from astral import Observer
    from astral.sun import dusk

    twilight = dusk(Observer(latitude=airport.latitude, longitude=airport.longitude), day,
                    tzinfo=zoneinfo.ZoneInfo(airport.time_zone))
    end = twilight + LATE_BY
    end += timedelta(minutes=(5 - end.minute % 5) % 5, seconds=-end.second, microseconds=-end.microsecond)
    return end - length


def seed_large_fleet(*, count: int, home: Airport) -> list[Aircraft]:
    models = ["Cessna 172S", "Cessna 172S", "Piper PA-28-181", "Cessna 152"]
    wanted = [Aircraft(tail_number=f"N{4000 + i}L", model=models[i % len(models)], home_airport=home)
              for i in range(count)]
    Aircraft.objects.bulk_create(wanted, ignore_conflicts=True, batch_size=500)
    by_tail = {a.tail_number: a for a in Aircraft.objects.filter(tail_number__in=[a.tail_number for a in wanted])}
    return [by_tail[a.tail_number] for a in wanted]


def seed_large_bookings(*, students, instructors, aircraft, home: Airport, days: int, now=None) -> int:
    """About nine in ten daylight slots of every aircraft for `days` days, written in bulk.

    Each 90-minute slot gives every aircraft a different student, and a different instructor while there
    are instructors left (solo otherwise), so the plan never overlaps; pairs already stored are skipped,
    which makes a second run add nothing.
    """
    now = now or timezone.now()
    if not students or not aircraft:
        return 0
    tomorrow = now.astimezone(zoneinfo.ZoneInfo(home.time_zone)).date() + timedelta(days=1)
    slots_per_day = int((datetime.combine(tomorrow, DAYLIGHT[1]) - datetime.combine(tomorrow, DAYLIGHT[0]))
                        / LARGE_LESSON)
    destinations = {code: services.airport_get_or_create(code) for code in CROSS_COUNTRY_DESTINATIONS}
    first = _airport_local(tomorrow, DAYLIGHT[0], home)
    existing = set(Booking.objects.filter(aircraft__in=aircraft, start__gte=first,
                                          start__lt=first + timedelta(days=days + 1))
                   .values_list("aircraft_id", "start"))
    concurrent = min(len(aircraft), len(students))
    planned = []
    for offset in range(days):
        day = tomorrow + timedelta(days=offset)
        for slot in range(slots_per_day):
            start = _airport_local(day, DAYLIGHT[0], home) + slot * LARGE_LESSON
            turn = offset * slots_per_day + slot
            for index in range(concurrent):
                plane = aircraft[index]
                if (turn + index) % 10 == 9 or (plane.pk, start) in existing:
                    continue
                student = students[(turn * concurrent + index) % len(students)]
                solo = index >= len(instructors) or (turn + index) % 5 == 4
                cross_country = not solo and (turn + index) % 7 == 3
                planned.append(Booking(
                    student=student, instructor=None if solo else instructors[(index + turn) % len(instructors)],
                    aircraft=plane, departure_airport=home,
                    destination_airport=destinations[CROSS_COUNTRY_DESTINATIONS[turn % 2]] if cross_country else home,
                    start=start, end=start + LARGE_LESSON, status=BookingStatus.SCHEDULED,
                    lesson_type=(LessonType.SOLO if solo else
                                 LessonType.CROSS_COUNTRY if cross_country else LessonType.DUAL),
                    notes="Load-test lesson"))
    # The exclusion constraints still guard the bulk insert; a clash is skipped, never stored.
    Booking.objects.bulk_create(planned, batch_size=500, ignore_conflicts=connection.vendor == "postgresql")
    return len(planned)


def seed_school(*, people, large_instructors=(), large_students=(), large_aircraft: int = 0, days: int = 7,
                now=None) -> dict:
    """Everything seed_demo adds on top of the people: fleet, availability, bookings; and the large school."""

    now = now or timezone.now()
    home, fleet = seed_fleet()
    airport_today = now.astimezone(zoneinfo.ZoneInfo(home.time_zone)).date()
    instructors = [p for p in people if p.role == Role.INSTRUCTOR]
    students = [p for p in people if p.role == Role.STUDENT]
    staff = next((p for p in people if p.is_admin), None)
    summary = {"patterns": seed_daylight_availability(instructors=instructors, aircraft=fleet, airport=home,
                                                      first_day=airport_today - timedelta(days=1))}
    summary["bookings"] = seed_demo_bookings(students=students, instructors=instructors, aircraft=fleet, home=home,
                                             actor=staff, now=now)
    if large_aircraft or large_students or large_instructors:
        large_fleet = seed_large_fleet(count=large_aircraft, home=home)
        summary["patterns"] += seed_daylight_availability(
            instructors=list(large_instructors), aircraft=large_fleet, airport=home,
            first_day=airport_today - timedelta(days=1))
        summary["bookings"] += seed_large_bookings(students=list(large_students),
                                                   instructors=list(large_instructors), aircraft=large_fleet,
                                                   home=home, days=days, now=now)
    return summary
