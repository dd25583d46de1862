"""Factories for notification tests, on top of the bookings app's."""

from datetime import UTC, datetime

import factory
from django.utils import timezone

from accounts.tests.factories import StudentFactory
from bookings.tests import factories as bookings_factories
from notifications.models import Channel, Notification, NotificationKind, NotificationStatus

# Saturday 28 November 2026, 09:00 in Palo Alto (PST, UTC-8).
SATURDAY_MORNING = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)


class BookingFactory(bookings_factories.BookingFactory):
    """Saturday morning at Palo Alto, so rendered local times are fixed."""

    start = SATURDAY_MORNING


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
