"""An offline provider for `make run` and demos: named scenarios chosen by a stable hash of place and time.

The same place and three-hour block always get the same scenario, so a demo school shows every weather
state and a second monitor run sees exactly the same weather. Most blocks are clear.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from weather.providers.base import HOURLY, BatchResult, CloudLayer, HourlyWeather, Location, WeatherProvider

HOUR = timedelta(hours=1)
HORIZON_HOURS = 72
BLOCK_HOURS = 3

# name -> (weight, values). Values are chosen against the default minimums:
#   marginal: passes a student pilot's minimums but within 10 % of them;
#   student_pilot_conflict: fails a student pilot, passes a private pilot;
#   private_pilot_conflict: IMC, fails student and private pilots, passes instrument rated;
#   thunderstorm: fails everyone.
SCENARIOS: dict[str, tuple[int, dict]] = {
    "clear": (76, {"wind_dir_deg": 280, "wind_kt": 6.0, "gust_kt": None, "visibility_sm": 10.0,
                   "clouds": (CloudLayer("FEW", 5000),), "temperature_c": 18.0, "dewpoint_c": 8.0,
                   "phenomena": ()}),
    "marginal": (8, {"wind_dir_deg": 300, "wind_kt": 9.5, "gust_kt": 14.0, "visibility_sm": 5.25,
                         "clouds": (CloudLayer("SCT", 2000), CloudLayer("BKN", 3200)),
                         "temperature_c": 14.0, "dewpoint_c": 9.0, "phenomena": ("BR",)}),
    "student_pilot_conflict": (7, {"wind_dir_deg": 250, "wind_kt": 12.0, "gust_kt": 16.0, "visibility_sm": 4.0,
                                       "clouds": (CloudLayer("BKN", 2500),), "temperature_c": 12.0, "dewpoint_c": 8.0,
                                       "phenomena": ("RA",)}),
    "private_pilot_conflict": (5, {"wind_dir_deg": 160, "wind_kt": 8.0, "gust_kt": None, "visibility_sm": 2.5,
                                       "clouds": (CloudLayer("OVC", 800),), "temperature_c": 10.0, "dewpoint_c": 9.0,
                                       "phenomena": ("RA", "BR")}),
    "thunderstorm": (4, {"wind_dir_deg": 220, "wind_kt": 18.0, "gust_kt": 30.0, "visibility_sm": 4.0,
                             "clouds": (CloudLayer("BKN", 3500),), "temperature_c": 24.0, "dewpoint_c": 19.0,
                             "phenomena": ("TS", "RA")}),
}


def scenario_for(location_key: str, hour: datetime) -> str:
    block = int(hour.timestamp()) // (BLOCK_HOURS * 3600)
    digest = hashlib.sha256(f"{location_key}|{block}".encode()).digest()
    ticket = int.from_bytes(digest[:4], "big") % sum(weight for weight, _ in SCENARIOS.values())
    for name, (weight, _values) in SCENARIOS.items():
        if ticket < weight:
            return name
        ticket -= weight
    return "clear"


def next_block_with(location_key: str, scenario: str, *, after: datetime, within: timedelta) -> datetime | None:
    """The start of the first block at or after `after` (and before `after + within`) that has `scenario`.

    For demos and tests that need one particular weather: the scenario of a block never changes, so a fixed
    `after` always gives the same answer.
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown demo scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    block = timedelta(hours=BLOCK_HOURS)
    candidate = after.replace(minute=0, second=0, microsecond=0)
    candidate -= timedelta(hours=candidate.hour % BLOCK_HOURS)
    if candidate < after:
        candidate += block
    while candidate < after + within:
        if scenario_for(location_key, candidate) == scenario:
            return candidate
        candidate += block
    return None


class DemoProvider(WeatherProvider):
    name = "demo"
    batch_size = 200

    def fetch_batch(self, locations: Sequence[Location], *, now: datetime) -> BatchResult:
        start = now.replace(minute=0, second=0, microsecond=0)
        hours = [start + i * HOUR for i in range(HORIZON_HOURS)]
        result = BatchResult()
        for loc in locations:
            result.hours[loc.key] = [
                HourlyWeather(provider=self.name, source=HOURLY, valid_at=hour, issued_at=start,
                              **SCENARIOS[scenario_for(loc.key, hour)][1])
                for hour in hours
            ]
        return result
