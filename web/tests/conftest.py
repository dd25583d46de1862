from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import TrainingLevel
from availability.tests.factories import available_every_day
from bookings.tests.factories import AircraftFactory, AirportFactory, BookingFactory

# Monday 2 March 2026, 08:00 UTC (midnight in Palo Alto): every page test runs at this instant.
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def school(db, now, owner, colleague, stranger):
    """One airport, an aircraft and the colleague free all week; the owner's lesson tomorrow morning with the
    colleague, and the stranger's solo flight the same day."""
    owner.training_level = TrainingLevel.STUDENT_PILOT
    owner.save(update_fields=["training_level"])
    airport = AirportFactory()
    aircraft = AircraftFactory(tail_number="N101FS")
    spare = AircraftFactory(tail_number="N202FS")
    for plane in (aircraft, spare):
        available_every_day(aircraft=plane)
    available_every_day(instructor=colleague)
    tomorrow_9am_local = NOW + timedelta(days=1, hours=9)  # 17:00Z = 09:00 PST
    flight = BookingFactory(student=owner, instructor=colleague, aircraft=aircraft, departure_airport=airport,
                            start=tomorrow_9am_local, end=tomorrow_9am_local + timedelta(hours=2))
    strangers = BookingFactory(student=stranger, instructor=None, lesson_type="solo", aircraft=spare,
                               departure_airport=airport, start=tomorrow_9am_local,
                               end=tomorrow_9am_local + timedelta(hours=1))
    return type("School", (), {"airport": airport, "aircraft": aircraft, "spare": spare, "flight": flight,
                               "strangers_flight": strangers})
