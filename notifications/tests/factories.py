"""Factories for notification tests. Bookings are built directly, the way the bookings app stores them."""

from datetime import UTC, datetime, timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import InstructorFactory, StudentFactory
from bookings.models import Aircraft, Airport, Booking
from notifications.models import Channel, Notification, NotificationKind, NotificationStatus

# Saturday 28 November 2026, 09:00 in Palo Alto (PST, UTC-8).
SATURDAY_MORNING = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)


class AirportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Airport
        django_get_or_create = ("icao",)

    icao = "KPAO"
    name = "Palo Alto Airport"
    city = "Palo Alto"
    country = "US"
    latitude = 37.4611
    longitude = -122.1150
    elevation_ft = 7
    time_zone = "America/Los_Angeles"


class AircraftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Aircraft

    tail_number = factory.Sequence(lambda n: f"N{500 + n}NT")
    model = "Cessna 172S"
    home_airport = factory.SubFactory(AirportFactory)


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    student = factory.SubFactory(StudentFactory)
    instructor = factory.SubFactory(InstructorFactory)
    aircraft = factory.SubFactory(AircraftFactory)
    departure_airport = factory.SubFactory(AirportFactory)
    destination_airport = factory.SelfAttribute("departure_airport")
    start = SATURDAY_MORNING
    end = factory.LazyAttribute(lambda b: b.start + timedelta(hours=2))
    lesson_type = "dual"
    status = "scheduled"


class NotificationFactory(factory.django.DjangoModelFactory):
    """A stored in-app message; tests that care about rendering go through `notify` instead."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory(StudentFactory)
    kind = NotificationKind.WEATHER_CONFLICT
    channel = Channel.IN_APP
    status = NotificationStatus.SENT
    idempotency_key = factory.Sequence(lambda n: f"test-event-{n}")
    subject = "Weather hold: Sat 28 Nov 09:00 PST at KPAO"
    body_text = "The forecast for your flight is outside the training minimums."
    sent_at = factory.LazyFunction(timezone.now)
