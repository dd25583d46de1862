from datetime import UTC, datetime

import pytest

from availability.tests.factories import available_every_day
from bookings.tests import fixtures as shared
from bookings.tests.factories import AircraftFactory

NOW = shared.NOW
now, kpao = shared.now, shared.kpao  # the summer clock and home airport, as fixtures here


@pytest.fixture(autouse=True)
def school_in_utc(settings):
    """Patterns in these tests are written in UTC unless a test says otherwise, whatever the environment says."""
    settings.SCHOOL_TIME_ZONE = "UTC"


@pytest.fixture
def plane(kpao):
    return AircraftFactory(tail_number="N739SP", home_airport=kpao)


@pytest.fixture
def open_hours(plane, colleague):
    """The instructor and the aircraft are available around the clock, so only the rule under test bites."""
    available_every_day(instructor=colleague)
    available_every_day(aircraft=plane)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC time on June `day`, 2026."""
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC)
