"""Stored forecasts the way the weather monitor keeps them, so window verdicts are judged from real rows."""

from datetime import datetime, timedelta

from weather.models import ForecastHour


def store_forecast(*, icao: str, start: datetime, hours: int, fetched_at: datetime,
                   thunderstorm_hours: tuple[datetime, ...] = ()) -> None:
    """Good VFR weather for `hours` hours from `start`, with thunderstorms in the given hours."""
    first = start.replace(minute=0, second=0, microsecond=0)
    ForecastHour.objects.bulk_create([
        ForecastHour(
            location_key=icao, provider="openweathermap", valid_at=first + timedelta(hours=i), source="hourly",
            wind_dir_deg=310, wind_kt=6, gust_kt=None, visibility_sm=10, clouds=[["FEW", 5000]], cloud_pct=15,
            temperature_c=16, dewpoint_c=6,
            phenomena=["TSRA"] if first + timedelta(hours=i) in thunderstorm_hours else [],
            issued_at=fetched_at, fetched_at=fetched_at,
        )
        for i in range(hours)
    ], ignore_conflicts=True)
