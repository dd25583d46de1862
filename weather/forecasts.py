"""A compact row format for stored hourly forecasts: one list per hour, so a 72-hour series stays small."""

from datetime import datetime

from weather.providers.base import CloudLayer, HourlyWeather

COLUMNS = ("valid_at", "source", "wind_dir_deg", "wind_kt", "gust_kt", "visibility_sm", "clouds", "cloud_pct",
           "temperature_c", "dewpoint_c", "phenomena")


def encode(sample: HourlyWeather) -> list:
    # None clouds (a sky nobody reported) stays None: stored as [] it would read back as a clear sky.
    clouds = None if sample.clouds is None else [[c.cover, c.base_ft] for c in sample.clouds]
    return [sample.valid_at.isoformat(), sample.source, sample.wind_dir_deg, sample.wind_kt, sample.gust_kt,
            sample.visibility_sm, clouds, sample.cloud_pct, sample.temperature_c, sample.dewpoint_c,
            list(sample.phenomena)]


def decode(row: list, *, provider: str) -> HourlyWeather:
    (valid_at, source, wind_dir, wind, gust, visibility, clouds, cloud_pct, temperature, dewpoint,
     phenomena) = row
    return HourlyWeather(
        provider=provider, source=source, valid_at=datetime.fromisoformat(valid_at), wind_dir_deg=wind_dir,
        wind_kt=wind, gust_kt=gust, visibility_sm=visibility,
        clouds=None if clouds is None else tuple(CloudLayer(cover, int(base)) for cover, base in clouds),
        cloud_pct=cloud_pct,
        temperature_c=temperature, dewpoint_c=dewpoint, phenomena=tuple(phenomena or ()),
    )
