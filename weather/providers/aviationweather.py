"""Aviation Weather Center Data API: METAR and TAF as JSON, the raw reports parsed with avwx-engine.

    GET {AVIATIONWEATHER_BASE_URL}/api/data/metar?ids=KPAO,KSQL&format=json
    GET {AVIATIONWEATHER_BASE_URL}/api/data/taf?ids=KPAO,KSQL&format=json

Each METAR item carries `icaoId`, `obsTime` (epoch seconds), `rawOb`; each TAF item `icaoId`, `issueTime`,
`validTimeFrom`/`validTimeTo` (epoch seconds) and `rawTAF`. The raw text is the authority. avwx-engine reads
wind, cloud layers and weather; visibility, whether the sky was reported at all, and the timing of TAF
groups are read from the raw tokens (`report_tokens`), where avwx is wrong or silent. An element a report
lacks, or cannot be read, stays None: unknown, never unlimited.

The METAR stands for the next hour; the TAF for the rest of its validity, hour by hour: the prevailing group
(base, FM, BECMG), during a BECMG change both the old and the new conditions, and every TEMPO, PROB or INTER
group of the hour, worst case. Elements a BECMG or TEMPO group does not restate carry over from the
prevailing group. Each report is read inside its own guard: one that cannot be read is logged and skipped,
and its airport is left to the other providers. Airports only: the AWC has no point forecasts.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings

from weather.providers import report_tokens as tokens_of
from weather.providers.base import (
    KT_PER_MS,
    METAR,
    TAF,
    BatchResult,
    CloudLayer,
    HourlyWeather,
    Location,
    WeatherProvider,
)

if TYPE_CHECKING:
    from avwx import Taf
from weather.providers.http import get_json, malformed

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
PREVAILING = ("FROM", "BECMG")
_PERIOD = re.compile(r"^(\d{2})(\d{2})/(\d{2})(\d{2})$")
_FROM = re.compile(r"^FM(\d{2})(\d{2})(\d{2})$")


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _number(value) -> float | None:
    """An avwx Number as a float; `P49KT`-style bounds count as the bound."""
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


def _wind_kt(value, unit: str) -> float | None:
    number = _number(value)
    if number is None:
        return None
    if unit in ("m/s", "mps"):
        return round(number * KT_PER_MS, 1)
    if unit in ("km/h", "kph", "kmh"):
        return round(number / 1.852, 1)
    return number


def _direction(value) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _codes(wx_codes) -> tuple[str, ...]:
    return tuple(code.repr.lstrip("+-") for code in wx_codes)


def _epoch(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC)
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Elements:
    """What one report or forecast group says. None is unknown; for a change group it is "not restated"."""

    wind: tuple[int | None, float, float | None] | None = None  # direction (None: variable), speed, gust
    visibility_sm: float | None = None
    clouds: tuple[CloudLayer, ...] | None = None  # () is a sky reported clear
    phenomena: tuple[str, ...] | None = None

    def over(self, prevailing: Elements) -> Elements:
        """This group's elements, the ones it does not restate carried over from the prevailing group."""
        return Elements(
            wind=self.wind if self.wind is not None else prevailing.wind,
            visibility_sm=self.visibility_sm if self.visibility_sm is not None else prevailing.visibility_sm,
            clouds=self.clouds if self.clouds is not None else prevailing.clouds,
            phenomena=self.phenomena if self.phenomena is not None else prevailing.phenomena,
        )


def read_elements(raw: str, *, wind_speed, wind_gust, wind_direction, wx_codes, wind_unit: str,
                  observation: bool = False) -> Elements:
    """The elements of one METAR or TAF group: wind and weather from avwx, visibility and sky from the raw tokens."""
    tokens = tokens_of.body_tokens(raw, observation=observation)
    speed = _wind_kt(wind_speed, wind_unit)
    wind = None if speed is None else (_direction(wind_direction), speed, _wind_kt(wind_gust, wind_unit))
    visibility = tokens_of.read_visibility(tokens)
    sky = None
    if tokens_of.sky_stated(tokens) and not tokens_of.ceiling_base_missing(tokens):
        sky = tuple(CloudLayer(cover=cover, base_ft=base) for cover, base in tokens_of.read_layers(tokens))
    if wx_codes:
        phenomena = _codes(wx_codes)
    elif tokens_of.weather_cleared(tokens):
        phenomena = ()
    else:
        phenomena = None
    return Elements(wind=wind, visibility_sm=visibility.statute_miles if visibility else None, clouds=sky,
                    phenomena=phenomena)


def _worst(states: Sequence[Elements]) -> Elements:
    """Several sets of conditions possible in one hour folded into the worst; unknown in any is unknown."""
    winds = [s.wind for s in states]
    visibilities = [s.visibility_sm for s in states]
    skies = [s.clouds for s in states]
    wind = None
    if winds and None not in winds:
        strongest = max(winds, key=lambda w: w[1])
        gusts = [w[2] for w in winds if w[2] is not None]
        wind = (strongest[0], strongest[1], max(gusts) if gusts else None)
    return Elements(
        wind=wind,
        visibility_sm=min(visibilities) if visibilities and None not in visibilities else None,
        clouds=tuple(dict.fromkeys(layer for sky in skies for layer in sky))
        if skies and None not in skies else None,
        phenomena=tuple(dict.fromkeys(code for s in states for code in s.phenomena or ())),
    )


def _sample(elements: Elements, **kwargs) -> HourlyWeather:
    wind = elements.wind
    return HourlyWeather(
        wind_dir_deg=wind[0] if wind else None, wind_kt=wind[1] if wind else None,
        gust_kt=wind[2] if wind else None, visibility_sm=elements.visibility_sm, clouds=elements.clouds,
        phenomena=elements.phenomena or (), **kwargs,
    )


def _day_hour(day: int, hour: int, *, near: datetime) -> datetime:
    """A TAF's DDHH as the first such moment from an hour before `near` on: the month is never written, and
    a group timed before its TAF's validity is a typing error, not last month's weather."""
    candidates = []
    for months_back in (-1, 0, 1):
        year, month = near.year, near.month + months_back
        if month == 0:
            year, month = year - 1, 12
        elif month == 13:
            year, month = year + 1, 1
        try:
            candidates.append(datetime(year, month, day, tzinfo=UTC) + timedelta(hours=hour))
        except ValueError:
            continue  # the 31st of a 30-day month
    candidates = [moment for moment in candidates if moment >= near - HOUR]
    if not candidates:
        raise ValueError(f"no such day {day:02d}")
    return min(candidates)


def _group_kind(tokens: list[str]) -> str:
    """The change indicator a group opens with (avwx calls a lone `PROB40 3003/3007` group FROM)."""
    first = tokens[0] if tokens else ""
    if first.startswith("PROB"):
        return "PROB"
    if first in ("BECMG", "TEMPO", "INTER"):
        return first
    return "FROM"  # the base conditions or an FM group


@dataclass(frozen=True)
class TafGroup:
    kind: str  # FROM (base or FM), BECMG, TEMPO, PROB or INTER
    start: datetime  # for BECMG: when the change begins
    end: datetime | None  # for BECMG: when it is complete; for FROM: until the next prevailing group
    elements: Elements
    probability: int | None = None  # PROB30 / PROB40: the forecaster's chance, in per cent


def taf_groups(report: Taf, *, valid_from: datetime, valid_to: datetime) -> list[TafGroup]:
    """The forecast groups of a TAF with times read from the raw groups (avwx stretches TEMPO/INTER periods)."""
    groups = []
    units = report.units.wind_speed
    for line in report.data.forecast:
        tokens = line.raw.replace("=", " ").split()
        start = end = None
        for token in tokens:
            if match := _FROM.match(token):
                start = _day_hour(int(match[1]), int(match[2]), near=valid_from) + timedelta(minutes=int(match[3]))
                break
            if match := _PERIOD.match(token):
                start = _day_hour(int(match[1]), int(match[2]), near=valid_from)
                end = _day_hour(int(match[3]), int(match[4]), near=valid_from)
                break
        if start is None:
            continue  # a fragment with no time of its own (an issue time without its Z), nothing to place
        kind = _group_kind(tokens)
        elements = read_elements(line.raw, wind_speed=line.wind_speed, wind_gust=line.wind_gust,
                                 wind_direction=line.wind_direction, wx_codes=line.wx_codes,
                                 wind_unit=units)
        if kind == "FROM" and elements.phenomena is None:
            elements = replace(elements, phenomena=())  # a base or FM group states all of its weather
        probability = None
        if kind == "PROB" and tokens[0][4:].isdigit():
            probability = int(tokens[0][4:])
        groups.append(TafGroup(kind, start, end if kind != "FROM" else None, elements, probability))
    return groups


def taf_probabilities(groups: Sequence[TafGroup]) -> dict[datetime, int]:
    """For each hour a PROB group covers, its probability (the highest, where two overlap): the worst case
    of that hour rests on conditions the forecaster gives only that chance."""
    found: dict[datetime, int] = {}
    for group in groups:
        if group.probability is None or group.end is None:
            continue
        hour = floor_hour(group.start)
        while hour < group.end:
            found[hour] = max(found.get(hour, 0), group.probability)
            hour += HOUR
    return found


def taf_hours(groups: Sequence[TafGroup], *, first_hour: datetime, valid_to: datetime):
    """(hour, worst elements) for every hour of the validity that some group covers."""
    # The prevailing conditions as a sequence of states, each possibly in force over [since, until).
    states: list[list] = []  # [since, until, elements]
    current = Elements()
    for group in (g for g in groups if g.kind in PREVAILING):
        new = group.elements.over(current)
        if group.kind == "BECMG":
            complete = group.end or group.start
            if states:
                states[-1][1] = complete  # the old conditions may last until the change is complete
            states.append([group.start, None, new])
        else:
            if states:
                states[-1][1] = group.start
            states.append([group.start, None, new])
        current = new
    temporary = [g for g in groups if g.kind not in PREVAILING]
    hour = first_hour
    while hour < valid_to:
        end = hour + HOUR
        prevailing = [state for since, until, state in states if since < end and (until is None or until > hour)]
        candidates = list(prevailing)
        base = _worst(prevailing) if prevailing else Elements()
        for group in temporary:
            if group.start < end and (group.end is None or group.end > hour):
                candidates.append(group.elements.over(base))
        if candidates:
            yield hour, _worst(candidates)
        hour = end


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

    def _newest(self, items: list, *, raw_key: str, time_keys: tuple[str, ...], now: datetime) -> dict[str, dict]:
        newest: dict[str, dict] = {}
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("icaoId"), str) \
                    or not isinstance(item.get(raw_key), str):
                logger.warning("%s item without icaoId or %s skipped", self.name, raw_key)
                continue
            try:
                moment = next((m for m in (_epoch(item.get(k)) for k in time_keys) if m), None)
            except (TypeError, ValueError, OverflowError, OSError):
                logger.warning("%s item for %s with an unreadable time skipped", self.name, item["icaoId"])
                continue
            icao = item["icaoId"].upper()
            if icao not in newest or (moment and moment > newest[icao]["_time"]):
                newest[icao] = {**item, "_time": moment or now}
        return newest

    def _metar_hours(self, items: list, *, now: datetime):
        for icao, item in self._newest(items, raw_key="rawOb", time_keys=("obsTime", "reportTime"),
                                       now=now).items():
            observed = item["_time"]
            if now - observed > timedelta(hours=3):
                continue  # an old observation says nothing about the next hour
            try:
                sample = metar_sample(item["rawOb"], observed=observed, provider=self.name)
            except Exception as exc:  # avwx raises several types for a report it cannot read
                logger.warning("unreadable METAR for %s skipped: %s: %s", icao, type(exc).__name__, exc)
                continue
            if sample is None:
                continue
            hours = {}
            hour = floor_hour(now)
            while hour < now + HOUR:
                hours[hour] = replace(sample, valid_at=hour)
                hour += HOUR
            yield icao, hours

    def _taf_hours(self, items: list, *, now: datetime):
        for icao, item in self._newest(items, raw_key="rawTAF", time_keys=("issueTime",), now=now).items():
            try:
                hours = dict(taf_samples_of_hour(item["rawTAF"], issued=item["_time"], provider=self.name,
                                                 hour=floor_hour(now), valid_from=_epoch(item.get("validTimeFrom")),
                                                 valid_to=_epoch(item.get("validTimeTo"))))
            except Exception as exc:  # avwx raises several types for a report it cannot read
                logger.warning("unreadable TAF for %s skipped: %s: %s", icao, type(exc).__name__, exc)
                continue
            if hours:
                yield icao, hours


_first_report = threading.Lock()
_stations_read = threading.Event()


def _avwx_report(kind, raw: str, *, issued):
    """`kind.from_report` (avwx's Metar or Taf). avwx reads its station table, 44,000 stations in 67 MB of JSON
    (about a second of CPU, holding the interpreter lock), the first time a report names a station, and every
    thread that parses its first report before that read ends reads it again: the fetch's threads parse their
    first METARs at the same moment. The first report is parsed by one thread while the others wait for it."""
    if _stations_read.is_set():
        return kind.from_report(raw, issued=issued)
    with _first_report:
        try:
            return kind.from_report(raw, issued=issued)
        finally:
            _stations_read.set()


def metar_sample(raw: str, *, observed: datetime, provider: str = AviationWeatherProvider.name) -> HourlyWeather | None:
    """One METAR as the weather of its hour; None for a NIL report, which observed nothing."""
    if tokens_of.is_nil_or_cancelled(raw):
        return None
    from avwx import Metar  # avwx loads its station data at import: only what parses a report pays for it

    report = _avwx_report(Metar, raw, issued=observed.date())
    if report is None or report.data is None:
        raise ValueError("avwx read nothing")
    data = report.data
    elements = read_elements(raw, wind_speed=data.wind_speed, wind_gust=data.wind_gust,
                             wind_direction=data.wind_direction, wx_codes=data.wx_codes,
                             wind_unit=report.units.wind_speed, observation=True)
    # The remarks' T-group gives tenths of a degree (T00041006 is +0.4 / -0.6 °C): the body rounds to whole ones,
    # and at freezing that rounding decides whether rain counts as icing.
    remarks = data.remarks_info
    temperature = _number(remarks.temperature_decimal) if remarks and remarks.temperature_decimal else None
    dewpoint = _number(remarks.dewpoint_decimal) if remarks and remarks.dewpoint_decimal else None
    return _sample(elements, provider=provider, source=METAR, valid_at=floor_hour(observed),
                   temperature_c=temperature if temperature is not None else _number(data.temperature),
                   dewpoint_c=dewpoint if dewpoint is not None else _number(data.dewpoint), issued_at=observed)


def _validity(raw: str, *, issued: datetime, valid_from: datetime | None, valid_to: datetime | None):
    """The TAF's own DDHH/DDHH validity, dated from the issue time (avwx gives up on an issue time without Z)."""
    for token in raw.replace("=", " ").split():
        if match := _PERIOD.match(token):
            # An amended TAF may be issued after its validity began; never by more than a few hours.
            start = _day_hour(int(match[1]), int(match[2]), near=floor_hour(issued) - timedelta(hours=6))
            end = _day_hour(int(match[3]), int(match[4]), near=start + HOUR)
            return valid_from or start, valid_to or end
    raise ValueError("no validity period")


@functools.lru_cache(maxsize=4096)
def taf_samples_of_hour(raw: str, *, issued: datetime, provider: str, hour: datetime, valid_from: datetime | None,
                        valid_to: datetime | None) -> tuple:
    """`taf_samples` from `hour` on, remembered: a TAF stands unchanged for hours and every sweep in that clock
    hour reads the same hours from it (reading one costs milliseconds of avwx and group timing, 200 airports'
    worth on every sweep). The samples are frozen dataclasses, safe to share."""
    return tuple(taf_samples(raw, issued=issued, provider=provider, now=hour, valid_from=valid_from,
                             valid_to=valid_to))


def taf_samples(raw: str, *, issued: datetime, provider: str = AviationWeatherProvider.name,
                now: datetime | None = None, valid_from: datetime | None = None, valid_to: datetime | None = None):
    """(hour, HourlyWeather) for each hour of a TAF's validity from `now` on; nothing for NIL or CNL."""
    if tokens_of.is_nil_or_cancelled(raw):
        return
    from avwx import Taf

    report = _avwx_report(Taf, raw, issued=issued.date())
    if report is None or report.data is None or not report.data.forecast:
        raise ValueError("avwx read no forecast groups")
    if valid_from is None or valid_to is None:
        valid_from, valid_to = _validity(raw, issued=issued, valid_from=valid_from, valid_to=valid_to)
    groups = taf_groups(report, valid_from=valid_from, valid_to=valid_to)
    first = floor_hour(valid_from) if now is None else max(floor_hour(valid_from), floor_hour(now))
    probabilities = taf_probabilities(groups)
    for hour, elements in taf_hours(groups, first_hour=first, valid_to=valid_to):
        yield hour, _sample(elements, provider=provider, source=TAF, valid_at=hour, issued_at=issued,
                            probability=probabilities.get(hour))
