from datetime import UTC, datetime, time, timedelta

import factory

from accounts.tests.factories import InstructorFactory, StudentFactory
from availability.models import AvailabilityException, AvailabilityPattern
from bookings.models import Aircraft, AircraftStatus, Airport, Booking, BookingStatus, LessonType


class AirportFactory(factory.django.DjangoModelFactory):
    """Defaults to Palo Alto; pass another ICAO with matching data when a test needs it."""

    class Meta:
        model = Airport
        django_get_or_create = ("icao",)

    icao = "KPAO"
    name = "Palo Alto Airport"
    city = "Palo Alto"
    country = "US"
    latitude = 37.461121
    longitude = -122.115047
    elevation_ft = 6.7
    time_zone = "America/Los_Angeles"
    runway_headings = [130, 310]


class AircraftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Aircraft

    tail_number = factory.Sequence(lambda n: f"N{1000 + n}FS")
    model = "Cessna 172S"
    home_airport = factory.SubFactory(AirportFactory)
    status = AircraftStatus.AVAILABLE


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    student = factory.SubFactory(StudentFactory)
    instructor = factory.SubFactory(InstructorFactory)
    aircraft = factory.SubFactory(AircraftFactory)
    departure_airport = factory.SubFactory(AirportFactory)
    destination_airport = factory.SelfAttribute("departure_airport")
    start = factory.LazyFunction(lambda: datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
                                 + timedelta(days=2))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(hours=2))
    lesson_type = LessonType.DUAL
    status = BookingStatus.SCHEDULED


class PatternFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AvailabilityPattern

    weekday = 0
    start_time = time(8)
    end_time = time(18)
    valid_from = factory.LazyFunction(lambda: datetime(2020, 1, 1).date())
    valid_until = None


class ExceptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AvailabilityException

    reason = "Time off"


def available_every_day(*, instructor=None, aircraft=None, start=time(0), end=time(23, 59, 59)):
    """Weekly patterns covering every day for one party (all day by default)."""
    return [PatternFactory(instructor=instructor, aircraft=aircraft, weekday=day, start_time=start, end_time=end)
            for day in range(7)]
