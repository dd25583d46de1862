"""An instructor's work in the pages: confirming a lesson, and saying they cannot fly an option."""

from datetime import timedelta

import pytest

from audit.models import AuditEvent
from bookings.models import Booking
from rescheduling.models import RescheduleOption, RescheduleRequest
from rescheduling.tests.factories import RescheduleOptionFactory, RescheduleRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offered(school, now, colleague):
    flight = school.flight
    flight.status, flight.status_before_hold = "weather_hold", "scheduled"
    flight.save()
    request = RescheduleRequestFactory(booking=flight, detected_at=now, created_at=now,
                                       expires_at=now + timedelta(hours=12))
    options = [RescheduleOptionFactory(request=request, rank=rank, instructor=colleague, aircraft=school.aircraft,
                                       start=flight.start + timedelta(days=rank),
                                       end=flight.end + timedelta(days=rank)) for rank in (1, 2)]
    return request, options


def test_the_instructor_confirms_a_lesson_they_teach(client, colleague, school):
    client.force_login(colleague)
    assert "Confirm this lesson" in client.get(f"/bookings/{school.flight.pk}/").content.decode()
    response = client.post(f"/bookings/{school.flight.pk}/confirm/")
    assert response.status_code == 302
    assert Booking.objects.get(pk=school.flight.pk).status == "confirmed"
    assert "Confirmed: Tue 03 Mar 09:00–11:00 PST." in client.get(response["Location"]).content.decode()
    assert AuditEvent.objects.filter(action="booking.updated", object_id=str(school.flight.pk)).exists()


def test_a_student_cannot_confirm_and_a_stranger_finds_nothing(client, owner, stranger, school):
    client.force_login(owner)
    assert "Confirm this lesson" not in client.get(f"/bookings/{school.flight.pk}/").content.decode()
    client.post(f"/bookings/{school.flight.pk}/confirm/")
    assert Booking.objects.get(pk=school.flight.pk).status == "scheduled"
    client.force_login(stranger)
    assert client.post(f"/bookings/{school.flight.pk}/confirm/").status_code == 404
    assert Booking.objects.get(pk=school.flight.pk).status == "scheduled"


def test_the_instructor_marks_an_option_they_cannot_make(client, colleague, owner, offered):
    request, (first, second) = offered
    client.force_login(colleague)
    page = client.get(f"/reschedule/{request.pk}/").content.decode()
    assert page.count("I can't make this") == 2 and "Accept option" not in page
    assert "You teach this lesson; Olive Owner chooses the new time" in page
    response = client.post(f"/reschedule/{request.pk}/options/{first.pk}/unavailable/")
    assert response.status_code == 302 and response["Location"] == f"/reschedule/{request.pk}/"
    assert RescheduleOption.objects.get(pk=first.pk).unavailable_by == colleague
    assert RescheduleOption.objects.get(pk=second.pk).unavailable_at is None
    # The student sees it gone and can no longer take it.
    client.force_login(owner)
    student_page = client.get(f"/reschedule/{request.pk}/").content.decode()
    assert "No longer available." in student_page and "Accept option 1" not in student_page
    assert "Accept option 2" in student_page


def test_only_the_options_instructor_may_mark_it(client, owner, offered):
    request, (first, _) = offered
    client.force_login(owner)
    assert "I can't make this" not in client.get(f"/reschedule/{request.pk}/").content.decode()
    client.post(f"/reschedule/{request.pk}/options/{first.pk}/unavailable/")
    assert RescheduleOption.objects.get(pk=first.pk).unavailable_at is None


def test_a_closed_request_changes_nothing(client, colleague, offered):
    request, (first, _) = offered
    RescheduleRequest.objects.filter(pk=request.pk).update(status="expired")
    client.force_login(colleague)
    response = client.post(f"/reschedule/{request.pk}/options/{first.pk}/unavailable/")
    assert response.status_code == 302
    assert RescheduleOption.objects.get(pk=first.pk).unavailable_at is None
