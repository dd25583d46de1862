"""Cancelling with a reason code: the API, the service's cut-off and the audit trail."""

from datetime import timedelta

import pytest

from audit.models import AuditEvent
from bookings import services
from bookings.models import Booking
from bookings.tests.conftest import NOW
from bookings.tests.factories import BookingFactory

BOOKINGS = "/api/v1/bookings/"


def lesson(owner, colleague, plane, *, hours_ahead: float):
    start = NOW + timedelta(hours=hours_ahead)
    return BookingFactory(student=owner, instructor=colleague, aircraft=plane, start=start,
                          end=start + timedelta(hours=2))


@pytest.mark.django_db
class TestCancelApi:
    def test_a_reason_code_is_enough_and_reaches_the_audit_trail(self, api, now, owner, colleague, plane):
        booking = lesson(owner, colleague, plane, hours_ahead=72)
        response = api.as_user(owner).post(f"{BOOKINGS}{booking.pk}/cancel/", {"reason_code": "illness"})
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == "cancelled"
        assert {k: response.json()[k] for k in ("cancel_reason_code", "cancel_reason", "late_cancellation")} == {
            "cancel_reason_code": "illness", "cancel_reason": "", "late_cancellation": False}
        listed = api.as_user(owner).get(BOOKINGS, {"status": "cancelled"}).json()["results"]
        assert [(b["id"], b["cancel_reason_code"], b["hold_reason"]) for b in listed] == [(booking.pk, "illness", "")]
        booking.refresh_from_db()
        assert (booking.cancel_reason_code, booking.cancel_reason, booking.late_cancellation) == ("illness", "", False)
        event = AuditEvent.objects.get(action="booking.cancelled", object_id=str(booking.pk))
        assert event.after["cancel_reason_code"] == "illness" and event.before["cancel_reason_code"] == ""
        assert event.after["late_cancellation"] is False

    def test_free_text_alone_is_other_as_before(self, api, now, owner, colleague, plane):
        booking = lesson(owner, colleague, plane, hours_ahead=72)
        response = api.as_user(colleague).post(f"{BOOKINGS}{booking.pk}/cancel/", {"reason": "Checkride moved"})
        assert response.status_code == 200
        booking.refresh_from_db()
        assert (booking.cancel_reason_code, booking.cancel_reason) == ("other", "Checkride moved")

    @pytest.mark.parametrize("payload, field", [
        ({"reason_code": "sunspots", "reason": "solar storm"}, "reason_code"),
        ({"reason_code": "other"}, "reason"),
        ({"reason_code": "other", "reason": "   "}, "reason"),
        ({"reason_code": ["weather", "illness"]}, "reason_code"),
    ])
    def test_a_bad_reason_is_a_400_and_nothing_changes(self, api, now, owner, colleague, plane, payload, field):
        booking = lesson(owner, colleague, plane, hours_ahead=72)
        response = api.as_user(owner).post(f"{BOOKINGS}{booking.pk}/cancel/", payload, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid" and field in response.json()["fields"]
        booking.refresh_from_db()
        assert (booking.status, booking.cancel_reason_code, booking.cancelled_at) == ("scheduled", "", None)
        assert not AuditEvent.objects.filter(action="booking.cancelled").exists()

    def test_a_stranger_cannot_cancel_and_learns_nothing(self, api, now, owner, colleague, stranger, plane):
        booking = lesson(owner, colleague, plane, hours_ahead=72)
        response = api.as_user(stranger).post(f"{BOOKINGS}{booking.pk}/cancel/", {"reason_code": "weather"})
        assert response.status_code == 404
        assert Booking.objects.get(pk=booking.pk).status == "scheduled"


@pytest.mark.django_db
class TestLateCancellation:
    def test_a_student_inside_the_cutoff_cancels_late(self, now, owner, colleague, plane):
        booking = lesson(owner, colleague, plane, hours_ahead=10)
        services.booking_cancel(booking=booking, actor=owner, reason_code="student", now=now)
        booking.refresh_from_db()
        assert booking.status == "cancelled" and booking.late_cancellation is True

    def test_before_the_cutoff_it_is_not_late(self, now, owner, colleague, plane):
        booking = lesson(owner, colleague, plane, hours_ahead=24)
        services.booking_cancel(booking=booking, actor=owner, reason_code="student", now=now)
        booking.refresh_from_db()
        assert booking.late_cancellation is False

    def test_the_school_sets_the_cutoff(self, settings, now, owner, colleague, plane):
        settings.CANCELLATION_CUTOFF_HOURS = 48
        booking = lesson(owner, colleague, plane, hours_ahead=30)
        services.booking_cancel(booking=booking, actor=owner, reason_code="illness", now=now)
        booking.refresh_from_db()
        assert booking.late_cancellation is True

    def test_staff_and_instructors_never_cancel_late(self, now, owner, colleague, staff, plane):
        taught = lesson(owner, colleague, plane, hours_ahead=2)
        services.booking_cancel(booking=taught, actor=colleague, reason_code="instructor", now=now)
        grounded = lesson(owner, colleague, plane, hours_ahead=6)
        services.booking_cancel(booking=grounded, actor=staff, reason_code="maintenance", now=now)
        assert list(Booking.objects.filter(pk__in=[taught.pk, grounded.pk]).values_list("late_cancellation",
                                                                                          flat=True)) == [False, False]
