"""Typed provider samples for judging tests: clear by default, one override per rule under test."""

from datetime import UTC, datetime

from weather.judging import Minimums, RoutePoint
from weather.providers.base import HOURLY, CloudLayer, HourlyWeather, Location

HOUR_14Z = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)


def sample(provider="demo", *, valid_at=HOUR_14Z, source=HOURLY, clouds=(("FEW", 5000),), **values) -> HourlyWeather:
    defaults = {"wind_dir_deg": 310, "wind_kt": 5.0, "gust_kt": None, "visibility_sm": 10.0,
                "temperature_c": 18.0, "dewpoint_c": 8.0, "phenomena": ()}
    defaults.update(values)
    return HourlyWeather(provider=provider, source=source, valid_at=valid_at,
                         clouds=None if clouds is None else tuple(CloudLayer(cover, base) for cover, base in clouds),
                         **defaults)


# The default minimums of each level, and the home airport as a judged point (runways 13/31).
STUDENT = Minimums.default("student_pilot")
PRIVATE = Minimums.default("private_pilot")
INSTRUMENT = Minimums.default("instrument_rated")
KPAO = RoutePoint(Location("KPAO", 37.46, -122.12, "KPAO"), "departure", "KPAO", (130, 310), "America/Los_Angeles")
