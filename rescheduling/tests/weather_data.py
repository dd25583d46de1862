"""Stored forecasts the way the weather monitor keeps them, so window verdicts are judged from real rows."""

from datetime import datetime, timedelta

from weather.providers.base import HOURLY, CloudLayer, HourlyWeather
from weather.services import forecasts_store


def store_forecast(*, icao: str, start: datetime, hours: int, fetched_at: datetime,
                   thunderstorm_hours: tuple[datetime, ...] = ()) -> None:
    """Good VFR weather for `hours` hours from `start`, with thunderstorms in the given hours."""
    first = start.replace(minute=0, second=0, microsecond=0)
    samples = [
        HourlyWeather(
            provider="openweathermap", source=HOURLY, valid_at=first + timedelta(hours=i), wind_dir_deg=310,
            wind_kt=6, gust_kt=None, visibility_sm=10, clouds=(CloudLayer("FEW", 5000),), cloud_pct=15,
            temperature_c=16, dewpoint_c=6,
            phenomena=("TSRA",) if first + timedelta(hours=i) in thunderstorm_hours else (),
            issued_at=fetched_at,
        )
        for i in range(hours)
    ]
    forecasts_store(answers={"openweathermap": {icao: samples}}, fetched_at=fetched_at)
