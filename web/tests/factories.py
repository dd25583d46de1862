"""A weather check stored the way the monitor stores one, for pages that show it."""

from datetime import timedelta

import factory

from weather.models import WeatherCheck

STUDENT_PILOT_MINIMUMS = {"training_level": "student_pilot", "ceiling_ft": 3000, "visibility_sm": 5.0,
                          "wind_kt": 10, "gust_kt": 15, "crosswind_kt": 8, "imc_allowed": False}


def judged_points(booking, *, visibility_sm=10.0, ceiling_ft=None, wind_kt=6.0, gust_kt=None, hours=3):
    """One departure point per hour of the booking window, with the values the check judged."""
    start = (booking.start - timedelta(minutes=30)).replace(minute=0)
    return [
        {"location": booking.departure_airport.icao, "label": booking.departure_airport.icao, "role": "departure",
         "hour": (start + timedelta(hours=i)).isoformat(), "status": "ok", "wind_kt": wind_kt, "gust_kt": gust_kt,
         "visibility_sm": visibility_sm, "ceiling_ft": ceiling_ft, "providers": ["demo"]}
        for i in range(hours)
    ]


class WeatherCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WeatherCheck

    status = "ok"
    reasons = factory.LazyFunction(list)
    window_start = factory.LazyAttribute(lambda c: c.booking.start - timedelta(minutes=30))
    window_end = factory.LazyAttribute(lambda c: c.booking.end)
    training_level = "student_pilot"
    minimums = factory.LazyFunction(lambda: dict(STUDENT_PILOT_MINIMUMS))
    providers = factory.LazyFunction(lambda: [{"provider": "demo", "ok": True}])
    agreement = factory.LazyFunction(dict)
    points = factory.LazyAttribute(lambda c: judged_points(c.booking))
    fingerprint = factory.Sequence(lambda n: f"fp{n}")
    created_at = factory.LazyAttribute(lambda c: c.booking.start - timedelta(hours=12))
    checked_at = factory.SelfAttribute("created_at")
