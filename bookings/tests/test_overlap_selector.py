"""`overlapping_booking_ids`, the plain statement every booking write runs, answers exactly what the ORM's
`active_bookings_for_parties` answers for one booking's parties."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import InstructorFactory, StudentFactory
from bookings.models import Booking, BookingStatus, LessonType
from bookings.selectors import active_bookings_for_parties, overlapping_booking_ids
from bookings.tests.factories import AircraftFactory, AirportFactory

DAY = datetime(2031, 3, 3, 6, tzinfo=UTC)


@pytest.fixture
def crowded_day(db):
    """Sixty bookings in one day over three students, instructors and aircraft: active ones never overlap for
    a party (the exclusion constraints), cancelled, completed and rescheduled ones anywhere."""
    rng = random.Random(7)
    airport = AirportFactory()
    students, instructors = StudentFactory.create_batch(3), InstructorFactory.create_batch(3)
    fleet = AircraftFactory.create_batch(3, home_airport=airport)
    made = 0
    while made < 60:
        start = DAY + timedelta(minutes=15 * rng.randrange(0, 56))
        end = start + timedelta(minutes=15 * rng.randrange(2, 12))
        solo = rng.random() < 0.2
        status = rng.choice([BookingStatus.SCHEDULED, BookingStatus.CONFIRMED, BookingStatus.WEATHER_HOLD,
                             BookingStatus.CANCELLED, BookingStatus.COMPLETED, BookingStatus.RESCHEDULED])
        instructor = None if solo else rng.choice(instructors)
        fields = {"student": rng.choice(students), "instructor": instructor, "aircraft": rng.choice(fleet),
                  "departure_airport": airport, "destination_airport": airport, "start": start, "end": end,
                  "lesson_type": LessonType.SOLO if solo else LessonType.DUAL, "status": status}
        active = status in (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED, BookingStatus.WEATHER_HOLD)
        if active and active_bookings_for_parties(
                start=start, end=end, student_ids=[fields["student"].pk], aircraft_ids=[fields["aircraft"].pk],
                instructor_ids=[instructor.pk] if instructor else []).exists():
            continue
        Booking.objects.create(**fields)
        made += 1
    return rng, students, instructors, fleet


@pytest.mark.django_db
def test_the_same_ids_as_the_orm_for_every_window_and_party(crowded_day):
    rng, students, instructors, fleet = crowded_day
    ids = list(Booking.objects.values_list("pk", flat=True))
    nonempty = 0
    for _ in range(300):
        start = DAY + timedelta(minutes=15 * rng.randrange(-4, 60))
        end = start + timedelta(minutes=15 * rng.randrange(1, 16))
        student, aircraft = rng.choice(students).pk, rng.choice(fleet).pk
        instructor = rng.choice([None, *[i.pk for i in instructors]])
        excluded = rng.sample(ids, rng.randrange(0, 3))
        expected = sorted(b.pk for b in active_bookings_for_parties(
            start=start, end=end, student_ids=[student], aircraft_ids=[aircraft],
            instructor_ids=[instructor] if instructor else [], exclude_booking_ids=excluded))
        found = overlapping_booking_ids(start=start, end=end, student_id=student, aircraft_id=aircraft,
                                        instructor_id=instructor, exclude_booking_ids=excluded)
        assert found == expected
        nonempty += bool(found)
    assert nonempty > 100  # the windows do meet bookings, so the comparison means something


@pytest.mark.django_db
def test_one_statement(crowded_day):
    _, students, _, fleet = crowded_day
    with CaptureQueriesContext(connection) as queries:
        overlapping_booking_ids(start=DAY, end=DAY + timedelta(hours=20), student_id=students[0].pk,
                                aircraft_id=fleet[0].pk)
    assert len(queries) == 1
