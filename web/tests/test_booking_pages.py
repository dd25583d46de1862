from datetime import timedelta

import pytest

from bookings.models import Booking
from bookings.tests.factories import BookingFactory
from web.tests.factories import WeatherCheckFactory, judged_points


def test_owner_and_instructor_see_the_booking_a_stranger_gets_404(client, owner, colleague, stranger, school):
    url = f"/bookings/{school.flight.id}/"
    for person in (owner, colleague):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200
        assert "Flight on Tue 03 Mar 09:00–11:00 PST" in response.content.decode()
    client.force_login(stranger)
    response = client.get(url)
    assert response.status_code == 404
    assert "Olive" not in response.content.decode()


def test_unchecked_booking_says_the_weather_is_not_checked_yet(client, owner, school):
    client.force_login(owner)
    assert "Not checked yet." in client.get(f"/bookings/{school.flight.id}/").content.decode()


def test_weather_timeline_draws_values_against_the_minimums(client, owner, school, now):
    points = judged_points(school.flight, visibility_sm=2.0, ceiling_ft=2500, wind_kt=8.0, gust_kt=18.0)
    WeatherCheckFactory(booking=school.flight, status="conflict", points=points, checked_at=now,
                        reasons=["visibility 2.0 sm below 5 sm (student_pilot) at KPAO 17:00Z"])
    client.force_login(owner)
    body = client.get(f"/bookings/{school.flight.id}/").content.decode()
    assert "<svg" in body and 'role="img"' in body
    assert "Visibility (sm) — limit ≥ 5 — 3 hours outside" in body
    assert "Ceiling (ft AGL) — limit ≥ 3000 — 3 hours outside" in body and "Ceiling ≥ 3000 ft AGL · 3 h outside" in body
    assert "Gust (kt) — limit ≤ 15" in body
    assert body.count('class="limit"') == 8  # wide and phone drawings
    # The reason is recorded in UTC; the page says it in words for the hour it spans, on the airport's clock.
    assert "visibility 2.0 sm below 5 sm for a student pilot, 09:00–10:00 PST, at KPAO" in body
    assert "17:00Z" not in body
    assert "from demo" in body
    assert "(outside limit)" in body  # the table says it in words too


def test_a_rescheduled_booking_links_to_its_replacement(client, owner, school):
    replacement = BookingFactory(student=owner, instructor=school.flight.instructor, aircraft=school.aircraft,
                                 departure_airport=school.airport, start=school.flight.start + timedelta(days=2),
                                 end=school.flight.end + timedelta(days=2), status="confirmed",
                                 rescheduled_from=school.flight)
    Booking.objects.filter(pk=school.flight.pk).update(status="rescheduled")
    client.force_login(owner)
    body = client.get(f"/bookings/{school.flight.id}/").content.decode()
    assert f'href="/bookings/{replacement.id}/"' in body and "Thu 05 Mar 09:00–11:00 PST" in body
    assert f'href="/bookings/{school.flight.id}/"' in client.get(f"/bookings/{replacement.id}/").content.decode()


def _form(school, **overrides):
    data = {"lesson_type": "dual", "instructor": school.flight.instructor.id, "aircraft": school.aircraft.id,
            "departure_airport": "kpao", "destination_airport": "KPAO", "date": "2026-03-04",
            "start_time": "10:00", "duration_minutes": 120, "notes": ""}
    data.update(overrides)
    return data


def test_booking_form_books_in_the_departure_airports_time(client, owner, school):
    client.force_login(owner)
    assert client.get("/bookings/new/").status_code == 200
    response = client.post("/bookings/new/", _form(school))
    booking = Booking.objects.exclude(pk__in=[school.flight.pk, school.strangers_flight.pk]).get()
    assert response.status_code == 302 and response["Location"] == f"/bookings/{booking.id}/"
    assert booking.student == owner
    assert booking.start.isoformat() == "2026-03-04T18:00:00+00:00"  # 10:00 PST
    assert "Flight booked for Wed 04 Mar 10:00–12:00 PST." in client.get(response["Location"]).content.decode()


def test_booking_form_refuses_an_overlap_with_a_clear_message(client, owner, school):
    client.force_login(owner)
    before = Booking.objects.count()
    response = client.post("/bookings/new/", _form(school, date="2026-03-03", start_time="10:00"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "That time overlaps another flight" in body and f"#{school.flight.id}" in body
    assert 'role="alert"' in body
    assert Booking.objects.count() == before


def test_booking_form_explains_bad_input_and_changes_nothing(client, owner, school):
    client.force_login(owner)
    before = Booking.objects.count()
    response = client.post("/bookings/new/", _form(school, departure_airport="ZZZZ", instructor=""))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose an instructor for this lesson, or make it a solo flight." in body
    assert Booking.objects.count() == before
    response = client.post("/bookings/new/", _form(school, departure_airport="ZZZZ"))
    assert response.status_code == 400
    assert 'id="id_departure_airport_error"' in response.content.decode()
    assert Booking.objects.count() == before


def test_booking_form_asks_for_a_start_time(client, owner, school):
    client.force_login(owner)
    response = client.post("/bookings/new/", _form(school, start_time=""))
    assert response.status_code == 400
    assert "Pick one of the free times or type a start time." in response.content.decode()


def test_free_slots_skip_the_students_own_flight(client, owner, school):
    client.force_login(owner)
    response = client.get("/bookings/new/slots/", _form(school, date="2026-03-03", start_time=""),
                          HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-start-time="07:00"' in body  # 07:00-09:00 PST ends as the lesson starts
    assert 'aria-label="Tue 03 Mar 07:00–09:00 PST"' in body
    assert 'data-start-time="08:00"' not in body and 'data-start-time="10:00"' not in body
    assert 'data-start-time="11:00"' in body


def test_free_slots_ask_for_what_is_missing(client, owner, school):
    client.force_login(owner)
    body = client.get("/bookings/new/slots/", {"lesson_type": "dual"}).content.decode()
    expected = "Choose an instructor (or make it solo), an aircraft, the departure airport and a day to see free times."
    assert expected in body


@pytest.mark.django_db
def test_a_student_cannot_book_for_someone_else(client, owner, stranger, school):
    client.force_login(owner)
    client.post("/bookings/new/", _form(school, student=stranger.id))
    assert not Booking.objects.filter(student=stranger).exclude(pk=school.strangers_flight.pk).exists()
