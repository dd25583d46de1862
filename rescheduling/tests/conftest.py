from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from accounts.tests.factories import InstructorFactory
from availability.tests.factories import available_every_day
from bookings.tests.factories import AircraftFactory
from rescheduling.tests.factories import BookingFactory

# A Monday morning; every test of this app runs at this instant unless it moves the clock itself.
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def school(db, now, owner, colleague):
    """Two instructors and three aircraft (two of one model) available 06-22 every day, and the owner's
    lesson with the colleague at noon today, on weather hold."""
    other_instructor = InstructorFactory(email="second.cfi@example.com", first_name="Sam", last_name="Second")
    aircraft = AircraftFactory(tail_number="N101SP", model="Cessna 172S")
    twin = AircraftFactory(tail_number="N102SP", model="Cessna 172S")
    piper = AircraftFactory(tail_number="N201PA", model="Piper PA-28")
    for instructor in (colleague, other_instructor):
        available_every_day(instructor=instructor, start=time(6), end=time(22))
    for plane in (aircraft, twin, piper):
        available_every_day(aircraft=plane, start=time(6), end=time(22))
    held = BookingFactory(student=owner, instructor=colleague, aircraft=aircraft,
                          start=now + timedelta(hours=4), end=now + timedelta(hours=6),
                          status="weather_hold", status_before_hold="scheduled")
    return type("School", (), {"held": held, "aircraft": aircraft, "twin": twin, "piper": piper,
                               "instructor": colleague, "other_instructor": other_instructor,
                               "student": owner})
