"""Aviation Weather Center Data API: METAR and TAF as JSON, the raw reports parsed with avwx-engine.

    GET {AVIATIONWEATHER_BASE_URL}/api/data/metar?ids=KPAO,KSQL&format=json
    GET {AVIATIONWEATHER_BASE_URL}/api/data/taf?ids=KPAO,KSQL&format=json

Each METAR item carries `icaoId`, `obsTime` (epoch seconds), `rawOb`; each TAF item `icaoId`, `issueTime`,
`validTimeFrom`/`validTimeTo` (epoch seconds) and `rawTAF`. The raw text is the authority: avwx-engine
parses it, including TEMPO and PROB groups, which are taken worst case. The METAR stands for the next
hour; the TAF for the rest of its validity. Airports only: the AWC has no point forecasts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from avwx import Metar, Taf
from django.conf import settings

from weather.providers.base import (
    KT_PER_MS,
    METAR,
    METRES_PER_SM,
    TAF,
    BatchResult,
    CloudLayer,
    HourlyWeather,
    Location,
    WeatherProvider,
)
from weather.providers.http import get_json, malformed

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _number(value) -> float | None:
    """An avwx Number as a float; `P6SM` (more than six miles) counts as six."""
    if value is None:
        return None
    if value.value is not None:
        return float(value.value)
    text = (value.repr or "").upper()
    if text.startswith(("P", "M")):
        try:
            return float(text[1:])
        except ValueError:
            return None
    return None


def _visibility_sm(value, unit: str) -> float | None:
    number = _number(value)
    if number is None:
        return None
    # ICAO visibility is always four digits of metres (0800, 9999); anything else is statute miles,
    # whatever unit avwx settled on for the report as a whole.
    text = (value.repr or "").strip()
    if unit == "m" and len(text) == 4 and text.isdigit():
        return round(number / METRES_PER_SM, 2)
    return number


def _wind_kt(value, unit: str) -> float | None:
    number = _number(value)
    if number is None:
        return None
    if unit in ("m/s", "mps"):
        return round(number * KT_PER_MS, 1)
    if unit in ("km/h", "kph", "kmh"):
        return round(number / 1.852, 1)
    return number


def _clouds(clouds) -> tuple[CloudLayer, ...]:
    # avwx gives bases in hundreds of feet.
    return tuple(CloudLayer(cover=c.type, base_ft=int(c.base) * 100) for c in clouds if c.base is not None)


def _codes(wx_codes) -> tuple[str, ...]:
    return tuple(code.repr.lstrip("+-") for code in wx_codes)


def _direction(value) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _epoch(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC)
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class AviationWeatherProvider(WeatherProvider):
    name = "aviationweather"
    batch_size = 50
    serves_points = False

    def fetch_batch(self, locations: Sequence[Location], *, now: datetime) -> BatchResult:
        airports = [loc for loc in locations if loc.is_airport]
        result = BatchResult()
        if not airports:
            return result
        base = settings.AVIATIONWEATHER_BASE_URL.rstrip("/")
        ids = ",".join(sorted({loc.icao for loc in airports}))
        metars = get_json(self.name, f"{base}/api/data/metar", params={"ids": ids, "format": "json"}) or []
        tafs = get_json(self.name, f"{base}/api/data/taf", params={"ids": ids, "format": "json"}) or []
        result.requests = 2
        if not isinstance(metars, list) or not isinstance(tafs, list):
            raise malformed(self.name, "expected a JSON array of reports")
        by_icao: dict[str, dict[datetime, HourlyWeather]] = {}
        for icao, sample_hours in self._metar_hours(metars, now=now):
            by_icao.setdefault(icao, {}).update(sample_hours)
        for icao, sample_hours in self._taf_hours(tafs, now=now):
            hours = by_icao.setdefault(icao, {})
            for hour, sample in sample_hours.items():
                hours.setdefault(hour, sample)  # the METAR, where there is one, stands for the next hour
        for loc in airports:
            hours = by_icao.get(loc.icao)
            if hours:
                result.hours[loc.key] = [hours[h] for h in sorted(hours)]
        return result

    def _metar_hours(self, items: list, *, now: datetime):
        latest: dict[str, dict] = {}
        for item in items:
            if not isinstance(item, dict) or not item.get("icaoId") or not item.get("rawOb"):
                raise malformed(self.name, "METAR item without icaoId or rawOb")
            observed = _epoch(item.get("obsTime")) or _epoch(item.get("reportTime"))
            icao = item["icaoId"].upper()
            if icao not in latest or (observed and observed > latest[icao]["_observed"]):
                latest[icao] = {**item, "_observed": observed or now}
        for icao, item in latest.items():
            observed = item["_observed"]
            if now - observed > timedelta(hours=3):
                continue  # an old observation says nothing about the next hour
            try:
                report = Metar.from_report(item["rawOb"], issued=observed.date())
            except Exception as exc:  # avwx raises several types for a report it cannot read
                logger.warning("unreadable METAR for %s: %s", icao, exc)
                continue
            if report is None or report.data is None:
                continue
            data, units = report.data, report.units
            sample_kwargs = {
                "provider": self.name, "source": METAR,
                "wind_dir_deg": _direction(data.wind_direction),
                "wind_kt": _wind_kt(data.wind_speed, units.wind_speed),
                "gust_kt": _wind_kt(data.wind_gust, units.wind_speed),
                "visibility_sm": _visibility_sm(data.visibility, units.visibility),
                "clouds": _clouds(data.clouds),
                "temperature_c": _number(data.temperature), "dewpoint_c": _number(data.dewpoint),
                "phenomena": _codes(data.wx_codes), "issued_at": observed,
            }
            hours = {}
            hour = floor_hour(now)
            while hour < now + HOUR:
                hours[hour] = HourlyWeather(valid_at=hour, **sample_kwargs)
                hour += HOUR
            yield icao, hours

    def _taf_hours(self, items: list, *, now: datetime):
        newest: dict[str, dict] = {}
        for item in items:
            if not isinstance(item, dict) or not item.get("icaoId") or not item.get("rawTAF"):
                raise malformed(self.name, "TAF item without icaoId or rawTAF")
            issued = _epoch(item.get("issueTime")) or now
            icao = item["icaoId"].upper()
            if icao not in newest or issued > newest[icao]["_issued"]:
                newest[icao] = {**item, "_issued": issued}
        for icao, item in newest.items():
            issued = item["_issued"]
            try:
                report = Taf.from_report(item["rawTAF"], issued=issued.date())
            except Exception as exc:  # avwx raises several types for a report it cannot read
                logger.warning("unreadable TAF for %s: %s", icao, exc)
                continue
            if report is None or report.data is None or not report.data.forecast:
                continue
            units = report.units
            valid_from = _epoch(item.get("validTimeFrom")) or report.data.start_time.dt
            valid_to = _epoch(item.get("validTimeTo")) or report.data.end_time.dt
            lines = [line for line in report.data.forecast if line.start_time and line.end_time]
            hours = {}
            hour = max(floor_hour(valid_from), floor_hour(now))
            while hour < valid_to:
                active = [ln for ln in lines if ln.start_time.dt < hour + HOUR and ln.end_time.dt > hour]
                if active:
                    hours[hour] = self._worst_of_lines(active, hour=hour, units=units, issued=issued)
                hour += HOUR
            yield icao, hours

    def _worst_of_lines(self, lines, *, hour: datetime, units, issued: datetime) -> HourlyWeather:
        """Base, BECMG, TEMPO and PROB groups active in one hour folded into the worst case for that hour."""
        winds = [(ln, _wind_kt(ln.wind_speed, units.wind_speed)) for ln in lines]
        winds = [(ln, w) for ln, w in winds if w is not None]
        strongest = max(winds, key=lambda pair: pair[1]) if winds else None
        gusts = [g for g in (_wind_kt(ln.wind_gust, units.wind_speed) for ln in lines) if g is not None]
        visibilities = [v for v in (_visibility_sm(ln.visibility, units.visibility) for ln in lines) if v is not None]
        clouds = tuple(layer for ln in lines for layer in _clouds(ln.clouds))
        phenomena = tuple(dict.fromkeys(code for ln in lines for code in _codes(ln.wx_codes)))
        return HourlyWeather(
            provider=self.name, source=TAF, valid_at=hour,
            wind_dir_deg=_direction(strongest[0].wind_direction) if strongest else None,
            wind_kt=strongest[1] if strongest else None,
            gust_kt=max(gusts) if gusts else None,
            visibility_sm=min(visibilities) if visibilities else None,
            clouds=clouds, phenomena=phenomena, issued_at=issued,
        )
