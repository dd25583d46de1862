"""WeatherAPI.com forecast, hourly for three days at any point.

    GET {WEATHERAPI_BASE_URL}/v1/forecast.json?key=KEY&q=LAT,LON&days=3

Each `forecast.forecastday[].hour[]` item has `time_epoch`, `wind_kph`, `wind_degree`, `gust_kph`,
`vis_km`, `cloud` (%), `temp_c`, `dewpoint_c` and `condition.code`. `vis_miles` is rounded to whole miles
(2.9 sm reads as 3), so visibility is taken from `vis_km`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from django.conf import settings

from weather.providers.base import (
    HOURLY,
    KM_PER_SM,
    KT_PER_KPH,
    BatchResult,
    HourlyWeather,
    Location,
    ProviderError,
    WeatherProvider,
)
from weather.providers.http import get_json, malformed, model_cycle

# WeatherAPI.com condition codes -> METAR-style phenomena codes.
CONDITION_CODES: dict[int, tuple[str, ...]] = {
    1030: ("BR",), 1063: ("RA",), 1066: ("SN",), 1069: ("PL",), 1072: ("FZDZ",), 1087: ("TS",),
    1114: ("BLSN",), 1117: ("BLSN",), 1135: ("FG",), 1147: ("FZFG",), 1150: ("DZ",), 1153: ("DZ",),
    1168: ("FZDZ",), 1171: ("FZDZ",), 1180: ("RA",), 1183: ("RA",), 1186: ("RA",), 1189: ("RA",),
    1192: ("RA",), 1195: ("RA",), 1198: ("FZRA",), 1201: ("FZRA",), 1204: ("PL",), 1207: ("PL",),
    1210: ("SN",), 1213: ("SN",), 1216: ("SN",), 1219: ("SN",), 1222: ("SN",), 1225: ("SN",),
    1237: ("PL",), 1240: ("SHRA",), 1243: ("SHRA",), 1246: ("SHRA",), 1249: ("PL",), 1252: ("PL",),
    1255: ("SHSN",), 1258: ("SHSN",), 1261: ("PL",), 1264: ("PL",), 1273: ("TS", "RA"),
    1276: ("TS", "RA"), 1279: ("TS", "SN"), 1282: ("TS", "SN"),
}


class WeatherApiProvider(WeatherProvider):
    name = "weatherapi"

    def fetch_batch(self, locations: Sequence[Location], *, now: datetime) -> BatchResult:
        key = settings.WEATHERAPI_COM_KEY
        if not key:
            raise ProviderError(self.name, "WEATHERAPI_COM_KEY is not set", retryable=False)
        base = settings.WEATHERAPI_BASE_URL.rstrip("/")
        result = BatchResult()
        for loc in locations:
            body = get_json(self.name, f"{base}/v1/forecast.json", params={
                "key": key, "q": f"{loc.latitude:.4f},{loc.longitude:.4f}", "days": 3,
                "aqi": "no", "alerts": "no",
            })
            result.requests += 1
            result.hours[loc.key] = self.parse(body, issued_at=model_cycle(now))
        return result

    def parse(self, body, *, issued_at: datetime | None = None) -> list[HourlyWeather]:
        try:
            days = body["forecast"]["forecastday"]
        except (KeyError, TypeError):
            raise malformed(self.name, "no forecast.forecastday")
        hours = []
        for day in days:
            for item in day.get("hour") or []:
                try:
                    gust = item.get("gust_kph")
                    hours.append(HourlyWeather(
                        provider=self.name, source=HOURLY, issued_at=issued_at,
                        valid_at=datetime.fromtimestamp(int(item["time_epoch"]), tz=UTC),
                        wind_dir_deg=int(item["wind_degree"]) if item.get("wind_degree") is not None else None,
                        wind_kt=round(float(item["wind_kph"]) * KT_PER_KPH, 1),
                        gust_kt=round(float(gust) * KT_PER_KPH, 1) if gust is not None else None,
                        visibility_sm=round(float(item["vis_km"]) / KM_PER_SM, 2),
                        cloud_pct=float(item["cloud"]) if item.get("cloud") is not None else None,
                        temperature_c=float(item["temp_c"]) if item.get("temp_c") is not None else None,
                        dewpoint_c=float(item["dewpoint_c"]) if item.get("dewpoint_c") is not None else None,
                        phenomena=CONDITION_CODES.get(int((item.get("condition") or {}).get("code") or 0), ()),
                    ))
                except (KeyError, TypeError, ValueError) as exc:
                    raise malformed(self.name, f"hour item: {exc!r}")
        return hours
