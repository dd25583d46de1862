"""Booking-time daylight rule, and the aircraft's limits through the API."""

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings

from availability.selectors import END_OF_DAY
from availability.tests.factories import available_every_day
from bookings import services
from bookings.models import Booking
from bookings.tests.factories import AircraftFactory, AirportFactory
from config.exceptions import ApplicationError
from weather.daylight import nights_between

NOW = datetime(2026, 11, 9, 12, 0, tzinfo=UTC)
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def jfk(db):
    return AirportFactory(icao="KJFK", name="John F Kennedy International", city="New York", latitude=40.639447,
                          longitude=-73.779317, time_zone="America/New_York", runway_headings=[40, 220, 130, 310])


@pytest.fixture
def late_lesson(jfk):
    """Two hours ending ten minutes after evening civil twilight at KJFK on 10 November."""
    twilight = nights_between(latitude=jfk.latitude, longitude=jfk.longitude, time_zone=jfk.time_zone,
                              start=datetime(2026, 11, 10, 17, tzinfo=UTC),
                              end=datetime(2026, 11, 11, 3, tzinfo=UTC))[0].begins
    end = (twilight + timedelta(minutes=10)).astimezone(UTC)
    return end - timedelta(hours=2), end, twilight


@pytest.fixture
def lesson_parts(db, jfk, owner, colleague):
    plane = AircraftFactory(tail_number="N733JF", home_airport=jfk)
    # Patterns valid since long before the fixed lesson date, whatever day the suite runs on.
    available_every_day(instructor=colleague, end=END_OF_DAY)
    available_every_day(aircraft=plane, end=END_OF_DAY)
    owner.training_level = "student_pilot"
    owner.save()
    return {"student": owner, "instructor": colleague, "aircraft": plane, "departure_airport": jfk,
            "destination_airport": jfk, "lesson_type": "dual"}


# The school keeps Pacific time; the lesson is judged by New York's sky and told in New York's time.
@override_settings(SCHOOL_TIME_ZONE="America/Los_Angeles")
def test_a_student_pilot_is_not_booked_into_the_night_at_an_airport_in_another_zone(lesson_parts, late_lesson,
                                                                                  owner):
    start, end, twilight = late_lesson
    with time_machine.travel(NOW, tick=False), pytest.raises(ApplicationError) as refused:
        services.booking_create(actor=owner, start=start, end=end, now=NOW, **lesson_parts)
    assert refused.value.code == "night_not_allowed"
    reason = (f"ends {end.astimezone(NEW_YORK):%H:%M} local, after civil twilight "
              f"{twilight.astimezone(NEW_YORK):%H:%M} at KJFK (student_pilot)")
    assert refused.value.fields == {"end": [reason]}
    assert not Booking.objects.exists()


@override_settings(SCHOOL_TIME_ZONE="America/Los_Angeles")
def test_the_same_lesson_is_booked_for_a_student_with_a_night_endorsement(lesson_parts, late_lesson, owner):
    start, end, _ = late_lesson
    owner.night_endorsement = True
    owner.save()
    with time_machine.travel(NOW, tick=False):
        booking = services.booking_create(actor=owner, start=start, end=end, now=NOW, **lesson_parts)
    assert booking.pk and booking.end == end


@override_settings(SCHOOL_TIME_ZONE="America/Los_Angeles")
def test_staff_may_override_and_students_may_not(lesson_parts, late_lesson, owner, staff):
    start, end, _ = late_lesson
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ApplicationError) as refused:
            services.booking_create(actor=staff, start=start, end=end, now=NOW, **lesson_parts)
        assert refused.value.code == "night_not_allowed"
        booked = services.booking_create(actor=staff, start=start, end=end, now=NOW, override_availability=True,
                                         **lesson_parts)
    assert booked.pk


@override_settings(SCHOOL_TIME_ZONE="America/Los_Angeles")
def test_moving_a_lesson_into_the_night_is_refused_and_changes_nothing(lesson_parts, late_lesson, owner):
    start, end, _ = late_lesson
    with time_machine.travel(NOW, tick=False):
        booking = services.booking_create(actor=owner, start=start - timedelta(hours=3), end=end - timedelta(hours=3),
                                          now=NOW, **lesson_parts)
        with pytest.raises(ApplicationError) as refused:
            services.booking_update(booking=booking, actor=owner, start=start, end=end, now=NOW)
    assert refused.value.code == "night_not_allowed"
    booking.refresh_from_db()
    assert booking.end == end - timedelta(hours=3)


def test_the_api_refuses_a_night_lesson_with_the_reason(api, lesson_parts, late_lesson, owner):
    start, end, _ = late_lesson
    with time_machine.travel(NOW, tick=False):
        response = api.as_user(owner).post("/api/v1/bookings/", {
            "student": owner.pk, "instructor": lesson_parts["instructor"].pk,
            "aircraft": lesson_parts["aircraft"].pk, "departure_airport": "KJFK", "start": start.isoformat(),
            "end": end.isoformat(), "lesson_type": "dual"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "night_not_allowed" and "after civil twilight" in body["fields"]["end"][0]


def test_aircraft_limits_are_in_the_api_and_only_sensible_values_are_kept(api, staff, owner, db):
    response = api.as_user(staff).post("/api/v1/aircraft/", {
        "tail_number": "N152AB", "model": "Cessna 152", "home_airport": "KPAO", "max_crosswind_kt": 12,
        "ifr_equipped": False}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["max_crosswind_kt"], body["ifr_equipped"]) == (12, False)
    listed = api.as_user(owner).get("/api/v1/aircraft/").json()["results"]
    assert [(a["tail_number"], a["max_crosswind_kt"]) for a in listed] == [("N152AB", 12)]
    refused = api.as_user(staff).patch(f"/api/v1/aircraft/{body['id']}/", {"max_crosswind_kt": 99}, format="json")
    assert refused.status_code == 400
    assert api.as_user(owner).get("/api/v1/aircraft/").json()["results"][0]["max_crosswind_kt"] == 12
    changed = api.as_user(staff).patch(f"/api/v1/aircraft/{body['id']}/", {"ifr_equipped": True}, format="json")
    assert changed.status_code == 200 and changed.json()["ifr_equipped"] is True
    assert api.as_user(owner).patch(f"/api/v1/aircraft/{body['id']}/", {"ifr_equipped": False},
                                    format="json").status_code == 403


def test_only_students_carry_a_night_endorsement(api, staff, colleague, owner):
    refused = api.as_user(staff).patch(f"/api/v1/users/{colleague.pk}/", {"night_endorsement": True}, format="json")
    assert refused.status_code == 400 and "night_endorsement" in refused.json()["fields"]
    endorsed = api.as_user(staff).patch(f"/api/v1/users/{owner.pk}/", {"night_endorsement": True}, format="json")
    assert endorsed.status_code == 200 and endorsed.json()["night_endorsement"] is True


@pytest.mark.django_db
def test_the_demo_school_shows_each_rule(capsys):
    from django.core.management import call_command

    from bookings.models import Aircraft
    from weather.selectors import latest_check

    call_command("seed_demo")
    limits = dict(Aircraft.objects.values_list("tail_number", "max_crosswind_kt"))
    assert limits == {"N739SP": 15, "N5247R": 15, "N8142W": 17}
    assert not Aircraft.objects.get(tail_number="N5247R").ifr_equipped
    late = Booking.objects.get(notes__contains="after civil twilight")
    assert late.student.training_level == "student_pilot" and not late.student.night_endorsement
    airport = late.departure_airport
    nights = nights_between(latitude=airport.latitude, longitude=airport.longitude, time_zone=airport.time_zone,
                            start=late.start, end=late.end)
    assert nights and late.end - nights[0].begins <= timedelta(minutes=15)
    # seed_demo runs the monitor: the late lesson is flagged with the daylight reason.
    assert "after civil twilight" in latest_check(booking=late).reasons[0]
    late.refresh_from_db()
    assert (late.weather_status, late.status) == ("conflict", "weather_hold")
    assert Booking.objects.filter(lesson_type="solo").exists()
    # No other student-pilot lesson reaches into night.
    for booking in Booking.objects.filter(student__training_level="student_pilot").exclude(pk=late.pk):
        assert not nights_between(latitude=airport.latitude, longitude=airport.longitude,
                                  time_zone=airport.time_zone, start=booking.start, end=booking.end)
