"""Raw METAR/TAF text, or the aviation weather API's JSON items, decoded hour by hour and judged at every level.

What `manage.py decode_weather` prints: the same reading (`aviationweather.metar_sample`/`taf_samples`) and the
same judge (`judging.judge_point`) the monitor uses, so a dispatcher sees exactly what a booking would be
judged on, and a doubtful verdict can be checked against the report itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from weather.judging import Minimums, RoutePoint, judge_point
from weather.providers.aviationweather import AviationWeatherProvider, metar_sample, taf_samples
from weather.providers.base import HourlyWeather, Location

METAR_KIND, TAF_KIND = "METAR", "TAF"
_REPORT_TIME = re.compile(r"^(\d{2})(\d{2})(\d{2})Z$")
_PERIOD = re.compile(r"^\d{4}/\d{4}$")
# A line opening with one of these continues the TAF above it (TAFs are printed one group per line).
_CONTINUES = re.compile(r"^(FM\d{6}|BECMG|TEMPO|INTER|PROB\d{2})\b")


class DecodeError(ValueError):
    """A report this command cannot read; the message says which and why."""


@dataclass(frozen=True)
class Report:
    kind: str  # METAR or TAF
    station: str
    raw: str
    time: datetime  # observed (METAR) or issued (TAF)
    valid_from: datetime | None = None
    valid_to: datetime | None = None


def split_reports(lines: Iterable[str]) -> list[str]:
    """Reports from lines of text: one per line, a TAF's indented or FM/BECMG/TEMPO lines joined to it."""
    reports: list[str] = []
    for line in lines:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        stripped = text.strip()
        continues = (text[:1].isspace() or _CONTINUES.match(stripped)) and reports and \
            not reports[-1].lstrip().startswith(("{", "["))
        if continues:
            reports[-1] = f"{reports[-1]} {stripped}"
        else:
            reports.append(stripped)
    return reports


def _epoch(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC)
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00").replace(" ", "T"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _report_time(tokens: Sequence[str], *, now: datetime) -> datetime:
    """The DDHHMMZ of a raw report as the latest such moment not after now (the month is never written)."""
    for token in tokens[:4]:
        if match := _REPORT_TIME.match(token):
            day, hour, minute = int(match[1]), int(match[2]), int(match[3])
            candidates = []
            for back in range(3):
                year, month = now.year, now.month - back
                while month < 1:
                    year, month = year - 1, month + 12
                try:
                    candidates.append(datetime(year, month, day, hour, minute, tzinfo=UTC))
                except ValueError:
                    continue
            past = [c for c in candidates if c <= now + timedelta(hours=1)]
            if past:
                return max(past)
    raise DecodeError(f"no report time (DDHHMMZ) in {' '.join(tokens[:4])!r}")


def parse_report(text: str, *, now: datetime) -> list[Report]:
    """One input: raw METAR or TAF text, an API item as a JSON object, or a JSON array of items."""
    text = text.strip()
    if text.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise DecodeError(f"not valid JSON: {exc}") from exc
        items = data if isinstance(data, list) else [data]
        return [_from_item(item) for item in items]
    tokens = text.replace("=", " ").split()
    if not tokens:
        raise DecodeError("empty report")
    kind = METAR_KIND
    if tokens[0] in ("TAF", "METAR", "SPECI"):
        kind = TAF_KIND if tokens[0] == "TAF" else METAR_KIND
        tokens = tokens[1:]
    while tokens and tokens[0] in ("AMD", "COR", "RTD"):
        tokens = tokens[1:]
    if any(_PERIOD.match(t) for t in tokens[1:4]):
        kind = TAF_KIND
    if not tokens or not re.match(r"^[A-Z][A-Z0-9]{3}$", tokens[0]):
        raise DecodeError(f"no station (four-letter ICAO code) at the start of {text[:40]!r}")
    raw = text if kind == METAR_KIND or text.startswith("TAF") else f"TAF {text}"
    return [Report(kind, tokens[0], raw, _report_time(tokens, now=now))]


def _from_item(item) -> Report:
    if not isinstance(item, dict) or not isinstance(item.get("icaoId"), str):
        raise DecodeError("a JSON item needs icaoId and rawOb (METAR) or rawTAF (TAF)")
    try:
        if isinstance(item.get("rawTAF"), str):
            issued = _epoch(item.get("issueTime"))
            if issued is None:
                raise DecodeError(f"TAF item for {item['icaoId']} without issueTime")
            return Report(TAF_KIND, item["icaoId"].upper(), item["rawTAF"], issued,
                          _epoch(item.get("validTimeFrom")), _epoch(item.get("validTimeTo")))
        if isinstance(item.get("rawOb"), str):
            observed = _epoch(item.get("obsTime")) or _epoch(item.get("reportTime"))
            if observed is None:
                raise DecodeError(f"METAR item for {item['icaoId']} without obsTime")
            return Report(METAR_KIND, item["icaoId"].upper(), item["rawOb"], observed)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        if isinstance(exc, DecodeError):
            raise
        raise DecodeError(f"item for {item['icaoId']} with an unreadable time: {exc}") from exc
    raise DecodeError(f"item for {item['icaoId']} has neither rawOb nor rawTAF")


def decode_hours(report: Report) -> list[HourlyWeather]:
    """The report's hours, read as the monitor reads them; NIL and CNL reports have none."""
    provider = AviationWeatherProvider.name
    try:
        if report.kind == METAR_KIND:
            sample = metar_sample(report.raw, observed=report.time, provider=provider)
            return [sample] if sample else []
        return [sample for _hour, sample in taf_samples(report.raw, issued=report.time, provider=provider,
                                                        valid_from=report.valid_from, valid_to=report.valid_to)]
    except DecodeError:
        raise
    except Exception as exc:  # avwx raises several types for a report it cannot read
        raise DecodeError(f"unreadable {report.kind} for {report.station}: {type(exc).__name__}: {exc}") from exc


def judge_hours(report: Report, minimums: Sequence[Minimums]) -> list[dict]:
    """Per hour: the decoded values, the flight category, and the verdict with its reasons at each level."""
    location = Location(key=report.station, latitude=0.0, longitude=0.0, icao=report.station)
    point = RoutePoint(location, "departure", report.station, (), "UTC")
    rows = []
    for sample in decode_hours(report):
        verdicts, values = {}, {}
        for level in minimums:
            verdict = judge_point(point, sample.valid_at, [sample], level)
            verdicts[level.training_level] = {"status": verdict.status, "reasons": verdict.reasons}
            values = verdict.values
        rows.append({
            "station": report.station, "kind": report.kind, "hour": sample.valid_at.isoformat(),
            "issued": report.time.isoformat(),
            "values": {
                "wind_dir_deg": sample.wind_dir_deg, "wind_kt": sample.wind_kt, "gust_kt": sample.gust_kt,
                "visibility_sm": sample.visibility_sm,
                "clouds": None if sample.clouds is None else [[c.cover, c.base_ft] for c in sample.clouds],
                "ceiling_ft": values.get("ceiling_ft"), "temperature_c": sample.temperature_c,
                "dewpoint_c": sample.dewpoint_c, "phenomena": list(sample.phenomena),
                "unknown": values.get("unknown", []),
            },
            "category": values.get("category"),
            "verdicts": verdicts,
        })
    return rows


def describe(row: dict) -> str:
    """One hour's values as a dispatcher reads them."""
    v = row["values"]
    unknown = set(v["unknown"])
    if "wind" in unknown:
        wind = "wind unknown"
    elif not v["wind_kt"]:
        wind = "wind calm"
    else:
        direction = "VRB" if v["wind_dir_deg"] is None else f"{v['wind_dir_deg']:03d}"
        wind = f"wind {direction} {v['wind_kt']:g} kt" + (f" gust {v['gust_kt']:g}" if v["gust_kt"] else "")
    visibility = "visibility unknown" if "visibility" in unknown else f"visibility {v['visibility_sm']:g} sm"
    if "ceiling" in unknown:
        ceiling = "ceiling unknown"
    elif v["ceiling_ft"] is None:
        ceiling = "no ceiling"
    else:
        ceiling = f"ceiling {v['ceiling_ft']:.0f} ft"
    clouds = " ".join(f"{cover}{base // 100:03d}" for cover, base in v["clouds"] or ()) or \
        ("clear" if v["clouds"] == [] else "sky not reported")
    parts = [wind, visibility, ceiling, f"({clouds})"]
    if v["phenomena"]:
        parts.append("weather " + " ".join(v["phenomena"]))
    if v["temperature_c"] is not None:
        parts.append(f"temperature {v['temperature_c']:g} °C")
    parts.append(f"category {row['category'] or 'unknown'}")
    return ", ".join(parts)
