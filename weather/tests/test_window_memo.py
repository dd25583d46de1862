"""One memo shared by the `window_verdicts` calls of one flight's aircraft profiles, as the solver shares it."""

from datetime import timedelta
from types import SimpleNamespace

from weather.judging import Horizon, Minimums
from weather.providers.base import HOURLY, CloudLayer, HourlyWeather
from weather.selectors import window_verdicts

FLEET = [
    SimpleNamespace(tail_number="N11XW", max_crosswind_kt=12, ifr_equipped=True),
    SimpleNamespace(tail_number="N12XW", max_crosswind_kt=12, ifr_equipped=False),
    SimpleNamespace(tail_number="N15XW", max_crosswind_kt=15, ifr_equipped=True),
    SimpleNamespace(tail_number="N20XW", max_crosswind_kt=20, ifr_equipped=False),
    SimpleNamespace(tail_number="N21XW", max_crosswind_kt=None, ifr_equipped=True),
]


def hour_weather(index):
    """A day that tells aircraft apart: crosswinds across runway 13/31 some hours, low cloud others."""
    if index % 5 == 1:  # 14 kt straight across the runway: within some aircraft's limits, not others'
        return {"wind_dir_deg": 40, "wind_kt": 14, "visibility_sm": 10, "clouds": (CloudLayer("FEW", 5000),)}
    if index % 5 == 3:  # IMC: an instrument-rated pilot needs an IFR-equipped aircraft
        return {"wind_dir_deg": 310, "wind_kt": 5, "visibility_sm": 2, "clouds": (CloudLayer("OVC", 600),)}
    return {"wind_dir_deg": 310, "wind_kt": 6, "visibility_sm": 10, "clouds": (CloudLayer("FEW", 5000),)}


def test_a_memo_shared_across_aircraft_gives_each_the_verdicts_it_gets_alone(kpao, now):
    kpao.runway_headings = [130, 310]
    first = now.replace(minute=0, second=0, microsecond=0)
    hours = [first + timedelta(hours=i) for i in range(40)]
    samples = {(kpao.icao, hour): [HourlyWeather(provider="openweathermap", source=HOURLY, valid_at=hour,
                                                 temperature_c=15, dewpoint_c=5, issued_at=now,
                                                 **hour_weather(index))]
               for index, hour in enumerate(hours)}
    forecasts = (samples, Horizon(last_hour={kpao.icao: hours[-1]}))
    # Every half hour for two days: some windows reach past the stored hours, some into the night.
    windows = [(now + timedelta(minutes=30 * k), now + timedelta(minutes=30 * k + 90)) for k in range(96)]
    table = {level: Minimums.default(level) for level in ("student_pilot", "private_pilot", "instrument_rated")}
    statuses, named = set(), 0
    for level in table:
        for lesson_type in ("dual", "solo"):
            memo: dict = {}
            for plane in FLEET:
                common = {"departure": kpao, "destination": kpao, "training_level": level, "windows": windows,
                          "now": now, "lesson_type": lesson_type, "aircraft": plane, "minimums_table": table,
                          "forecasts": forecasts}
                alone = window_verdicts(**common)
                shared = window_verdicts(**common, memo=memo)
                assert shared == alone
                statuses.update(v.status for v in alone)
                named += sum(any(plane.tail_number in r for r in v.reasons) for v in alone)
    # The day does tell the aircraft apart, and the windows cover every kind of verdict.
    assert named and statuses == {"ok", "marginal", "conflict", "unknown"}
