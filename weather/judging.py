"""Judging forecasts against a pilot's minimums, the way the contract (section 4) and a pilot read them.

Pure functions over typed provider results: no database, no HTTP. The monitor and `window_verdicts`
feed them from fresh answers and from stored forecasts respectively.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property, lru_cache

from bookings.models import WeatherStatus
from weather.daylight import night_reason
from weather.geo import airport_location, corridor_points, format_point, point_location
from weather.providers.base import CEILING_COVERS, METAR, TAF, HourlyWeather, Location

# The verdict words are the booking's weather statuses, as plain strings for the pure functions below.
OK, MARGINAL, UNKNOWN, CONFLICT = (status.value for status in (WeatherStatus.OK, WeatherStatus.MARGINAL,
                                                                WeatherStatus.UNKNOWN, WeatherStatus.CONFLICT))
HOUR = timedelta(hours=1)
PRE_FLIGHT = timedelta(minutes=30)
MARGIN = 0.10  # "marginal": passes, but within 10 % of a limit
FT_PER_DEGREE_SPREAD = 400
VFR_CEILING_FT = 1000
VFR_VISIBILITY_SM = 3.0
PRECIPITATION = ("RA", "DZ", "SN", "SG", "PL", "GR", "GS", "IC", "UP")

DEFAULT_MINIMUMS = {
    "student_pilot": {"ceiling_ft": 3000, "visibility_sm": 5, "wind_kt": 10, "gust_kt": 15, "crosswind_kt": 8,
                      "imc_allowed": False, "night_allowed": False},
    "private_pilot": {"ceiling_ft": 1000, "visibility_sm": 3, "wind_kt": 20, "gust_kt": 25, "crosswind_kt": 15,
                      "imc_allowed": False, "night_allowed": True},
    "instrument_rated": {"ceiling_ft": 200, "visibility_sm": 0.5, "wind_kt": 30, "gust_kt": 35, "crosswind_kt": 20,
                         "imc_allowed": True, "night_allowed": True},
}
# What a solo lesson adds to its level's minimums: more visibility and ceiling, less wind, gust and crosswind.
DEFAULT_SOLO_MARGINS = {"solo_visibility_margin_sm": 1.0, "solo_ceiling_margin_ft": 500, "solo_wind_margin_kt": 2}


@dataclass(frozen=True)
class Minimums:
    """A level's minimums, and once `for_flight` has applied them, what one flight is judged by.

    The flight's own part (solo margin, the aircraft's crosswind limit and IFR equipment, a night
    endorsement) is stored with every check next to the level's values, so a check says what it applied.
    """

    training_level: str
    ceiling_ft: float
    visibility_sm: float
    wind_kt: float
    gust_kt: float
    crosswind_kt: float
    imc_allowed: bool
    night_allowed: bool = True
    solo_visibility_margin_sm: float = DEFAULT_SOLO_MARGINS["solo_visibility_margin_sm"]
    solo_ceiling_margin_ft: float = DEFAULT_SOLO_MARGINS["solo_ceiling_margin_ft"]
    solo_wind_margin_kt: float = DEFAULT_SOLO_MARGINS["solo_wind_margin_kt"]
    # Set by for_flight:
    solo: bool = False
    night_endorsed: bool = False
    aircraft: str = ""  # tail number of the aircraft judged, when one was
    aircraft_crosswind_kt: float | None = None  # its maximum demonstrated crosswind
    ifr_equipped: bool | None = None  # None: no aircraft given, equipment not judged
    crosswind_from_aircraft: bool = False

    @classmethod
    def from_model(cls, row) -> Minimums:
        return cls(training_level=row.training_level, ceiling_ft=row.ceiling_ft, visibility_sm=float(row.visibility_sm),
                   wind_kt=row.wind_kt, gust_kt=row.gust_kt, crosswind_kt=row.crosswind_kt,
                   imc_allowed=row.imc_allowed, night_allowed=row.night_allowed,
                   solo_visibility_margin_sm=float(row.solo_visibility_margin_sm),
                   solo_ceiling_margin_ft=row.solo_ceiling_margin_ft, solo_wind_margin_kt=row.solo_wind_margin_kt)

    @classmethod
    def default(cls, training_level: str) -> Minimums:
        return cls(training_level=training_level, **DEFAULT_MINIMUMS[training_level])

    def for_flight(self, *, solo: bool = False, aircraft=None, night_endorsed: bool = False) -> Minimums:
        """The minimums one flight is judged by: the solo margin on top of the level's values, and the
        crosswind limit the lower of the level's and the aircraft's maximum demonstrated crosswind."""
        values = {"solo": bool(solo), "night_endorsed": bool(night_endorsed)}
        crosswind = self.crosswind_kt
        if solo:
            values.update(visibility_sm=self.visibility_sm + self.solo_visibility_margin_sm,
                          ceiling_ft=self.ceiling_ft + self.solo_ceiling_margin_ft,
                          wind_kt=max(0, self.wind_kt - self.solo_wind_margin_kt),
                          gust_kt=max(0, self.gust_kt - self.solo_wind_margin_kt))
            crosswind = max(0, crosswind - self.solo_wind_margin_kt)
        if aircraft is not None:
            limit = getattr(aircraft, "max_crosswind_kt", None)
            values.update(aircraft=aircraft.tail_number, ifr_equipped=bool(getattr(aircraft, "ifr_equipped", False)),
                          aircraft_crosswind_kt=None if limit is None else float(limit))
            if limit is not None and limit < crosswind:
                crosswind = float(limit)
                values["crosswind_from_aircraft"] = True
        values["crosswind_kt"] = crosswind
        return replace(self, **values)

    @property
    def night_permitted(self) -> bool:
        return self.night_allowed or self.night_endorsed

    @property
    def label(self) -> str:
        """Who the limits are for, as the reasons say it: `student_pilot`, `private_pilot solo`."""
        return f"{self.training_level} solo" if self.solo else self.training_level

    def as_dict(self) -> dict:
        return {"training_level": self.training_level, "ceiling_ft": self.ceiling_ft,
                "visibility_sm": self.visibility_sm, "wind_kt": self.wind_kt, "gust_kt": self.gust_kt,
                "crosswind_kt": self.crosswind_kt, "imc_allowed": self.imc_allowed,
                "night_allowed": self.night_allowed, "solo_visibility_margin_sm": self.solo_visibility_margin_sm,
                "solo_ceiling_margin_ft": self.solo_ceiling_margin_ft, "solo_wind_margin_kt": self.solo_wind_margin_kt,
                "solo": self.solo, "night_endorsed": self.night_endorsed,
                "aircraft": self.aircraft, "aircraft_crosswind_kt": self.aircraft_crosswind_kt,
                "ifr_equipped": self.ifr_equipped, "crosswind_from_aircraft": self.crosswind_from_aircraft}


@dataclass(frozen=True)
class RoutePoint:
    location: Location
    role: str  # departure, destination or corridor
    label: str
    runway_headings: tuple[int, ...] = ()
    time_zone: str = "UTC"
    along_nm: float = 0.0


def route_points(departure, destination) -> list[RoutePoint]:
    """Departure, corridor points every 25 nm along the great circle, destination (once, for a local flight)."""
    points = [RoutePoint(airport_location(departure), "departure", departure.icao,
                         tuple(departure.runway_headings or ()), departure.time_zone or "UTC")]
    if destination.icao == departure.icao:
        return points
    seen = {departure.icao, destination.icao}
    for lat, lon, along in corridor_points(departure.latitude, departure.longitude,
                                           destination.latitude, destination.longitude):
        loc = point_location(lat, lon)
        if loc.key in seen:
            continue
        seen.add(loc.key)
        points.append(RoutePoint(loc, "corridor", f"{format_point(loc.latitude, loc.longitude)} "
                                 f"({along:.0f} nm from {departure.icao})", (), departure.time_zone or "UTC",
                                 along))
    points.append(RoutePoint(airport_location(destination), "destination", destination.icao,
                             tuple(destination.runway_headings or ()), destination.time_zone or "UTC"))
    return points


def window_hours(start: datetime, end: datetime) -> list[datetime]:
    """The hours that overlap the booking's own window: 30 minutes before start until the end."""
    hour = (start - PRE_FLIGHT).replace(minute=0, second=0, microsecond=0)
    hours = []
    while hour < end:
        hours.append(hour)
        hour += HOUR
    return hours


def ceiling_of(sample: HourlyWeather) -> tuple[float | None, bool]:
    """(ceiling ft AGL or None for unlimited, estimated?) from layers, else from cloud cover and spread.

    Only meaningful where `ceiling_known(sample)`; an unknown sky also answers (None, False)."""
    layers = [layer.base_ft for layer in sample.clouds or () if layer.cover in CEILING_COVERS]
    if layers:
        return float(min(layers)), False
    if sample.clouds or sample.cloud_pct is None or sample.cloud_pct < 50:
        return None, False
    if sample.temperature_c is None or sample.dewpoint_c is None:
        return None, False
    spread = max(0.0, sample.temperature_c - sample.dewpoint_c)
    return round(spread * FT_PER_DEGREE_SPREAD), True


def ceiling_known(sample: HourlyWeather) -> bool:
    """Whether the sample says where the ceiling is (or that there is none); a sky nobody reported does not."""
    if sample.clouds:
        return True
    if sample.cloud_pct is not None:
        # Broken cover with no temperature spread to estimate its base from is a ceiling of unknown height.
        return sample.cloud_pct < 50 or (sample.temperature_c is not None and sample.dewpoint_c is not None)
    return sample.clouds is not None


def runway_name(heading: int) -> str:
    number = round(heading / 10) % 36 or 36
    return f"{number:02d}"


def crosswind(wind_dir: int | None, speed_kt: float | None, runway_headings: Sequence[int]):
    """(crosswind kt, runway) on the runway end that minimises it; None when no runway is known."""
    if not runway_headings or speed_kt is None:
        return None
    if speed_kt == 0:
        return 0.0, runway_name(runway_headings[0])
    if wind_dir is None:  # variable: any runway may see all of it
        return float(speed_kt), "variable"
    best = None
    for heading in runway_headings:
        angle = math.radians(wind_dir - heading)
        cross = abs(speed_kt * math.sin(angle))
        head = speed_kt * math.cos(angle)
        key = (head < -0.01, cross)  # an end with a headwind beats one with a tailwind
        if best is None or key < best[0]:
            best = (key, round(cross, 1), runway_name(heading))
    return best[1], best[2]


def flight_category(ceiling_ft: float | None, visibility_sm: float | None) -> str:
    """VFR, MVFR, IFR or LIFR; None for either value means unlimited here (see `known_category`)."""
    ceiling = math.inf if ceiling_ft is None else ceiling_ft
    visibility = math.inf if visibility_sm is None else visibility_sm
    if ceiling < 500 or visibility < 1:
        return "LIFR"
    if ceiling < 1000 or visibility < 3:
        return "IFR"
    if ceiling <= 3000 or visibility <= 5:
        return "MVFR"
    return "VFR"


def known_category(ceiling_ft: float | None, visibility_sm: float | None, *, ceiling_is_known: bool = True,
                   visibility_is_known: bool = True) -> str | None:
    """The flight category, or None when an unknown element could still change it.

    An unknown ceiling with a visibility under 1 sm is LIFR whatever the sky: that much is known."""
    best = flight_category(ceiling_ft if ceiling_is_known else None,
                           visibility_sm if visibility_is_known else None)
    worst = flight_category(ceiling_ft if ceiling_is_known else 0, visibility_sm if visibility_is_known else 0)
    return best if best == worst else None


def is_thunderstorm(code: str) -> bool:
    return "TS" in code


def icing_codes(phenomena: Iterable[str], temperature_c: float | None) -> list[str]:
    """Freezing precipitation, ice pellets, or precipitation at or below 0 °C."""
    found = []
    for code in phenomena:
        freezing = code.startswith("FZ") and any(p in code for p in ("RA", "DZ"))
        cold_precipitation = (temperature_c is not None and temperature_c <= 0
                              and any(p in code for p in PRECIPITATION))
        if freezing or "PL" in code or cold_precipitation:
            found.append(code)
    return found


def _fmt(value: float) -> str:
    return f"{round(value, 1):g}"


def _fmt_vis(value: float) -> str:
    # Below the lowest minimum the fractions matter (1/4, 3/16 sm): one decimal would print 1/4 sm as 0.2.
    if value < 0.5:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.1f}"


@dataclass
class PointVerdict:
    status: str
    reasons: list[str]
    values: dict

    @cached_property
    def shown(self) -> dict:
        """The values a check stores for this place and hour (without the `_` keys used while judging): built once
        and shared by every window that reuses the verdict, so none of them may change it."""
        return {k: val for k, val in self.values.items() if not k.startswith("_")}


@dataclass
class WindowJudgement:
    status: str
    reasons: list[str]
    points: list[dict]
    agreement: dict
    answered: list[str]
    missing: int = 0
    confidence: dict | None = None


def _merge(samples: Sequence[HourlyWeather], runways: Sequence[int]) -> dict:
    """Each parameter takes the most restrictive value among the providers (and TAF groups) that answered."""
    winds = [s.wind_kt for s in samples if s.wind_kt is not None]
    gusts = [s.gust_kt for s in samples if s.gust_kt is not None]
    visibilities = [s.visibility_sm for s in samples if s.visibility_sm is not None]
    sky_known = [s for s in samples if ceiling_known(s)]
    ceilings = [(c, est) for c, est in (ceiling_of(s) for s in sky_known) if c is not None]
    temps = [s.temperature_c for s in samples if s.temperature_c is not None]
    dews = [s.dewpoint_c for s in samples if s.dewpoint_c is not None]
    phenomena = list(dict.fromkeys(code for s in samples for code in s.phenomena))
    # What no provider gave is unknown, never unlimited; what one gave counts by the most-restrictive rule.
    unknown = [name for name, known in (("visibility", visibilities), ("ceiling", sky_known), ("wind", winds))
               if not known]
    crosswinds = []
    for s in samples:
        speed = max([v for v in (s.wind_kt, s.gust_kt) if v is not None], default=None)
        cw = crosswind(s.wind_dir_deg, speed, runways)
        if cw is not None:
            crosswinds.append(cw)
    strongest = max((s for s in samples if s.wind_kt is not None), key=lambda s: s.wind_kt, default=None)
    ceiling = min(ceilings, key=lambda pair: pair[0]) if ceilings else (None, False)
    worst_cw = max(crosswinds, key=lambda pair: pair[0]) if crosswinds else None
    return {
        "wind_dir_deg": strongest.wind_dir_deg if strongest else None,
        "wind_kt": max(winds) if winds else None,
        "gust_kt": max(gusts) if gusts else None,
        "crosswind_kt": worst_cw[0] if worst_cw else None,
        "crosswind_runway": worst_cw[1] if worst_cw else None,
        "visibility_sm": min(visibilities) if visibilities else None,
        "ceiling_ft": ceiling[0],
        "ceiling_estimated": ceiling[1],
        "temperature_c": min(temps) if temps else None,
        "dewpoint_c": max(dews) if dews else None,
        "phenomena": phenomena,
        "unknown": unknown,
    }


def judge_point(point: RoutePoint, hour: datetime, samples: Sequence[HourlyWeather],
                minimums: Minimums) -> PointVerdict:
    where = f"at {point.label} {hour:%H:%M}Z"
    level = minimums.label
    local = hour.astimezone(zoneinfo.ZoneInfo(point.time_zone)).isoformat()
    base = {"location": point.location.key, "label": point.label, "role": point.role,
            "latitude": point.location.latitude, "longitude": point.location.longitude,
            "hour": hour.isoformat(), "local_time": local}
    if not samples:
        return PointVerdict(UNKNOWN, [f"no forecast from any provider {where}"],
                            {**base, "status": UNKNOWN, "providers": [], "sources": [], "category": None,
                             "confidence": None, "_agreement": None})
    v = _merge(samples, point.runway_headings)
    conflicts: list[str] = []
    marginals: list[str] = []

    def at_least(name: str, value, limit, unit: str, text: str):
        if value < limit:
            conflicts.append(f"{name} {text} {unit} below {_fmt(limit)} {unit} ({level}) {where}")
        elif value < limit * (1 + MARGIN):
            marginals.append(f"{name} {text} {unit} within 10% of {_fmt(limit)} {unit} ({level}) {where}")

    def at_most(name: str, value, limit, extra: str = "", who: str = level):
        if value is None:
            return
        if value > limit:
            conflicts.append(f"{name} {_fmt(value)} kt{extra} above {_fmt(limit)} kt ({who}) {where}")
        elif value > limit * (1 - MARGIN):
            marginals.append(f"{name} {_fmt(value)} kt{extra} within 10% of {_fmt(limit)} kt ({who}) {where}")

    for code in v["phenomena"]:
        if is_thunderstorm(code):
            conflicts.append(f"thunderstorm ({code}) {where}")
    for code in icing_codes(v["phenomena"], v["temperature_c"]):
        if code.startswith("FZ") or "PL" in code:
            conflicts.append(f"icing ({code}) {where}")
        else:
            conflicts.append(f"icing ({code} at {_fmt(v['temperature_c'])} °C) {where}")
    unknowns = [f"{name} unknown: not reported or unreadable {where}" for name in v["unknown"]]
    if v["visibility_sm"] is not None:
        at_least("visibility", v["visibility_sm"], minimums.visibility_sm, "sm", _fmt_vis(v["visibility_sm"]))
    if v["ceiling_ft"] is not None:
        name = "ceiling (estimated)" if v["ceiling_estimated"] else "ceiling"
        at_least(name, v["ceiling_ft"], minimums.ceiling_ft, "ft", f"{v['ceiling_ft']:.0f}")
    at_most("wind", v["wind_kt"], minimums.wind_kt)
    at_most("gust", v["gust_kt"], minimums.gust_kt)
    if v["crosswind_kt"] is not None:
        runway = v["crosswind_runway"]
        # The aircraft's maximum demonstrated crosswind, where it is the lower limit, is what the pilot is told.
        who = f"{minimums.aircraft} maximum demonstrated" if minimums.crosswind_from_aircraft else level
        at_most("crosswind", v["crosswind_kt"], minimums.crosswind_kt,
                " (variable wind)" if runway == "variable" else f" on runway {runway}", who)
    category = known_category(v["ceiling_ft"], v["visibility_sm"], ceiling_is_known="ceiling" not in v["unknown"],
                              visibility_is_known="visibility" not in v["unknown"])
    imc = ((v["ceiling_ft"] is not None and v["ceiling_ft"] < VFR_CEILING_FT)
           or (v["visibility_sm"] is not None and v["visibility_sm"] < VFR_VISIBILITY_SM))
    if imc and not minimums.imc_allowed and not any(r.startswith(("visibility", "ceiling")) for r in conflicts):
        conflicts.append(f"IMC ({category or 'IFR or worse'}) not allowed ({level}) {where}")
    elif imc and minimums.imc_allowed and minimums.ifr_equipped is False:
        conflicts.append(f"IMC ({category or 'IFR or worse'}) needs an IFR-equipped aircraft: {minimums.aircraft} "
                         f"is VFR only ({level}) {where}")
    crosswind_note = None
    if not point.runway_headings and point.role != "corridor":
        crosswind_note = "runway headings unknown: crosswind not judged"
    # A verdict that rests on an unknown element is at best unknown; a known conflict still grounds the flight.
    status = CONFLICT if conflicts else UNKNOWN if unknowns else MARGINAL if marginals else OK
    agreement = _agreement(samples)
    values = {**base, **v, "category": category, "status": status,
              "providers": sorted({s.provider for s in samples}), "sources": sorted({s.source for s in samples}),
              "imc": imc, "confidence": hour_confidence(samples, agreement), "_agreement": agreement}
    if crosswind_note:
        values["note"] = crosswind_note
    return PointVerdict(status, conflicts + unknowns + marginals, values)


# How far a judged hour can be trusted, from 0 to 1: an observation most, a TAF inside its validity less,
# an hourly model forecast less again and less the further ahead it looks; disagreement between providers
# and a TAF PROB group lower it further.
CONFIDENCE_OBSERVATION = 0.95
CONFIDENCE_TAF = 0.8
CONFIDENCE_MODEL = 0.7
CONFIDENCE_MODEL_PER_HOUR = 0.004
CONFIDENCE_MODEL_UNDATED = 0.5
CONFIDENCE_FLOOR = 0.1
SPREAD_PENALTY_PER_SM = 0.1
SPREAD_PENALTY_PER_KT = 0.01
SPREAD_PENALTY_PER_1000_FT = 0.05
SPREAD_PENALTY_MAX = 0.4
CONFIDENCE_LEVELS = ((0.85, "high", "firm"), (0.6, "medium", "likely"), (0.0, "low", "uncertain"))


def confidence_level(score: float) -> tuple[str, str]:
    """(level, word) for a confidence score: high/firm, medium/likely, low/uncertain."""
    for floor, level, word in CONFIDENCE_LEVELS:
        if score >= floor:
            return level, word
    return CONFIDENCE_LEVELS[-1][1:]


def hour_confidence(samples: Sequence[HourlyWeather], agreement: dict | None) -> dict | None:
    """How much to trust one place and hour, with the reasons in words: `{score, level, word, basis}`."""
    if not samples:
        return None
    sources = {s.source for s in samples}
    if METAR in sources:
        score, basis = CONFIDENCE_OBSERVATION, ["observation (METAR)"]
    elif TAF in sources:
        score, basis = CONFIDENCE_TAF, ["TAF, within its validity"]
    else:
        leads = [(s.valid_at - s.issued_at).total_seconds() / 3600 for s in samples if s.issued_at is not None]
        if leads:
            lead = float(int(max(0.0, min(leads))))  # whole hours: the score moves with the model run, not the clock
            score = CONFIDENCE_MODEL - CONFIDENCE_MODEL_PER_HOUR * lead
            basis = [f"model forecast {lead:.0f} h ahead"]
        else:
            score, basis = CONFIDENCE_MODEL_UNDATED, ["model forecast"]
    probability = max((s.probability for s in samples if s.probability), default=None)
    if probability:
        score = min(score, probability / 100)
        basis.append(f"TAF PROB{probability}: {probability}% chance of the worse conditions")
    if agreement:
        penalty = min(SPREAD_PENALTY_MAX, agreement["visibility_sm"] * SPREAD_PENALTY_PER_SM
                      + agreement["wind_kt"] * SPREAD_PENALTY_PER_KT
                      + agreement["ceiling_ft"] / 1000 * SPREAD_PENALTY_PER_1000_FT)
        if penalty > 0:
            score -= penalty
            spreads = [f"{_fmt(agreement['visibility_sm'])} sm" if agreement["visibility_sm"] else "",
                       f"{_fmt(agreement['wind_kt'])} kt" if agreement["wind_kt"] else "",
                       f"{agreement['ceiling_ft']:.0f} ft" if agreement["ceiling_ft"] else ""]
            basis.append("providers disagree by " + ", ".join(p for p in spreads if p))
    score = round(max(CONFIDENCE_FLOOR, min(1.0, score)), 2)
    level, word = confidence_level(score)
    return {"score": score, "level": level, "word": word, "basis": "; ".join(basis)}


def window_confidence(points: Sequence[dict]) -> dict | None:
    """A window is as firm as its least firm judged hour; that hour's place and reasons are kept."""
    weakest = None
    for values in points:
        confidence = values.get("confidence")
        if confidence and (weakest is None or confidence["score"] < weakest[0]["score"]):
            weakest = (confidence, values)
    if weakest is None:
        return None
    confidence, values = weakest
    return {**confidence, "at": f"{values['label']} {datetime.fromisoformat(values['hour']):%H:%M}Z"}


def flight_night_reason(*, departure, start: datetime, end: datetime, minimums: Minimums) -> str | None:
    """The daylight rule: a pilot whose level may not fly at night, without a night endorsement, must be down
    by the end of evening civil twilight and may not leave before morning civil twilight, at the departure."""
    if minimums.night_permitted:
        return None
    return night_reason(start=start, end=end, latitude=departure.latitude, longitude=departure.longitude,
                        time_zone=departure.time_zone or "UTC", icao=departure.icao, who=minimums.label)


@lru_cache(maxsize=4096)
def _memo_minimums(minimums: Minimums) -> Minimums:
    """The part of the minimums a point's verdict depends on: flights in different aircraft share verdicts
    unless the aircraft itself appears in them (its crosswind limit applies, or it is VFR only for a pilot
    who may fly IMC), so a fleet of many aircraft at one airport judges each place and hour once."""
    names_aircraft = minimums.crosswind_from_aircraft or (minimums.imc_allowed and minimums.ifr_equipped is False)
    return replace(minimums, aircraft=minimums.aircraft if names_aircraft else "", aircraft_crosswind_kt=None,
                   ifr_equipped=minimums.ifr_equipped if minimums.imc_allowed else None,
                   night_allowed=True, night_endorsed=False)


def window_memo_key(minimums: Minimums, start: datetime, end: datetime) -> tuple:
    """What one window's verdict depends on besides its route and forecasts: the part of the minimums its points'
    verdicts depend on, whether night is allowed, and the times. Flights in aircraft judged alike share it."""
    return ("window", _memo_minimums(minimums), minimums.night_permitted, start, end)


def _spread(values: list[float]) -> float:
    return round(max(values) - min(values), 2) if len(values) > 1 else 0.0


def judge_window(*, points: Sequence[RoutePoint], hours: Sequence[datetime],
                 samples_for: Callable[[str, datetime], Sequence[HourlyWeather]], minimums: Minimums,
                 memo: dict | None = None, flight: tuple | None = None) -> WindowJudgement:
    """Every point and hour of one window; the window takes the worst: conflict, then unknown, then marginal.

    With `flight` (departure airport, start, end) the daylight rule is judged too: a flight reaching into
    night for a pilot who may not fly then is a conflict, whatever the weather.
    """
    memo = {} if memo is None else memo
    judging_key = _memo_minimums(minimums)
    statuses, reasons, rendered = [], [], []
    if flight is not None:
        departure, start, end = flight
        night = flight_night_reason(departure=departure, start=start, end=end, minimums=minimums)
        if night:
            statuses.append(CONFLICT)
            reasons.append(night)
    answered: set[str] = set()
    agree_hours = agree_same = 0
    vis_spread = wind_spread = ceiling_spread = 0.0
    missing = 0
    for point in points:
        for hour in hours:
            key = (point.location.key, point.role, hour, judging_key)
            verdict = memo.get(key)
            if verdict is None:
                samples = samples_for(point.location.key, hour)
                verdict = judge_point(point, hour, samples, minimums)
                memo[key] = verdict
            statuses.append(verdict.status)
            reasons.extend(verdict.reasons)
            missing += verdict.status == UNKNOWN
            values = verdict.shown
            rendered.append(values)
            answered.update(values.get("providers", ()))
            agreement = verdict.values["_agreement"]
            if agreement:
                agree_hours += 1
                agree_same += agreement["same_category"]
                vis_spread = max(vis_spread, agreement["visibility_sm"])
                wind_spread = max(wind_spread, agreement["wind_kt"])
                ceiling_spread = max(ceiling_spread, agreement["ceiling_ft"])
    if CONFLICT in statuses:
        status = CONFLICT
    elif UNKNOWN in statuses or not statuses:
        status = UNKNOWN
    elif MARGINAL in statuses:
        status = MARGINAL
    else:
        status = OK
    if status == CONFLICT:
        # Lead with what grounds the flight; marginal notes and gaps follow.
        def secondary(reason: str) -> bool:
            return " within 10% of " in reason or reason.startswith("no forecast") or " unknown: " in reason

        reasons = [r for r in reasons if not secondary(r)] + [r for r in reasons if secondary(r)]
    agreement = {
        "providers_answered": sorted(answered),
        "compared_hours": agree_hours,
        "same_category_share": round(agree_same / agree_hours, 2) if agree_hours else None,
        "max_visibility_spread_sm": vis_spread,
        "max_wind_spread_kt": wind_spread,
        "max_ceiling_spread_ft": ceiling_spread,
    }
    return WindowJudgement(status, list(dict.fromkeys(reasons)), rendered, agreement, sorted(answered), missing,
                           window_confidence(rendered))


def _agreement(samples: Sequence[HourlyWeather]) -> dict | None:
    by_provider: dict[str, list[HourlyWeather]] = {}
    for s in samples:
        by_provider.setdefault(s.provider, []).append(s)
    if len(by_provider) < 2:
        return None
    merged = [_limiting_values(group) for group in by_provider.values()]
    categories = {flight_category(ceiling, visibility) for visibility, _wind, ceiling in merged}
    return {
        "same_category": len(categories) == 1,
        "visibility_sm": _spread([visibility for visibility, _wind, _ceiling in merged if visibility is not None]),
        "wind_kt": _spread([wind for _visibility, wind, _ceiling in merged if wind is not None]),
        "ceiling_ft": _spread([ceiling for _visibility, _wind, ceiling in merged if ceiling is not None]),
    }


def _limiting_values(samples: Sequence[HourlyWeather]) -> tuple[float | None, float | None, float | None]:
    """(visibility, wind, ceiling) of one provider's samples by `_merge`'s most-restrictive rule: all that
    comparing providers needs, without the crosswinds and phenomena `_merge` also works out."""
    visibilities = [s.visibility_sm for s in samples if s.visibility_sm is not None]
    winds = [s.wind_kt for s in samples if s.wind_kt is not None]
    ceilings = [c for c, _estimated in (ceiling_of(s) for s in samples if ceiling_known(s)) if c is not None]
    return (min(visibilities) if visibilities else None, max(winds) if winds else None,
            min(ceilings) if ceilings else None)


@dataclass
class Horizon:
    """How far stored forecasts reach, per location."""

    last_hour: dict[str, datetime] = field(default_factory=dict)

    def covers(self, points: Sequence[RoutePoint], hours: Sequence[datetime]) -> bool:
        if not hours:
            return True
        return all(self.last_hour.get(p.location.key) is not None and self.last_hour[p.location.key] >= hours[-1]
                   for p in points)
