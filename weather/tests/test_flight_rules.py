"""The rules a chief instructor adds to the level's minimums: daylight, the aircraft's limits, solo margins,
and how far each judged hour can be trusted."""

import zoneinfo
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from weather.daylight import nights_between
from weather.judging import (
    CONFLICT,
    MARGINAL,
    OK,
    Minimums,
    RoutePoint,
    flight_night_reason,
    hour_confidence,
    judge_point,
    judge_window,
)
from weather.providers.base import METAR, TAF, Location
from weather.tests.samples import HOUR_14Z, INSTRUMENT, KPAO, PRIVATE, STUDENT, sample

NORTH_SOUTH = RoutePoint(Location("KXNS", 37.0, -122.0, "KXNS"), "departure", "KXNS", (360, 180), "UTC")

# Airports as the bookings app stores them (coordinates and zone from the airport database).
JFK = SimpleNamespace(icao="KJFK", latitude=40.639447, longitude=-73.779317, time_zone="America/New_York")
PALO_ALTO = SimpleNamespace(icao="KPAO", latitude=37.461121, longitude=-122.115047, time_zone="America/Los_Angeles")
ANCHORAGE = SimpleNamespace(icao="PANC", latitude=61.1744, longitude=-149.996, time_zone="America/Anchorage")
LONGYEARBYEN = SimpleNamespace(icao="ENSB", latitude=78.246111, longitude=15.465556, time_zone="Arctic/Longyearbyen")

C152 = SimpleNamespace(tail_number="N152AB", max_crosswind_kt=12, ifr_equipped=False)
SKYHAWK_IFR = SimpleNamespace(tail_number="N172IF", max_crosswind_kt=15, ifr_equipped=True)


def local(airport, *args) -> datetime:
    return datetime(*args, tzinfo=zoneinfo.ZoneInfo(airport.time_zone))


def evening_twilight(airport, day: datetime) -> datetime:
    """The start of the night that begins on the local evening of `day`."""
    nights = nights_between(latitude=airport.latitude, longitude=airport.longitude, time_zone=airport.time_zone,
                            start=day.replace(hour=12), end=day.replace(hour=23, minute=59))
    return nights[0].begins


# --- daylight ------------------------------------------------------------------------------------------------

def test_civil_twilight_is_where_an_almanac_puts_it():
    # Palo Alto, 21 December 2026: sunset 16:54 PST, end of evening civil twilight about 17:23.
    twilight = evening_twilight(PALO_ALTO, local(PALO_ALTO, 2026, 12, 21)).astimezone(
        zoneinfo.ZoneInfo(PALO_ALTO.time_zone))
    assert abs((twilight.replace(tzinfo=None) - datetime(2026, 12, 21, 17, 23)).total_seconds()) < 180


def test_a_student_pilot_lesson_ending_ten_minutes_after_twilight_in_another_zone_is_a_conflict():
    # The school keeps Pacific time; the lesson flies from New York, judged in New York's twilight and time.
    twilight = evening_twilight(JFK, local(JFK, 2026, 11, 10))
    end = twilight + timedelta(minutes=10)
    start = end - timedelta(hours=2)
    reason = flight_night_reason(departure=JFK, start=start, end=end, minimums=STUDENT.for_flight())
    shown = zoneinfo.ZoneInfo("America/New_York")
    assert reason == (f"ends {end.astimezone(shown):%H:%M} local, after civil twilight "
                      f"{twilight.astimezone(shown):%H:%M} at KJFK (student_pilot)")
    judgement = judge_window(points=[], hours=[], samples_for=lambda key, hour: (), minimums=STUDENT,
                             flight=(JFK, start, end))
    assert judgement.status == CONFLICT and judgement.reasons == [reason]
    # Ending exactly at twilight is still daylight.
    assert flight_night_reason(departure=JFK, start=start, end=twilight, minimums=STUDENT) is None


def test_a_night_endorsement_lifts_the_rule_and_other_levels_may_fly_at_night():
    twilight = evening_twilight(JFK, local(JFK, 2026, 11, 10))
    start, end = twilight - timedelta(minutes=110), twilight + timedelta(minutes=10)
    endorsed = STUDENT.for_flight(night_endorsed=True)
    assert flight_night_reason(departure=JFK, start=start, end=end, minimums=endorsed) is None
    assert flight_night_reason(departure=JFK, start=start, end=end, minimums=PRIVATE) is None


def test_a_lesson_before_morning_twilight_says_when_it_gets_light():
    # Anchorage on the shortest day: civil twilight begins after 09:00, so an 08:00 start is in the dark.
    start, end = local(ANCHORAGE, 2026, 12, 21, 8, 0), local(ANCHORAGE, 2026, 12, 21, 10, 0)
    reason = flight_night_reason(departure=ANCHORAGE, start=start, end=end, minimums=STUDENT)
    assert reason.startswith("starts 08:00 local, before civil twilight 09:")
    assert reason.endswith("at PANC (student_pilot)")
    # Noon to 14:00 is daylight even then.
    assert flight_night_reason(departure=ANCHORAGE, start=local(ANCHORAGE, 2026, 12, 21, 12),
                               end=local(ANCHORAGE, 2026, 12, 21, 14), minimums=STUDENT) is None


def test_the_longest_day_at_anchorage_has_no_civil_night():
    # The sun never sinks 6 degrees below the horizon: a lesson around midnight is still in civil twilight.
    start, end = local(ANCHORAGE, 2026, 6, 21, 22, 30), local(ANCHORAGE, 2026, 6, 22, 0, 30)
    assert flight_night_reason(departure=ANCHORAGE, start=start, end=end, minimums=STUDENT) is None
    # Palo Alto on the same day does get dark, late.
    twilight = evening_twilight(PALO_ALTO, local(PALO_ALTO, 2026, 6, 21))
    assert twilight.astimezone(zoneinfo.ZoneInfo(PALO_ALTO.time_zone)).hour == 21
    assert flight_night_reason(departure=PALO_ALTO, start=twilight - timedelta(hours=2),
                               end=twilight - timedelta(minutes=1), minimums=STUDENT) is None
    assert flight_night_reason(departure=PALO_ALTO, start=twilight - timedelta(hours=2),
                               end=twilight + timedelta(minutes=1), minimums=STUDENT) is not None


def test_the_polar_night_is_dark_at_noon():
    start, end = local(LONGYEARBYEN, 2026, 12, 21, 12), local(LONGYEARBYEN, 2026, 12, 21, 13)
    reason = flight_night_reason(departure=LONGYEARBYEN, start=start, end=end, minimums=STUDENT)
    assert reason is not None and reason.startswith("starts 12:00 local")


# --- the aircraft's limits -----------------------------------------------------------------------------------

def crosswind_of_14_kt():
    # Wind from 270 at 14 kt on a north-south runway: all of it is crosswind.
    return [sample(wind_dir_deg=270, wind_kt=14.0)]


def test_a_14_kt_crosswind_passes_a_private_pilot_but_not_a_12_kt_aircraft():
    pilot_only = judge_point(NORTH_SOUTH, HOUR_14Z, crosswind_of_14_kt(), PRIVATE)
    assert pilot_only.status == MARGINAL  # passes the 15 kt limit, within 10 %
    assert pilot_only.values["crosswind_kt"] == 14.0
    in_a_152 = PRIVATE.for_flight(aircraft=C152)
    assert in_a_152.crosswind_kt == 12 and in_a_152.crosswind_from_aircraft
    verdict = judge_point(NORTH_SOUTH, HOUR_14Z, crosswind_of_14_kt(), in_a_152)
    assert verdict.status == CONFLICT
    assert verdict.reasons == ["crosswind 14 kt on runway 36 above 12 kt (N152AB maximum demonstrated) "
                               "at KXNS 14:00Z"]
    # An aircraft rated above the pilot's limit changes nothing: the lower of the two applies.
    strong = PRIVATE.for_flight(aircraft=SimpleNamespace(tail_number="N20XW", max_crosswind_kt=20, ifr_equipped=False))
    assert strong.crosswind_kt == 15 and not strong.crosswind_from_aircraft


def test_an_instrument_student_in_imc_needs_an_ifr_equipped_aircraft():
    imc = [sample(visibility_sm=2.0, clouds=(("OVC", 600),))]
    vfr_only = judge_point(KPAO, HOUR_14Z, imc, INSTRUMENT.for_flight(aircraft=C152))
    assert vfr_only.status == CONFLICT
    assert vfr_only.reasons == ["IMC (IFR) needs an IFR-equipped aircraft: N152AB is VFR only (instrument_rated) "
                                "at KPAO 14:00Z"]
    assert judge_point(KPAO, HOUR_14Z, imc, INSTRUMENT.for_flight(aircraft=SKYHAWK_IFR)).status == OK
    # In VMC the equipment does not matter.
    assert judge_point(KPAO, HOUR_14Z, [sample()], INSTRUMENT.for_flight(aircraft=C152)).status == OK


# --- solo margins --------------------------------------------------------------------------------------------

def test_a_solo_lesson_at_exactly_the_level_plus_margin_passes_and_just_under_fails():
    solo = PRIVATE.for_flight(solo=True)
    assert (solo.visibility_sm, solo.ceiling_ft, solo.wind_kt, solo.gust_kt, solo.crosswind_kt) == (4.0, 1500, 18,
                                                                                                   23, 13)
    at_margin = judge_point(KPAO, HOUR_14Z, [sample(visibility_sm=4.0)], solo)
    assert at_margin.status == MARGINAL
    under = judge_point(KPAO, HOUR_14Z, [sample(visibility_sm=3.9)], solo)
    assert under.status == CONFLICT
    assert under.reasons == ["visibility 3.9 sm below 4 sm (private_pilot solo) at KPAO 14:00Z"]
    # The same 3.9 sm is fine for a dual lesson.
    assert judge_point(KPAO, HOUR_14Z, [sample(visibility_sm=3.9)], PRIVATE).status == OK


def test_solo_margins_come_from_the_minimums_and_are_stored_with_the_check():
    row = SimpleNamespace(training_level="student_pilot", ceiling_ft=3000, visibility_sm=5, wind_kt=10, gust_kt=15,
                          crosswind_kt=8, imc_allowed=False, night_allowed=False, solo_visibility_margin_sm=2,
                          solo_ceiling_margin_ft=1000, solo_wind_margin_kt=3)
    solo = Minimums.from_model(row).for_flight(solo=True)
    assert (solo.visibility_sm, solo.ceiling_ft, solo.wind_kt, solo.crosswind_kt) == (7.0, 4000, 7, 5)
    stored = solo.as_dict()
    assert stored["solo"] is True and stored["solo_visibility_margin_sm"] == 2 and stored["visibility_sm"] == 7.0


# --- confidence ----------------------------------------------------------------------------------------------

def test_an_observed_hour_is_firm():
    confidence = hour_confidence([sample("aviationweather", source=METAR, issued_at=HOUR_14Z)], None)
    assert (confidence["level"], confidence["word"]) == ("high", "firm")
    assert confidence["basis"] == "observation (METAR)"


def test_a_taf_hour_is_likely():
    confidence = hour_confidence([sample("aviationweather", source=TAF, issued_at=HOUR_14Z - timedelta(hours=5))],
                                 None)
    assert (confidence["level"], confidence["word"]) == ("medium", "likely")


def test_a_model_hour_40_hours_ahead_is_uncertain_and_a_near_one_likely():
    far = hour_confidence([sample("openweathermap", issued_at=HOUR_14Z - timedelta(hours=40))], None)
    near = hour_confidence([sample("openweathermap", issued_at=HOUR_14Z - timedelta(hours=2))], None)
    assert (far["word"], near["word"]) == ("uncertain", "likely")
    assert far["score"] < near["score"] < hour_confidence([sample(source=TAF)], None)["score"]
    assert far["basis"] == "model forecast 40 h ahead"


def test_two_providers_two_miles_apart_lower_the_confidence():
    issued = HOUR_14Z - timedelta(hours=3)
    agreeing = judge_point(KPAO, HOUR_14Z, [sample("openweathermap", visibility_sm=8.0, issued_at=issued),
                                            sample("weatherapi", visibility_sm=8.0, issued_at=issued)], PRIVATE)
    apart = judge_point(KPAO, HOUR_14Z, [sample("openweathermap", visibility_sm=8.0, issued_at=issued),
                                         sample("weatherapi", visibility_sm=6.0, issued_at=issued)], PRIVATE)
    assert round(agreeing.values["confidence"]["score"] - apart.values["confidence"]["score"], 2) == 0.2
    assert apart.values["confidence"]["word"] == "uncertain"
    assert "providers disagree by 2 sm" in apart.values["confidence"]["basis"]


def test_a_prob40_group_gives_its_probability():
    confidence = hour_confidence([sample("aviationweather", source=TAF, probability=40, phenomena=("TSRA",))], None)
    assert confidence["score"] == 0.4 and confidence["word"] == "uncertain"
    assert "PROB40: 40% chance" in confidence["basis"]


def test_a_window_is_as_firm_as_its_least_firm_hour():
    hours = [HOUR_14Z, HOUR_14Z + timedelta(hours=1)]
    observed = sample("aviationweather", source=METAR, issued_at=HOUR_14Z)
    modelled = sample("openweathermap", valid_at=hours[1], issued_at=HOUR_14Z - timedelta(hours=30))
    judgement = judge_window(points=[KPAO], hours=hours, minimums=PRIVATE,
                             samples_for=lambda key, hour: [observed] if hour == hours[0] else [modelled])
    assert judgement.confidence["word"] == "uncertain" and judgement.confidence["at"] == "KPAO 15:00Z"
    assert [p["confidence"]["word"] for p in judgement.points] == ["firm", "uncertain"]


def test_a_taf_prob_group_carries_its_probability_into_the_hours_it_covers():
    from weather.providers.aviationweather import taf_samples

    issued = datetime(2026, 6, 1, 11, 30, tzinfo=UTC)
    hours = dict(taf_samples("TAF KPAO 011130Z 0112/0212 31010KT P6SM FEW030 PROB40 0118/0121 3SM TSRA BKN015",
                             issued=issued, now=issued))
    assert hours[datetime(2026, 6, 1, 19, tzinfo=UTC)].probability == 40
    assert hours[datetime(2026, 6, 1, 14, tzinfo=UTC)].probability is None


# --- the monitor ---------------------------------------------------------------------------------------------

def test_the_monitor_flags_an_existing_student_pilot_lesson_ending_after_twilight(weather, flight, now, owner):
    from bookings.tests.factories import AircraftFactory, BookingFactory
    from weather.jobs import run_monitor
    from weather.selectors import latest_check

    owner.training_level = "student_pilot"
    owner.save()
    kpao = flight.departure_airport
    twilight = evening_twilight(kpao, local(kpao, 2026, 6, 1))
    late = BookingFactory(student=owner, instructor=flight.instructor, aircraft=AircraftFactory(home_airport=kpao),
                          departure_airport=kpao, start=twilight + timedelta(minutes=10) - timedelta(hours=2),
                          end=twilight + timedelta(minutes=10))
    run_monitor(now=now)
    check = latest_check(booking=late)
    pacific = zoneinfo.ZoneInfo("America/Los_Angeles")
    assert check.status == CONFLICT
    assert check.reasons[0] == (f"ends {late.end.astimezone(pacific):%H:%M} local, after civil twilight "
                                f"{twilight.astimezone(pacific):%H:%M} at KPAO (student_pilot)")
    late.refresh_from_db()
    assert late.status == "weather_hold"
    assert check.minimums["night_allowed"] is False and check.confidence["word"] in ("likely", "uncertain")
    # The daytime lesson of the same student is not touched by the rule.
    assert not any("twilight" in reason for reason in latest_check(booking=flight).reasons)
    # A second run with the same weather adds nothing.
    count = type(check).objects.count()
    run_monitor(now=now + timedelta(minutes=10))
    assert type(check).objects.count() == count


def test_the_monitor_stores_the_solo_margin_and_the_aircraft_limit_it_applied(weather, flight, now):
    from weather.jobs import run_monitor
    from weather.selectors import latest_check

    flight.aircraft.max_crosswind_kt = 12
    flight.aircraft.save()
    flight.instructor, flight.lesson_type = None, "solo"
    flight.save()
    run_monitor(now=now)
    minimums = latest_check(booking=flight).minimums
    assert minimums["solo"] is True and minimums["visibility_sm"] == 4.0 and minimums["ceiling_ft"] == 1500
    assert minimums["crosswind_kt"] == 12 and minimums["crosswind_from_aircraft"] is True
    assert minimums["aircraft"] == flight.aircraft.tail_number


def test_flights_in_different_aircraft_share_verdicts_unless_the_aircraft_is_named():
    memo: dict = {}
    calls = []

    def samples_for(key, hour):
        calls.append(key)
        return crosswind_of_14_kt()

    skyhawks = [SimpleNamespace(tail_number=f"N{n}SP", max_crosswind_kt=15, ifr_equipped=False) for n in range(3)]
    for plane in skyhawks:
        judgement = judge_window(points=[NORTH_SOUTH], hours=[HOUR_14Z], samples_for=samples_for, memo=memo,
                                 minimums=PRIVATE.for_flight(aircraft=plane))
        assert judgement.status == MARGINAL
    assert len(calls) == 1  # judged once for the three
    limited = judge_window(points=[NORTH_SOUTH], hours=[HOUR_14Z], samples_for=samples_for, memo=memo,
                           minimums=PRIVATE.for_flight(aircraft=C152))
    assert limited.status == CONFLICT and "N152AB" in limited.reasons[0]
    other = SimpleNamespace(tail_number="N153AB", max_crosswind_kt=12, ifr_equipped=False)
    again = judge_window(points=[NORTH_SOUTH], hours=[HOUR_14Z], samples_for=samples_for, memo=memo,
                         minimums=PRIVATE.for_flight(aircraft=other))
    assert "N153AB" in again.reasons[0]
