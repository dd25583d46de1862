"""A compact row format for stored hourly forecasts: one list per hour, so a 72-hour series stays small."""

from datetime import datetime

from weather.providers.base import CloudLayer, HourlyWeather

COLUMNS = ("valid_at", "source", "wind_dir_deg", "wind_kt", "gust_kt", "visibility_sm", "clouds", "cloud_pct",
           "temperature_c", "dewpoint_c", "phenomena", "issued_at", "probability")


def encode(sample: HourlyWeather) -> list:
    # None clouds (a sky nobody reported) stays None: stored as [] it would read back as a clear sky.
    clouds = None if sample.clouds is None else [[c.cover, c.base_ft] for c in sample.clouds]
    return [sample.valid_at.isoformat(), sample.source, sample.wind_dir_deg, sample.wind_kt, sample.gust_kt,
            sample.visibility_sm, clouds, sample.cloud_pct, sample.temperature_c, sample.dewpoint_c,
            list(sample.phenomena), sample.issued_at.isoformat() if sample.issued_at else None,
            sample.probability]


def decode(row: list, *, provider: str) -> HourlyWeather:
    (valid_at, source, wind_dir, wind, gust, visibility, clouds, cloud_pct, temperature, dewpoint,
     phenomena) = row[:11]
    # Rows stored before the issue time and PROB probability were kept have 11 columns.
    issued_at, probability = (row[11:13] + [None, None])[:2]
    return HourlyWeather(
        provider=provider, source=source, valid_at=datetime.fromisoformat(valid_at), wind_dir_deg=wind_dir,
        wind_kt=wind, gust_kt=gust, visibility_sm=visibility,
        clouds=None if clouds is None else tuple(CloudLayer(cover, int(base)) for cover, base in clouds),
        cloud_pct=cloud_pct,
        temperature_c=temperature, dewpoint_c=dewpoint, phenomena=tuple(phenomena or ()),
        issued_at=datetime.fromisoformat(issued_at) if issued_at else None, probability=probability,
    )
