import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.tests.factories import BookingFactory
from rescheduling.tests.factories import RescheduleOptionFactory, RescheduleRequestFactory
from web.tests.factories import WeatherCheckFactory

REASON = "visibility 2.0 sm below 5 sm (student_pilot) at KPAO 17:00Z"
# As the pages say it: in words, for the hour it spans on the airport's clock (Tuesday 3 March, 17:00Z is
# 09:00 PST).
SHOWN = "visibility 2.0 sm below 5 sm for a student pilot, 09:00–10:00 PST, at KPAO"


@pytest.fixture
def held(school, now):
    """The owner's flight on weather hold with a pending request of three options."""
    flight = school.flight
    flight.status, flight.status_before_hold, flight.weather_status = "weather_hold", "scheduled", "conflict"
    flight.save()
    WeatherCheckFactory(booking=flight, status="conflict", reasons=[REASON], checked_at=now, created_at=now)
    request = RescheduleRequestFactory(booking=flight, reasons=[REASON], detected_at=now, created_at=now,
                                       expires_at=now + timedelta(hours=12))
    for day in (2, 3, 4):
        RescheduleOptionFactory(request=request, rank=day - 1, start=flight.start + timedelta(days=day),
                                end=flight.end + timedelta(days=day))
    return request


def test_student_dashboard_lists_own_flights_in_airport_time(client, owner, school):
    client.force_login(owner)
    body = client.get("/").content.decode()
    assert "Tue 03 Mar 09:00–11:00 PST" in body
    assert "Weather: Unknown" in body
    assert f"/bookings/{school.strangers_flight.id}/" not in body
    assert re.search(r"\bStan\b", body) is None  # the stranger's name (the menu's "Standby" is not it)


def test_held_flight_shows_its_reasons_and_the_options_deadline(client, owner, held):
    client.force_login(owner)
    body = client.get("/").content.decode()
    assert "Weather hold:" in body and SHOWN in body
    assert f"/reschedule/{held.id}/" in body
    assert "Decide by Mon 02 Mar 12:00 PST" in body  # now + 12 h, in Palo Alto time


def test_dashboard_polls_its_live_fragment(client, owner, school):
    client.force_login(owner)
    body = client.get("/").content.decode()
    assert 'hx-get="/dashboard/live/"' in body and 'hx-trigger="every 10s"' in body
    fragment = client.get("/dashboard/live/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert 'id="dashboard-live"' in fragment.content.decode()


def test_a_new_hold_appears_in_the_fragment_without_a_reload(client, owner, school, now):
    client.force_login(owner)
    assert "Weather hold:" not in client.get("/dashboard/live/").content.decode()
    school.flight.status = "weather_hold"
    school.flight.save()
    WeatherCheckFactory(booking=school.flight, status="conflict", reasons=[REASON], checked_at=now)
    assert SHOWN in client.get("/dashboard/live/").content.decode()


def test_instructor_sees_the_flights_they_teach_with_the_student(client, colleague, school):
    client.force_login(colleague)
    body = client.get("/").content.decode()
    assert f"/bookings/{school.flight.id}/" in body and "Student: Olive Owner" in body
    assert f"/bookings/{school.strangers_flight.id}/" not in body


def test_empty_dashboard_says_so(client, stranger, db, now):
    client.force_login(stranger)
    body = client.get("/").content.decode()
    assert "No upcoming flights." in body and "No alerts." in body


def test_dashboard_queries_stay_flat(client, owner, school, now):
    client.force_login(owner)
    client.get("/")
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    added = [BookingFactory(student=owner, instructor=school.flight.instructor, aircraft=school.aircraft,
                            departure_airport=school.airport, start=school.flight.start + timedelta(days=day),
                            end=school.flight.end + timedelta(days=day)) for day in range(3, 9)]
    with CaptureQueriesContext(connection) as many:
        body = client.get("/").content.decode()
    assert all(f"/bookings/{booking.id}/" in body for booking in added)
    assert len(many) == len(few)


def test_dispatch_board_queries_stay_flat(client, staff, school):
    client.force_login(staff)
    client.get("/dispatch/")
    with CaptureQueriesContext(connection) as few:
        client.get("/dispatch/")
    added = [BookingFactory(instructor=school.flight.instructor, aircraft=school.aircraft,
                            departure_airport=school.airport, start=school.flight.start + timedelta(hours=shift),
                            end=school.flight.end + timedelta(hours=shift)) for shift in (-6, -3, 2)]
    with CaptureQueriesContext(connection) as many:
        body = client.get("/dispatch/").content.decode()
    assert all(f"/bookings/{booking.id}/" in body for booking in added)
    assert len(many) == len(few)


def test_dispatch_board_is_for_staff_only(client, owner, staff, school):
    client.force_login(owner)
    assert client.get("/dispatch/").status_code == 403
    client.force_login(staff)
    body = client.get("/dispatch/").content.decode()
    assert "Today" in body and "Tomorrow" in body
    assert f"/bookings/{school.flight.id}/" in body and f"/bookings/{school.strangers_flight.id}/" in body
    assert "Solo" in body


def test_dispatch_board_shows_holds_with_reasons(client, staff, held):
    client.force_login(staff)
    body = client.get("/dispatch/").content.decode()
    assert "Weather hold" in body and SHOWN in body and "Weather: Conflict" in body


def test_a_full_dashboard_says_how_many_more_and_where(client, owner, colleague, school, now):
    # With the lesson of the school fixture, 23 upcoming flights in the next two weeks: 20 are listed.
    for i in range(22):
        start = now + timedelta(days=2, hours=12 * i)
        BookingFactory(student=owner, instructor=colleague, aircraft=school.spare, departure_airport=school.airport,
                       start=start, end=start + timedelta(hours=1))
    client.force_login(owner)
    body = client.get("/").content.decode()
    assert "The first 20 are shown; 3 more flights in the next two weeks" in body
    assert 'href="/schedule/"' in body and 'href="/calendar/"' in body


def test_a_dashboard_that_fits_says_nothing_more(client, owner, school):
    client.force_login(owner)
    assert "more flight" not in client.get("/").content.decode()


def test_the_start_time_is_marked_required_not_optional(client, owner, school):
    client.force_login(owner)
    body = client.get("/bookings/new/").content.decode()
    label = body.split('for="id_start_time"')[1].split("</label>")[0]
    assert "optional" not in label
    field = re.search(r'<input[^>]*id="id_start_time"[^>]*>', body).group(0)
    assert 'aria-required="true"' in field and "required" in field
