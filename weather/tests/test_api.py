from datetime import timedelta

from weather.jobs import run_monitor


def url(booking):
    return f"/api/v1/bookings/{booking.pk}/weather/"


def test_the_latest_check_with_values_per_location_and_hour(weather, flight, now, api, owner):
    weather.owm = lambda lat, lon, hour: {"visibility": 4000} if hour == flight.start else None
    run_monitor(now=now)
    response = api.as_user(owner).get(url(flight))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "conflict"
    assert body["reasons"] == ["visibility 2.5 sm below 3 sm (private_pilot) at KPAO 18:00Z"]
    assert body["checked_at"] == "2026-06-01T15:00:00Z"
    assert [p["name"] for p in body["providers"]] == ["openweathermap", "weatherapi"]
    assert body["minimums"] == {"training_level": "private_pilot", "ceiling_ft": 1000, "visibility_sm": 3.0,
                                "wind_kt": 20, "gust_kt": 25, "crosswind_kt": 15, "imc_allowed": False,
                                "night_allowed": True, "solo_visibility_margin_sm": 1.0,
                                "solo_ceiling_margin_ft": 500, "solo_wind_margin_kt": 2, "solo": False,
                                "night_endorsed": False,
                                "aircraft": flight.aircraft.tail_number, "aircraft_crosswind_kt": None,
                                "ifr_equipped": False, "crosswind_from_aircraft": False}
    assert body["confidence"]["word"] in ("firm", "likely", "uncertain") and body["confidence"]["at"]
    at_18 = next(p for p in body["points"] if p["hour"] == "2026-06-01T18:00:00+00:00")
    assert at_18["confidence"]["basis"].startswith("model forecast")
    assert at_18["local_time"] == "2026-06-01T11:00:00-07:00"  # Palo Alto time
    assert at_18["visibility_sm"] == 2.49 and at_18["category"] == "IFR" and at_18["status"] == "conflict"
    assert at_18["crosswind_runway"] in ("13", "31") and at_18["providers"] == ["openweathermap", "weatherapi"]


def test_the_instructor_sees_it_and_a_stranger_gets_404(weather, flight, now, api, colleague, stranger, staff):
    run_monitor(now=now)
    assert api.as_user(colleague).get(url(flight)).status_code == 200
    assert api.as_user(staff).get(url(flight)).status_code == 200
    response = api.as_user(stranger).get(url(flight))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_anonymous_is_refused(flight, api):
    assert api.get(url(flight)).status_code == 401


def test_a_booking_not_yet_checked_says_so(flight, api, owner, now):
    body = api.as_user(owner).get(url(flight)).json()
    assert body["status"] == "unknown" and body["checked_at"] is None and body["points"] == []
    assert body["reasons"][0].startswith("not checked yet")


def test_an_unknown_booking_is_404(api, owner, db):
    assert api.as_user(owner).get("/api/v1/bookings/999999/weather/").status_code == 404


def test_a_later_identical_run_moves_checked_at_only(weather, flight, now, api, owner):
    run_monitor(now=now)
    run_monitor(now=now + timedelta(minutes=10))
    body = api.as_user(owner).get(url(flight)).json()
    assert body["checked_at"] == "2026-06-01T15:10:00Z" and body["first_judged_at"] == "2026-06-01T15:00:00Z"
