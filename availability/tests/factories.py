"""Factories for availability: weekly patterns and exceptions, for any app's tests."""

from datetime import datetime, time

import factory

from availability.models import AvailabilityException, AvailabilityPattern


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
