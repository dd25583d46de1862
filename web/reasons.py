"""Weather reasons as a pilot reads them at a glance: one line per finding and place, with the hours it spans.

A check records one reason per value, place and hour (`visibility 4.0 sm below 5 sm (student_pilot) at KPAO
17:00Z`), so a three-hour hold reads as a dozen lines. Here the same finding at the same place over consecutive
hours becomes one line on the airport's clock (`visibility 4.0 sm below 5 sm for a student pilot, 09:00–12:00
PST, at KPAO`; a corridor point reads `25 nm south-east of KPAO`), marginal findings are told apart from
conflicts, and anything not in that shape is kept as written (with its hours localised). The full per-hour
table stays on the booking page.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from config.localtime import instant_near, localize_reason, zone_of
from weather.geo import compass_word, initial_bearing_deg

# A corridor point as the monitor records it: `37.0N 122.0W (25 nm from KPAO)`.
_CORRIDOR = re.compile(r"^(?P<lat>\d+(?:\.\d+)?)(?P<ns>[NS]) (?P<lon>\d+(?:\.\d+)?)(?P<ew>[EW]) "
                       r"\((?P<nm>\d+) nm from (?P<origin>[A-Z0-9]{3,4})\)$")
_SHAPE = re.compile(r"^(?P<what>.+?) at (?P<place>.+?) (?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d)Z$")
LEVEL_WORDS = {
    "(student_pilot)": "for a student pilot",
    "(private_pilot)": "for a private pilot",
    "(instrument_rated)": "for an instrument-rated pilot",
}


@dataclass(frozen=True)
class Reason:
    text: str
    severity: str  # conflict | marginal | unknown


def _severity(what: str) -> str:
    if "within 10% of" in what:
        return "marginal"
    if "unknown" in what or what.startswith("no forecast"):
        return "unknown"
    return "conflict"


def _plain(what: str) -> str:
    for code, words in LEVEL_WORDS.items():
        what = what.replace(code, words)
    return what


def _spans(instants: list[datetime], zone) -> str:
    """`09:00–12:00 PST` for 09, 10 and 11 o'clock; separate runs joined by commas."""
    instants = sorted(set(instants))
    runs: list[list[datetime]] = []
    for moment in instants:
        if runs and moment - runs[-1][-1] == timedelta(hours=1):
            runs[-1].append(moment)
        else:
            runs.append([moment])
    parts = []
    for run in runs:
        first, last = run[0].astimezone(zone), (run[-1] + timedelta(hours=1)).astimezone(zone)
        parts.append(f"{first:%H:%M}–{last:%H:%M}")
    return f"{', '.join(parts)} {instants[-1].astimezone(zone).tzname()}"


def _where(place_text: str, origin=None) -> str:
    """`at KPAO` for an airport; for a corridor point, where it is from the departure the way a pilot says it
    (`25 nm south-east of KPAO`), or along the route when the departure's position is not at hand."""
    match = _CORRIDOR.match(place_text)
    if match is None:
        return f"at {place_text}"
    nm, icao = match.group("nm"), match.group("origin")
    latitude = getattr(origin, "latitude", None)
    longitude = getattr(origin, "longitude", None)
    if getattr(origin, "icao", None) != icao or latitude is None or longitude is None:
        return f"{nm} nm along the route from {icao}"
    lat = float(match.group("lat")) * (1 if match.group("ns") == "N" else -1)
    lon = float(match.group("lon")) * (1 if match.group("ew") == "E" else -1)
    return f"{nm} nm {compass_word(initial_bearing_deg(latitude, longitude, lat, lon))} of {icao}"


def condense(reasons, *, place=None, around: datetime | None) -> list[Reason]:
    """The reasons of one check, grouped by finding and place over the hours they span, in first-seen order."""
    zone = zone_of(place)
    groups: dict[tuple[str, str], list[datetime]] = {}
    order: list[tuple[str, str] | str] = []
    for raw in reasons or []:
        text = str(raw)
        match = _SHAPE.match(text)
        if match is None or around is None:
            order.append(localize_reason(text, place=place, around=around))
            continue
        key = (match.group("what"), match.group("place"))
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(instant_near(int(match.group("hour")), int(match.group("minute")), around))
    condensed = []
    for item in order:
        if isinstance(item, str):
            condensed.append(Reason(text=item, severity=_severity(item)))
            continue
        what, where = item
        condensed.append(Reason(text=f"{_plain(what)}, {_spans(groups[item], zone)}, {_where(where, place)}",
                                severity=_severity(what)))
    return condensed
