"""The solver at school size: the same eight queries whatever the counts. Its time is measured by `make bench`
(bench/solver.py), not here, where a busy machine would make a timing flaky."""

from datetime import timedelta

import pytest

from accounts.models import Role, TrainingLevel, User
from availability.models import AvailabilityPattern
from bookings.models import Aircraft, Booking
from bookings.tests.factories import AirportFactory
from rescheduling import solver
from rescheduling.tests.weather_data import store_forecast

SLOTS_PER_DAY = 7  # 2-hour blocks from 07:00 to 21:00


def build_school(*, now, instructors: int, aircraft: int, students: int, bookings: int, days: int = 15):
    airport = AirportFactory()
    people = User.objects.bulk_create(
        [User(email=f"cfi{i}@scale.test", role=Role.INSTRUCTOR, time_zone="UTC") for i in range(instructors)]
        + [User(email=f"student{i}@scale.test", role=Role.STUDENT, training_level=TrainingLevel.PRIVATE_PILOT,
                time_zone="UTC") for i in range(students)]
    )
    cfis, pupils = people[:instructors], people[instructors:]
    planes = Aircraft.objects.bulk_create([
        Aircraft(tail_number=f"N{i:03d}SC", model="Cessna 172S" if i % 2 else "Piper PA-28", home_airport=airport)
        for i in range(aircraft)
    ])
    AvailabilityPattern.objects.bulk_create(
        [AvailabilityPattern(instructor=c, weekday=d, start_time="06:00", end_time="22:00",
                             valid_from=now.date() - timedelta(days=1)) for c in cfis for d in range(7)]
        + [AvailabilityPattern(aircraft=a, weekday=d, start_time="06:00", end_time="22:00",
                               valid_from=now.date() - timedelta(days=1)) for a in planes for d in range(7)]
    )
    rows, n = [], 0
    day0 = now.replace(hour=7, minute=0)
    for day in range(days):
        for slot in range(SLOTS_PER_DAY):
            for a, plane in enumerate(planes):
                if n >= bookings:
                    break
                start = day0 + timedelta(days=day, hours=2 * slot)
                rows.append(Booking(
                    student=pupils[(day * SLOTS_PER_DAY * len(planes) + slot * len(planes) + a) % len(pupils)],
                    instructor=cfis[(a + slot) % len(cfis)], aircraft=plane, departure_airport=airport,
                    destination_airport=airport, start=start, end=start + timedelta(hours=1, minutes=30),
                ))
                n += 1
    Booking.objects.bulk_create(rows, batch_size=1000)
    held = rows[len(planes) * 2]  # a morning lesson today
    Booking.objects.filter(pk=held.pk).update(status="weather_hold", status_before_hold="scheduled")
    store_forecast(icao=airport.icao, start=now, hours=48, fetched_at=now)
    return Booking.objects.select_related("student", "instructor", "aircraft", "departure_airport",
                                          "destination_airport").get(pk=held.pk)


def count_queries(django_assert_num_queries, booking, now, expected):
    with django_assert_num_queries(expected) as ctx:
        candidates = solver.find_candidates(booking=booking, now=now)
    return len(ctx.captured_queries), candidates


# Instructors in order, aircraft in order, free_intervals (patterns without those of aircraft in maintenance,
# exceptions, bookings), window_verdicts (minimums, stored forecasts), the student's usual hours.
SOLVER_QUERIES = 8


@pytest.mark.postgres
def test_query_count_does_not_grow_with_the_school(db, now, django_assert_num_queries):
    small = build_school(now=now, instructors=2, aircraft=2, students=3, bookings=10, days=2)
    small_queries, small_candidates = count_queries(django_assert_num_queries, small, now, SOLVER_QUERIES)
    assert small_candidates
    Booking.objects.all().delete()
    AvailabilityPattern.objects.all().delete()
    Aircraft.objects.all().delete()
    User.objects.filter(email__endswith="@scale.test").delete()

    big = build_school(now=now, instructors=30, aircraft=20, students=300, bookings=2000)
    big_queries, big_candidates = count_queries(django_assert_num_queries, big, now, SOLVER_QUERIES)
    assert big_candidates
    assert big_queries == small_queries


@pytest.mark.postgres
def test_a_fleet_of_several_profiles_reads_the_forecasts_once(db, now, django_assert_num_queries):
    """Aircraft with different crosswind limits and IFR equipment are judged separately, from one read of the
    minimums and the route's forecasts: still eight queries."""
    booking = build_school(now=now, instructors=6, aircraft=6, students=8, bookings=20, days=2)
    for index, plane in enumerate(Aircraft.objects.order_by("pk")):
        Aircraft.objects.filter(pk=plane.pk).update(max_crosswind_kt=12 + 3 * (index % 3),
                                                    ifr_equipped=index % 2 == 0)
    booking = Booking.objects.select_related("student", "instructor", "aircraft", "departure_airport",
                                             "destination_airport").get(pk=booking.pk)

    _, candidates = count_queries(django_assert_num_queries, booking, now, SOLVER_QUERIES)

    assert candidates
