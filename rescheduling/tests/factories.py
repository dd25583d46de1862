"""Factories for rescheduling tests, on top of the bookings app's: a test can set up any school without going
through the services."""

from datetime import timedelta

import factory
from django.utils import timezone

from bookings.tests import factories as bookings_factories
from rescheduling.models import OptionSource, RescheduleOption, RescheduleRequest


class BookingFactory(bookings_factories.BookingFactory):
    """Tomorrow at this minute, so solver tests start from a slot near now."""

    start = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) + timedelta(days=1))


class RescheduleRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RescheduleRequest

    booking = factory.SubFactory(BookingFactory, status="weather_hold", status_before_hold="scheduled")
    status = "pending"
    reasons = factory.LazyFunction(lambda: ["visibility 2.0 sm below 5 sm (student_pilot) at KPAO 14:00Z"])
    detected_at = factory.LazyFunction(timezone.now)
    created_at = factory.SelfAttribute("detected_at")
    expires_at = factory.LazyAttribute(lambda r: r.created_at + timedelta(hours=12))


class RescheduleOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RescheduleOption

    request = factory.SubFactory(RescheduleRequestFactory)
    rank = factory.Sequence(lambda n: n + 1)
    candidate_id = factory.LazyAttribute(
        lambda o: f"{o.start:%Y%m%dT%H%MZ}-i{o.instructor.pk if o.instructor else 0}-a{o.aircraft.pk}")
    start = factory.LazyAttribute(lambda o: o.request.booking.start + timedelta(days=1))
    end = factory.LazyAttribute(lambda o: o.start + (o.request.booking.end - o.request.booking.start))
    instructor = factory.SelfAttribute("request.booking.instructor")
    aircraft = factory.SelfAttribute("request.booking.aircraft")
    source = OptionSource.RULES
    rationale = "Keeps your instructor and your aircraft."
    weather_status = "ok"
