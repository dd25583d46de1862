from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from availability import selectors
from availability.tests.factories import ExceptionFactory, PatternFactory
from bookings.tests.factories import AircraftFactory, BookingFactory


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.django_db
@override_settings(SCHOOL_TIME_ZONE="America/Los_Angeles")
def test_a_pattern_keeps_its_wall_clock_time_across_daylight_saving(colleague):
    # US clocks went forward on Sunday 8 March 2026: 09:00 Pacific is 17:00Z before and 16:00Z after.
    for weekday in (5, 0):  # Saturday and Monday
        PatternFactory(instructor=colleague, weekday=weekday, start_time=time(9), end_time=time(11))
    free = selectors.free_intervals(start=utc(2026, 3, 7), end=utc(2026, 3, 10), instructor_ids=[colleague.pk])
    assert free[("instructor", colleague.pk)] == [
        (utc(2026, 3, 7, 17), utc(2026, 3, 7, 19)),
        (utc(2026, 3, 9, 16), utc(2026, 3, 9, 18)),
    ]


@pytest.mark.django_db
@override_settings(SCHOOL_TIME_ZONE="UTC")
def test_exceptions_and_active_bookings_are_cut_out_and_cancelled_ones_are_not(colleague, owner):
    plane = AircraftFactory()
    PatternFactory(aircraft=plane, weekday=0, start_time=time(8), end_time=time(18))  # Monday 1 June 2026
    ExceptionFactory(aircraft=plane, start=utc(2026, 6, 1, 8), end=utc(2026, 6, 1, 9), reason="Fuel truck")
    BookingFactory(aircraft=plane, student=owner, start=utc(2026, 6, 1, 12), end=utc(2026, 6, 1, 14))
    BookingFactory(aircraft=plane, start=utc(2026, 6, 1, 15), end=utc(2026, 6, 1, 16), status="cancelled")
    free = selectors.free_intervals(start=utc(2026, 6, 1), end=utc(2026, 6, 2), aircraft_ids=[plane.pk],
                                    student_ids=[owner.pk])
    assert free[("aircraft", plane.pk)] == [(utc(2026, 6, 1, 9), utc(2026, 6, 1, 12)),
                                            (utc(2026, 6, 1, 14), utc(2026, 6, 1, 18))]
    assert free[("student", owner.pk)] == [(utc(2026, 6, 1), utc(2026, 6, 1, 12)),
                                           (utc(2026, 6, 1, 14), utc(2026, 6, 2))]


@pytest.mark.django_db
def test_excluded_bookings_and_maintenance(owner):
    plane = AircraftFactory()
    PatternFactory(aircraft=plane, weekday=0)
    held = BookingFactory(aircraft=plane, start=utc(2026, 6, 1, 10), end=utc(2026, 6, 1, 12), status="weather_hold")
    free = selectors.free_intervals(start=utc(2026, 6, 1), end=utc(2026, 6, 2), aircraft_ids=[plane.pk],
                                    exclude_booking_ids=[held.pk])
    assert free[("aircraft", plane.pk)] == [(utc(2026, 6, 1, 8), utc(2026, 6, 1, 18))]
    plane.status = "maintenance"
    plane.save()
    free = selectors.free_intervals(start=utc(2026, 6, 1), end=utc(2026, 6, 2), aircraft_ids=[plane.pk])
    assert free[("aircraft", plane.pk)] == []


@pytest.mark.django_db
def test_a_grounded_aircraft_loses_its_time_and_nobody_else_does(colleague):
    grounded, flying = AircraftFactory(status="maintenance"), AircraftFactory()
    for party in ({"aircraft": grounded}, {"aircraft": flying}, {"instructor": colleague}):
        PatternFactory(weekday=0, **party)
    window = {"start": utc(2026, 6, 1), "end": utc(2026, 6, 2), "instructor_ids": [colleague.pk],
              "aircraft_ids": [grounded.pk, flying.pk]}
    free = selectors.free_intervals(**window)
    day = [(utc(2026, 6, 1, 8), utc(2026, 6, 1, 18))]
    assert free == {("aircraft", grounded.pk): [], ("aircraft", flying.pk): day, ("instructor", colleague.pk): day}
    # Its weekly pattern still stands: the schedule itself is not what maintenance changes.
    assert selectors.scheduled_intervals(**window)[("aircraft", grounded.pk)] == day


@pytest.mark.django_db
def test_validity_dates_and_midnight_end(colleague):
    PatternFactory(instructor=colleague, weekday=0, start_time=time(20), end_time=time(23, 59, 59),
                   valid_from=date(2026, 6, 8), valid_until=date(2026, 6, 8))
    PatternFactory(instructor=colleague, weekday=1, start_time=time(0), end_time=time(2),
                   valid_from=date(2026, 6, 1))
    free = selectors.free_intervals(start=utc(2026, 6, 1), end=utc(2026, 6, 17), instructor_ids=[colleague.pk])
    # The Monday window exists only on the 8th, and runs into Tuesday's without a gap at midnight.
    assert free[("instructor", colleague.pk)] == [
        (utc(2026, 6, 2, 0), utc(2026, 6, 2, 2)),
        (utc(2026, 6, 8, 20), utc(2026, 6, 9, 2)),
        (utc(2026, 6, 16, 0), utc(2026, 6, 16, 2)),
    ]


@pytest.mark.django_db
def test_free_intervals_cost_three_queries_whatever_the_counts(django_assert_num_queries, make_user):
    def build(n):
        instructors = [make_user(role="instructor", training_level="") for _ in range(n)]
        aircraft = [AircraftFactory() for _ in range(n)]
        students = [make_user() for _ in range(n)]
        for i in range(n):
            PatternFactory(instructor=instructors[i], weekday=i % 7)
            PatternFactory(aircraft=aircraft[i], weekday=i % 7)
            ExceptionFactory(aircraft=aircraft[i], start=utc(2026, 6, 2, 9), end=utc(2026, 6, 2, 10))
            BookingFactory(student=students[i], instructor=instructors[i], aircraft=aircraft[i],
                           start=utc(2026, 6, 3, 9), end=utc(2026, 6, 3, 11))
        return ([u.pk for u in instructors], [a.pk for a in aircraft], [s.pk for s in students])

    for n in (1, 12):
        instructor_ids, aircraft_ids, student_ids = build(n)
        # Patterns (without those of aircraft in maintenance), exceptions, bookings.
        with django_assert_num_queries(3):
            free = selectors.free_intervals(start=utc(2026, 6, 1), end=utc(2026, 6, 8), instructor_ids=instructor_ids,
                                            aircraft_ids=aircraft_ids, student_ids=student_ids)
        assert len(free) == 3 * n


@pytest.mark.django_db
def test_free_slots_and_is_free_need_every_party(colleague, owner):
    plane = AircraftFactory()
    PatternFactory(aircraft=plane, weekday=0, start_time=time(8), end_time=time(12))
    PatternFactory(instructor=colleague, weekday=0, start_time=time(9), end_time=time(17))
    BookingFactory(student=owner, instructor=None, lesson_type="solo", aircraft=AircraftFactory(),
                   start=utc(2026, 6, 1, 10), end=utc(2026, 6, 1, 11))
    slots = selectors.free_slots(start=utc(2026, 6, 1), end=utc(2026, 6, 2), duration=timedelta(hours=1),
                                 instructor=colleague, aircraft=plane, student=owner)
    assert slots == [(utc(2026, 6, 1, 9), utc(2026, 6, 1, 10)), (utc(2026, 6, 1, 11), utc(2026, 6, 1, 12))]
    assert selectors.is_free(start=utc(2026, 6, 1, 11), end=utc(2026, 6, 1, 12), instructor=colleague,
                             aircraft=plane, student=owner)
    assert not selectors.is_free(start=utc(2026, 6, 1, 10), end=utc(2026, 6, 1, 11), instructor=colleague,
                                 aircraft=plane, student=owner)


@pytest.mark.django_db
def test_the_ends_of_the_calendar_do_not_break_the_expansion(colleague):
    PatternFactory(instructor=colleague, weekday=date(9999, 12, 31).weekday(), start_time=time(20),
                   end_time=time(23, 59, 59))
    free = selectors.free_intervals(start=utc(9999, 12, 31), end=datetime.max.replace(tzinfo=UTC),
                                    instructor_ids=[colleague.pk])
    assert free[("instructor", colleague.pk)] == [(utc(9999, 12, 31, 20), datetime.max.replace(tzinfo=UTC))]
    assert selectors.free_intervals(start=datetime.min.replace(tzinfo=UTC), end=utc(1, 1, 2),
                                    instructor_ids=[colleague.pk])[("instructor", colleague.pk)] == []


@given(
    base=st.lists(st.tuples(st.integers(0, 200), st.integers(1, 40)), max_size=8),
    cuts=st.lists(st.tuples(st.integers(-20, 220), st.integers(0, 40)), max_size=12),
)
def test_subtracting_intervals_leaves_exactly_the_minutes_no_cut_touches(base, cuts):
    def as_times(pairs):
        return [(utc(2026, 6, 1) + timedelta(minutes=s), utc(2026, 6, 1) + timedelta(minutes=s + n)) for s, n in pairs]

    def minutes(intervals):
        return {t for s, e in intervals for t in range(int((s - utc(2026, 6, 1)).total_seconds() // 60),
                                                         int((e - utc(2026, 6, 1)).total_seconds() // 60))}

    merged = selectors.merge_intervals(as_times(base))
    left = selectors.subtract_intervals(merged, as_times(cuts))
    assert minutes(left) == minutes(merged) - minutes(as_times(cuts))
    assert left == selectors.merge_intervals(left)  # sorted, disjoint, nothing empty


@pytest.mark.django_db
@override_settings(SCHOOL_TIME_ZONE="America/Los_Angeles")
def test_booked_times_are_cut_out_to_the_microsecond_across_a_daylight_saving_change(colleague, owner):
    # US clocks fell back on Sunday 1 November 2026: 01:00-02:00 Pacific happened twice (08:00Z-10:00Z).
    plane = AircraftFactory()
    for weekday in (5, 6, 0):
        PatternFactory(instructor=colleague, weekday=weekday, start_time=time(0), end_time=time(23, 59, 59))
        PatternFactory(aircraft=plane, weekday=weekday, start_time=time(0), end_time=time(23, 59, 59))
    booked = [
        (utc(2026, 11, 1, 8, 15, 0, 123456), utc(2026, 11, 1, 9, 5, 0, 1)),  # the first 01:15 to the second 01:05
        (utc(2026, 11, 1, 9, 30), utc(2026, 11, 1, 11, 0, 0, 999999)),
        (utc(2026, 10, 31, 23, 59, 59, 500000), utc(2026, 11, 1, 0, 30)),
    ]
    for start, end in booked[:2]:
        BookingFactory(instructor=colleague, aircraft=plane, student=owner, start=start, end=end)
    BookingFactory(aircraft=plane, start=booked[2][0], end=booked[2][1])
    window = {"start": utc(2026, 10, 31), "end": utc(2026, 11, 3)}
    free = selectors.free_intervals(**window, instructor_ids=[colleague.pk], aircraft_ids=[plane.pk],
                                    student_ids=[owner.pk])
    scheduled = selectors.scheduled_intervals(**window, instructor_ids=[colleague.pk], aircraft_ids=[plane.pk])
    assert free[("instructor", colleague.pk)] == selectors.subtract_intervals(
        scheduled[("instructor", colleague.pk)], booked[:2])
    assert free[("aircraft", plane.pk)] == selectors.subtract_intervals(scheduled[("aircraft", plane.pk)], booked)
    assert free[("student", owner.pk)] == selectors.subtract_intervals([(window["start"], window["end"])], booked[:2])
    assert (utc(2026, 11, 1, 9, 5, 0, 1), utc(2026, 11, 1, 9, 30)) in free[("student", owner.pk)]
    assert all(moment.tzinfo is UTC for spans in free.values() for span in spans for moment in span)


@pytest.mark.django_db
def test_free_intervals_of_nobody_is_empty():
    assert selectors.free_intervals(start=utc(2026, 11, 1), end=utc(2026, 11, 2)) == {}
