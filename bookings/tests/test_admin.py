import pytest
from django.urls import reverse

from audit.models import AuditEvent
from availability.tests.factories import ExceptionFactory, PatternFactory
from bookings.tests.conftest import at
from bookings.tests.factories import BookingFactory


@pytest.mark.django_db
def test_staff_find_bookings_in_the_admin_with_flat_queries(client, staff, plane, owner, colleague,
                                                            django_assert_max_num_queries):
    for day in range(2, 20):
        BookingFactory(student=owner, instructor=colleague, aircraft=plane, start=at(day, 16), end=at(day, 18))
    PatternFactory(aircraft=plane)
    ExceptionFactory(aircraft=plane, start=at(2, 1), end=at(2, 2))
    client.force_login(staff)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:bookings_booking_changelist"), {"q": "N739SP", "status__exact": "scheduled"})
    assert page.status_code == 200 and page.content.count(b"N739SP") >= 18
    for name in ("bookings_aircraft", "bookings_airport", "availability_availabilitypattern",
                 "availability_availabilityexception"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    booking = BookingFactory(student=owner, instructor=colleague, aircraft=plane, start=at(25, 16), end=at(25, 18))
    assert client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).status_code == 200


@pytest.mark.django_db
def test_the_admin_cancel_action_goes_through_the_service(client, staff, plane, owner, colleague):
    booking = BookingFactory(student=owner, instructor=colleague, aircraft=plane, start=at(2, 16), end=at(2, 18))
    client.force_login(staff)
    # The action asks for a reason first (web/tests/test_cancel_pages.py); confirmed, the service does the work.
    client.post(reverse("admin:bookings_booking_changelist"),
                {"action": "cancel_bookings", "_selected_action": [booking.pk], "confirm_cancel": "yes",
                 "reason_code": "weather", "reason": ""})
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by, booking.cancel_reason_code) == ("cancelled", staff, "weather")
    assert AuditEvent.objects.filter(action="booking.cancelled", object_id=str(booking.pk)).exists()


@pytest.mark.django_db
def test_students_stay_out_of_the_admin(client, owner):
    client.force_login(owner)
    assert client.get(reverse("admin:bookings_booking_changelist")).status_code == 302


@pytest.mark.django_db
def test_staff_see_the_standby_list_and_withdraw_from_it(client, staff, plane, owner, colleague, now, open_hours,
                                                         django_assert_max_num_queries):
    from accounts.tests.factories import StudentFactory
    from bookings.models import StandbyRequest
    from bookings.services.standby import standby_create

    BookingFactory(student=owner, instructor=colleague, aircraft=plane, start=at(3, 16), end=at(3, 18))
    waiting = [standby_create(actor=student, student=student, aircraft=plane, departure_airport="KPAO",
                              start=at(3, 16), end=at(3, 18), lesson_type="solo")
               for student in StudentFactory.create_batch(5)]
    client.force_login(staff)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("admin:bookings_standbyrequest_changelist"))
    assert page.status_code == 200 and page.content.count(b"N739SP") >= 5
    assert client.get(reverse("admin:bookings_standbyrequest_change", args=[waiting[0].pk])).status_code == 200
    response = client.post(reverse("admin:bookings_standbyrequest_changelist"),
                           {"action": "withdraw_standby", "_selected_action": [waiting[0].pk, waiting[1].pk]})
    assert response.status_code == 302
    assert sorted(StandbyRequest.objects.values_list("status", flat=True)) == ["waiting"] * 3 + ["withdrawn"] * 2
    assert AuditEvent.objects.filter(action="standby.withdrawn", actor=staff).count() == 2
