from datetime import timedelta

import pytest

from rescheduling.models import RescheduleRequest
from weather.models import WeatherCheck


def _run_action(client, url, action, ids):
    return client.post(url, {"action": action, "_selected_action": [str(i) for i in ids]}, follow=True)


@pytest.mark.postgres
def test_staff_run_the_weather_check_now_for_chosen_flights(client, staff, school):
    client.force_login(staff)
    response = _run_action(client, "/admin/bookings/booking/", "check_weather_now", [school.flight.id])
    body = response.content.decode()
    assert response.status_code == 200
    assert "Weather checked for 1 selected flight(s)" in body
    assert WeatherCheck.objects.filter(booking=school.flight).exists()
    assert not WeatherCheck.objects.filter(booking=school.strangers_flight).exists()


def test_a_flight_already_flown_is_skipped_with_a_warning(client, staff, school, now):
    school.flight.start, school.flight.end = now - timedelta(hours=3), now - timedelta(hours=1)
    school.flight.save()
    client.force_login(staff)
    body = _run_action(client, "/admin/bookings/booking/", "check_weather_now", [school.flight.id]).content.decode()
    assert "1 selected flight(s) skipped" in body
    assert not WeatherCheck.objects.filter(booking=school.flight).exists()


@pytest.mark.postgres
def test_staff_regenerate_options_for_a_held_flight(client, staff, school):
    school.flight.status, school.flight.status_before_hold = "weather_hold", "scheduled"
    school.flight.save()
    client.force_login(staff)
    body = _run_action(client, "/admin/bookings/booking/", "regenerate_options_for_bookings",
                       [school.flight.id]).content.decode()
    assert "New options offered for 1 flight(s)" in body
    request = RescheduleRequest.objects.get(booking=school.flight, status="pending")
    assert request.options.count() == 3
    body = _run_action(client, "/admin/rescheduling/reschedulerequest/", "regenerate_options_for_requests",
                       [request.id]).content.decode()
    assert "New options offered for 1 flight(s)" in body
    assert RescheduleRequest.objects.get(pk=request.pk).status == "superseded"


def test_a_cancelled_flight_gets_no_options_and_staff_are_told_why(client, staff, school):
    school.flight.status = "cancelled"
    school.flight.save()
    client.force_login(staff)
    body = _run_action(client, "/admin/bookings/booking/", "regenerate_options_for_bookings",
                       [school.flight.id]).content.decode()
    assert f"Booking {school.flight.id}: A cancelled booking cannot be rescheduled." in body
    assert not RescheduleRequest.objects.exists()
