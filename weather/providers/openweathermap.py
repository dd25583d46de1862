"""OpenWeatherMap One Call API 3.0, hourly forecast for 48 hours at any point.

    GET {OPENWEATHERMAP_BASE_URL}/data/3.0/onecall?lat=..&lon=..&exclude=current,minutely,daily,alerts&appid=KEY

No `units` parameter, so the API answers in its standard units: temperature and dew point in Kelvin,
wind speed and gust in m/s, visibility in metres (capped at 10 000), clouds in percent. Weather condition
ids: 2xx thunderstorm, 3xx drizzle, 5xx rain (511 freezing rain), 6xx snow (611-613 sleet), 7xx obscuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from django.conf import settings

from weather.providers.base import (
    HOURLY,
    KT_PER_MS,
    METRES_PER_SM,
    BatchResult,
    HourlyWeather,
    Location,
    ProviderError,
    WeatherProvider,
)
from weather.providers.http import get_json, malformed, model_cycle

KELVIN = 273.15


def condition_codes(condition_id: int) -> tuple[str, ...]:
    """OpenWeatherMap condition id -> METAR-style phenomena codes."""
    group = condition_id // 100
    if group == 2:
        return ("TS", "RA") if condition_id in (200, 201, 202, 230, 231, 232) else ("TS",)
    if group == 3:
        return ("DZ",)
    if condition_id == 511:
        return ("FZRA",)
    if group == 5:
        return ("SHRA",) if condition_id >= 520 else ("RA",)
    if condition_id in (611, 612, 613):
        return ("PL",)
    if condition_id in (615, 616):
        return ("RA", "SN")
    if group == 6:
        return ("SN",)
    return {701: ("BR",), 711: ("FU",), 721: ("HZ",), 731: ("SA",), 741: ("FG",), 751: ("SA",),
            761: ("DU",), 762: ("VA",), 771: ("SQ",), 781: ("FC",)}.get(condition_id, ())


def _kelvin_to_c(value) -> float | None:
    return None if value is None else round(float(value) - KELVIN, 1)


class OpenWeatherMapProvider(WeatherProvider):
    name = "openweathermap"

    def fetch_batch(self, locations: Sequence[Location], *, now: datetime) -> BatchResult:
        key = settings.OPENWEATHERMAP_API_KEY
        if not key:
            raise ProviderError(self.name, "OPENWEATHERMAP_API_KEY is not set", retryable=False)
        base = settings.OPENWEATHERMAP_BASE_URL.rstrip("/")
        result = BatchResult()
        for loc in locations:
            body = get_json(self.name, f"{base}/data/3.0/onecall", params={
                "lat": f"{loc.latitude:.4f}", "lon": f"{loc.longitude:.4f}",
                "exclude": "current,minutely,daily,alerts", "appid": key,
            })
            result.requests += 1
            result.hours[loc.key] = self.parse(body, issued_at=model_cycle(now))
        return result

    def parse(self, body, *, issued_at: datetime | None = None) -> list[HourlyWeather]:
        if not isinstance(body, dict) or not isinstance(body.get("hourly"), list):
            raise malformed(self.name, "no hourly array")
        hours = []
        for item in body["hourly"]:
            try:
                valid_at = datetime.fromtimestamp(int(item["dt"]), tz=UTC)
                codes = tuple(dict.fromkeys(
                    code for weather in item.get("weather") or [] for code in condition_codes(int(weather["id"]))
                ))
                visibility = item.get("visibility")
                gust = item.get("wind_gust")
                hours.append(HourlyWeather(
                    provider=self.name, source=HOURLY, issued_at=issued_at, valid_at=valid_at,
                    wind_dir_deg=int(item["wind_deg"]) if item.get("wind_deg") is not None else None,
                    wind_kt=round(float(item["wind_speed"]) * KT_PER_MS, 1),
                    gust_kt=round(float(gust) * KT_PER_MS, 1) if gust is not None else None,
                    visibility_sm=round(float(visibility) / METRES_PER_SM, 2) if visibility is not None else None,
                    cloud_pct=float(item["clouds"]) if item.get("clouds") is not None else None,
                    temperature_c=_kelvin_to_c(item.get("temp")),
                    dewpoint_c=_kelvin_to_c(item.get("dew_point")),
                    phenomena=codes,
                ))
            except (KeyError, TypeError, ValueError) as exc:
                raise malformed(self.name, f"hourly item: {exc!r}")
        return hours
