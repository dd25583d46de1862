"""Every state change in a booking's life leaves an audit row with who, what, before/after and the request id."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory
from audit.models import AuditEvent
from bookings import services as bookings
from bookings.models import Aircraft
from config.request_context import job_context


def trail_of(booking) -> list[tuple[str, dict | None]]:
    events = AuditEvent.objects.filter(object_type="booking", object_id=str(booking.pk)).order_by("id")
    return [(e.action, (e.after or {}).get("status")) for e in events]


@pytest.mark.django_db
def test_a_bookings_life_is_audited_step_by_step(api, owner, colleague):
    ops = AdminFactory(email="dispatch@example.com")
    kpao = bookings.airport_get_or_create("KPAO")
    aircraft = Aircraft.objects.create(tail_number="N739SP", model="Cessna 172S", home_airport=kpao)
    start = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    lesson = {"student": owner, "instructor": colleague, "aircraft": aircraft, "departure_airport": kpao,
              "destination_airport": kpao, "lesson_type": "dual", "override_availability": True}

    booking = bookings.booking_create(actor=ops, start=start, end=start + timedelta(hours=2), **lesson)
    bookings.booking_update(booking=booking, actor=colleague, status="confirmed")
    with job_context("weather.run_monitor") as run_id:
        bookings.booking_record_weather(booking=booking, weather_status="conflict", checked_at=timezone.now())
        bookings.booking_place_on_weather_hold(booking=booking)
    bookings.booking_release_weather_hold(booking=booking)
    bookings.booking_place_on_weather_hold(booking=booking)
    replacement = bookings.booking_create(actor=ops, start=start + timedelta(days=1),
                                          end=start + timedelta(days=1, hours=2), rescheduled_from=booking, **lesson)
    response = api.as_user(ops).post(f"/api/v1/bookings/{replacement.pk}/cancel/", {"reason": "Student is ill"},
                                      HTTP_X_REQUEST_ID="cancel-req-1")
    assert response.status_code == 200, response.content

    assert trail_of(booking) == [
        ("booking.created", "scheduled"),
        ("booking.updated", "confirmed"),
        ("booking.weather_changed", None),
        ("booking.weather_hold", "weather_hold"),
        ("booking.weather_hold_released", "confirmed"),
        ("booking.weather_hold", "weather_hold"),
        ("booking.rescheduled", "rescheduled"),
    ]
    assert [action for action, _ in trail_of(replacement)] == ["booking.created", "booking.cancelled"]

    by_action = {e.action: e for e in AuditEvent.objects.filter(object_id=str(booking.pk), object_type="booking")}
    assert by_action["booking.created"].actor == ops
    assert by_action["booking.updated"].actor == colleague
    assert by_action["booking.updated"].before["status"] == "scheduled"
    assert by_action["booking.weather_changed"].request_id == run_id
    cancelled = AuditEvent.objects.get(object_id=str(replacement.pk), action="booking.cancelled")
    assert cancelled.request_id == "cancel-req-1" and cancelled.actor == ops
