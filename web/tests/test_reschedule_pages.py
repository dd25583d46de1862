from datetime import timedelta

import pytest

from bookings.models import Booking
from bookings.tests.factories import BookingFactory
from rescheduling.models import RescheduleRequest
from rescheduling.tests.factories import RescheduleOptionFactory, RescheduleRequestFactory

REASON = "visibility 2.0 sm below 5 sm (student_pilot) at KPAO 17:00Z"
# As the pages say it: in words, for the hour it spans on the airport's clock (Tuesday 3 March, 17:00Z is
# 09:00 PST).
SHOWN = "visibility 2.0 sm below 5 sm for a student pilot, 09:00–10:00 PST, at KPAO"


@pytest.fixture
def request_with_options(school, now):
    flight = school.flight
    flight.status, flight.status_before_hold = "weather_hold", "scheduled"
    flight.save()
    request = RescheduleRequestFactory(booking=flight, reasons=[REASON], detected_at=now, created_at=now,
                                       expires_at=now + timedelta(hours=12))
    rationales = ["Same instructor and aircraft, clear skies.", "Same time of day, two days later.",
                  "Earliest morning slot with good visibility."]
    for rank, rationale in enumerate(rationales, start=1):
        RescheduleOptionFactory(request=request, rank=rank, rationale=rationale,
                                start=flight.start + timedelta(days=rank), end=flight.end + timedelta(days=rank))
    return request


def test_options_page_shows_three_options_with_rationale_and_weather(client, owner, request_with_options):
    client.force_login(owner)
    response = client.get(f"/reschedule/{request_with_options.id}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("Accept option") == 3
    assert "Same instructor and aircraft, clear skies." in body
    assert "Wed 04 Mar 09:00–11:00 PST" in body
    assert body.count("Weather: OK") == 3
    assert SHOWN in body and "Decide by" in body


def test_a_stranger_gets_404_for_the_page_and_the_accept(client, stranger, request_with_options):
    client.force_login(stranger)
    assert client.get(f"/reschedule/{request_with_options.id}/").status_code == 404
    option = request_with_options.options.first()
    assert client.post(f"/reschedule/{request_with_options.id}/accept/", {"option": option.id}).status_code == 404
    assert RescheduleRequest.objects.get(pk=request_with_options.pk).status == "pending"


@pytest.mark.postgres
def test_accepting_an_option_books_it_and_shows_the_new_flight(client, owner, request_with_options):
    client.force_login(owner)
    option = request_with_options.options.get(rank=2)
    response = client.post(f"/reschedule/{request_with_options.id}/accept/", {"option": option.id})
    assert response.status_code == 302
    new = Booking.objects.get(rescheduled_from=request_with_options.booking)
    assert response["Location"] == f"/bookings/{new.id}/"
    assert new.start == option.start and new.status == "confirmed"
    page = client.get(response["Location"]).content.decode()
    assert "Rescheduled. Your new flight is Thu 05 Mar 09:00–11:00 PST." in page


@pytest.mark.postgres
def test_a_taken_slot_is_a_clear_409_and_nothing_changes(client, owner, stranger, school, request_with_options):
    option = request_with_options.options.get(rank=1)
    BookingFactory(student=stranger, instructor=school.flight.instructor, aircraft=school.spare,
                   departure_airport=school.airport, start=option.start, end=option.end)
    client.force_login(owner)
    response = client.post(f"/reschedule/{request_with_options.id}/accept/", {"option": option.id})
    assert response.status_code == 409
    body = response.content.decode()
    assert "no longer available" in body and 'role="alert"' in body
    assert Booking.objects.get(pk=school.flight.pk).status == "weather_hold"
    assert not Booking.objects.filter(rescheduled_from=school.flight).exists()


def test_an_option_id_that_is_not_a_number_is_404(client, owner, request_with_options):
    client.force_login(owner)
    response = client.post(f"/reschedule/{request_with_options.id}/accept/", {"option": "first"})
    assert response.status_code == 404


def test_declining_keeps_the_hold_and_says_what_happens_next(client, owner, request_with_options):
    client.force_login(owner)
    response = client.post(f"/reschedule/{request_with_options.id}/decline/")
    assert response.status_code == 302
    assert RescheduleRequest.objects.get(pk=request_with_options.pk).status == "declined"
    body = client.get(response["Location"]).content.decode()
    assert "You declined these options." in body
    # Nothing is being worked out after a decline, and the page does not pretend otherwise.
    assert "The options offered were declined" in body and "No new times have been offered yet" not in body


def test_a_closed_request_offers_no_accept_button(client, owner, request_with_options):
    RescheduleRequest.objects.filter(pk=request_with_options.pk).update(status="expired")
    client.force_login(owner)
    body = client.get(f"/reschedule/{request_with_options.id}/").content.decode()
    assert "Accept option" not in body and "These options are expired" in body


def test_the_instructor_sees_the_options_but_the_student_decides(client, colleague, request_with_options):
    client.force_login(colleague)
    body = client.get(f"/reschedule/{request_with_options.id}/").content.decode()
    assert "Same instructor and aircraft, clear skies." in body
    assert "Accept option" not in body and "None of these work for me" not in body
