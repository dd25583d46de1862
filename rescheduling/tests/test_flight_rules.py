"""The solver applies the same rules as the monitor: daylight, the aircraft's limits, and it prefers firmer
forecasts among the slots that pass."""

import zoneinfo
from datetime import timedelta

from rescheduling.solver import Slot, find_candidates, score_slot
from weather.daylight import nights_between
from weather.providers.base import HOURLY, CloudLayer, HourlyWeather
from weather.services import forecasts_store


def in_the_dark(booking, candidate) -> bool:
    airport = booking.departure_airport
    return bool(nights_between(latitude=airport.latitude, longitude=airport.longitude, time_zone=airport.time_zone,
                               start=candidate.start, end=candidate.end))


def test_the_solver_never_offers_a_student_pilot_a_slot_reaching_into_night(school, now):
    # Availability runs 06-22 UTC, which at Palo Alto in March is 22:00-14:00 local: mostly dark in the morning.
    private = find_candidates(booking=school.held, now=now, limit=200)
    assert any(in_the_dark(school.held, c) for c in private)  # a private pilot may fly then
    school.student.training_level = "student_pilot"
    school.student.save()
    school.held.refresh_from_db()
    by_day = find_candidates(booking=school.held, now=now, limit=200)
    assert by_day and not any(in_the_dark(school.held, c) for c in by_day)
    school.student.night_endorsement = True
    school.student.save()
    school.held.refresh_from_db()
    assert any(in_the_dark(school.held, c) for c in find_candidates(booking=school.held, now=now, limit=200))


def store_crosswind(*, icao, start, hours, fetched_at, speed_kt):
    """Wind straight across KPAO's runways 13/31 for `hours` hours."""
    first = start.replace(minute=0, second=0, microsecond=0)
    samples = [HourlyWeather(provider="openweathermap", source=HOURLY, valid_at=first + timedelta(hours=i),
                             wind_dir_deg=220, wind_kt=speed_kt, visibility_sm=10, clouds=(CloudLayer("FEW", 5000),),
                             cloud_pct=15, temperature_c=16, dewpoint_c=6, issued_at=fetched_at)
               for i in range(hours)]
    forecasts_store(answers={"openweathermap": {icao: samples}}, fetched_at=fetched_at)


def test_the_solver_picks_the_aircraft_whose_crosswind_limit_the_forecast_passes(school, now):
    store_crosswind(icao="KPAO", start=now, hours=72, fetched_at=now, speed_kt=14)
    horizon = now + timedelta(hours=72)
    candidates = find_candidates(booking=school.held, now=now, limit=200)
    known = [c for c in candidates if c.forecast_known and c.end <= horizon]
    assert known and {c.aircraft_id for c in known} == {school.aircraft.pk}  # its own aircraft first
    school.aircraft.max_crosswind_kt = 12  # the held booking's own aircraft cannot take 14 kt across
    school.aircraft.save()
    school.held.refresh_from_db()
    candidates = find_candidates(booking=school.held, now=now, limit=200)
    known = [c for c in candidates if c.forecast_known and c.end <= horizon]
    assert known and {c.aircraft_id for c in known} == {school.twin.pk}
    assert all(c.weather_status in ("ok", "marginal") for c in known)


def test_a_firmer_forecast_scores_higher_among_passing_slots(school, now):
    slot = Slot(now + timedelta(hours=5), now + timedelta(hours=7), None, school.aircraft.pk)
    common = {"slot": slot, "original_start": now + timedelta(hours=4), "instructor_id": None,
              "aircraft_id": school.aircraft.pk, "usual_hours": [9.0], "tz": zoneinfo.ZoneInfo("UTC"),
              "weather_status": "ok", "forecast_known": True}
    firm, _, _ = score_slot(**common, confidence=0.95)
    uncertain, _, _ = score_slot(**common, confidence=0.45)
    assert firm > uncertain


def test_each_candidate_carries_its_forecast_confidence_and_claude_sees_it(school, now):
    from rescheduling.ranking import candidate_payload, load_names

    store_crosswind(icao="KPAO", start=now, hours=48, fetched_at=now, speed_kt=4)
    candidates = [c for c in find_candidates(booking=school.held, now=now) if c.forecast_known]
    assert candidates and all(c.confidence and c.confidence["word"] in ("likely", "uncertain") for c in candidates)
    payload = candidate_payload(candidates[0], tz=zoneinfo.ZoneInfo("UTC"),
                                names=load_names(candidates))
    assert payload["forecast_confidence"]["word"] == candidates[0].confidence["word"]


def test_reasons_name_the_aircraft_that_will_fly(school, now):
    # Both Skyhawks have the same 15 kt limit; a 14 kt crosswind is marginal for either. When the booking's own
    # aircraft is busy, the twin's options must name the twin, not the aircraft they were judged alongside.
    store_crosswind(icao="KPAO", start=now, hours=72, fetched_at=now, speed_kt=14)
    for plane in (school.aircraft, school.twin):
        plane.max_crosswind_kt = 14
        plane.save()
    from accounts.tests.factories import StudentFactory
    from rescheduling.tests.factories import BookingFactory

    busy = BookingFactory(student=StudentFactory(email="busy@example.com"), instructor=None, lesson_type="solo",
                          aircraft=school.aircraft, start=school.held.end, end=now + timedelta(hours=30))
    school.held.refresh_from_db()
    candidates = [c for c in find_candidates(booking=school.held, now=now, limit=200)
                  if c.start < busy.end and c.end > busy.start and c.forecast_known]
    assert candidates and {c.aircraft_id for c in candidates} == {school.twin.pk}
    marginal = [r for c in candidates for r in c.weather_reasons if "maximum demonstrated" in r]
    assert marginal and all("N102SP maximum demonstrated" in r for r in marginal)
