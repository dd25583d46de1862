from datetime import UTC, datetime, timedelta

import factory

from accounts.tests.factories import InstructorFactory, StudentFactory
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
