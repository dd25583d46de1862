"""Cancelling from the pages: each role, a reason, the cut-off said before it bites, and the admin's confirmation."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from bookings.models import Booking
from bookings.tests.factories import BookingFactory
from web.tests.conftest import NOW

pytestmark = pytest.mark.django_db


def cancel_url(booking) -> str:
    return f"/bookings/{booking.pk}/cancel/"


def status_of(booking) -> str:
    return Booking.objects.get(pk=booking.pk).status


def test_a_student_cancels_their_own_flight_with_a_reason(client, owner, school):
    client.force_login(owner)
    detail = client.get(f"/bookings/{school.flight.pk}/").content.decode()
    assert cancel_url(school.flight) in detail
    form = client.get(cancel_url(school.flight)).content.decode()
    assert 'name="reason_code" value="illness"' in form and "Late cancellation" not in form
    response = client.post(cancel_url(school.flight), {"reason_code": "illness", "reason": "Head cold"})
    assert response.status_code == 302 and response["Location"] == f"/bookings/{school.flight.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "is cancelled" in page and "Illness: “Head cold”" in page
    assert cancel_url(school.flight) not in page  # nothing left to cancel
    school.flight.refresh_from_db()
    assert (school.flight.status, school.flight.cancel_reason_code, school.flight.late_cancellation) == (
        "cancelled", "illness", False)


def test_other_without_words_is_refused_and_nothing_changes(client, owner, school):
    client.force_login(owner)
    response = client.post(cancel_url(school.flight), {"reason_code": "other", "reason": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "A reason is required." in body and 'aria-invalid="true"' in body
    assert status_of(school.flight) == "scheduled"
    unknown = client.post(cancel_url(school.flight), {"reason_code": "sunspots"})
    assert unknown.status_code == 400 and status_of(school.flight) == "scheduled"
    assert not AuditEvent.objects.filter(action="booking.cancelled").exists()


def test_inside_the_cutoff_the_student_is_told_first_and_staff_see_it_late(client, owner, colleague, staff, school):
    soon = NOW + timedelta(hours=5)
    booking = BookingFactory(student=owner, instructor=colleague, aircraft=school.spare,
                             departure_airport=school.airport, start=soon, end=soon + timedelta(hours=1))
    client.force_login(owner)
    form = client.get(cancel_url(booking)).content.decode()
    assert "Late cancellation." in form and "less than 24 hours" in form
    client.post(cancel_url(booking), {"reason_code": "student", "reason": "Work came up"})
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.late_cancellation
    assert 'tag-late' not in client.get(f"/bookings/{booking.pk}/").content.decode()
    client.force_login(staff)
    assert "Late cancellation" in client.get(f"/bookings/{booking.pk}/").content.decode()


def test_an_instructor_cancels_a_lesson_they_teach(client, colleague, school):
    client.force_login(colleague)
    response = client.post(cancel_url(school.flight), {"reason_code": "instructor", "reason": ""})
    assert response.status_code == 302
    school.flight.refresh_from_db()
    assert (school.flight.status, school.flight.cancelled_by, school.flight.late_cancellation) == (
        "cancelled", colleague, False)


def test_staff_cancel_any_flight(client, staff, school):
    client.force_login(staff)
    assert client.post(cancel_url(school.strangers_flight), {"reason_code": "weather"}).status_code == 302
    assert status_of(school.strangers_flight) == "cancelled"


def test_someone_elses_flight_is_not_there(client, owner, school):
    client.force_login(owner)
    assert client.get(cancel_url(school.strangers_flight)).status_code == 404
    assert client.post(cancel_url(school.strangers_flight), {"reason_code": "weather"}).status_code == 404
    assert status_of(school.strangers_flight) == "scheduled"


def test_a_cancelled_flight_cannot_be_cancelled_again(client, owner, school):
    client.force_login(owner)
    client.post(cancel_url(school.flight), {"reason_code": "illness"})
    again = client.post(cancel_url(school.flight), {"reason_code": "weather"})
    assert again.status_code == 409
    school.flight.refresh_from_db()
    assert school.flight.cancel_reason_code == "illness"


class TestAdminCancel:
    def changelist(self):
        return reverse("admin:bookings_booking_changelist")

    def test_the_action_asks_for_a_reason_before_anything_happens(self, client, staff, school):
        client.force_login(staff)
        page = client.post(self.changelist(), {"action": "cancel_bookings",
                                               "_selected_action": [school.flight.pk, school.strangers_flight.pk]})
        assert page.status_code == 200
        body = page.content.decode()
        assert "Cancel these flights?" in body and 'name="reason_code"' in body and "Yes, cancel 2 flights" in body
        assert school.flight.when_local in body
        assert status_of(school.flight) == status_of(school.strangers_flight) == "scheduled"

    def test_other_needs_words(self, client, staff, school):
        client.force_login(staff)
        page = client.post(self.changelist(), {"action": "cancel_bookings", "_selected_action": [school.flight.pk],
                                               "confirm_cancel": "yes", "reason_code": "other", "reason": ""})
        assert page.status_code == 200 and "Nothing was cancelled" in page.content.decode()
        assert status_of(school.flight) == "scheduled"

    def test_confirmed_with_a_reason_it_cancels_through_the_service(self, client, staff, school):
        client.force_login(staff)
        response = client.post(self.changelist(), {
            "action": "cancel_bookings", "_selected_action": [school.flight.pk, school.strangers_flight.pk],
            "confirm_cancel": "yes", "reason_code": "maintenance", "reason": "N101FS and N202FS grounded"})
        assert response.status_code == 302
        cancelled = Booking.objects.filter(pk__in=[school.flight.pk, school.strangers_flight.pk])
        assert {(b.status, b.cancel_reason_code, b.cancelled_by_id) for b in cancelled} == {
            ("cancelled", "maintenance", staff.pk)}
        assert AuditEvent.objects.filter(action="booking.cancelled").count() == 2


class TestCancellationsChart:
    """Staff dashboard: cancellations by month and reason, beside the weather holds saved by a reschedule."""

    @pytest.fixture(autouse=True)
    def palo_alto(self, settings):
        settings.SCHOOL_TIME_ZONE = "America/Los_Angeles"

    def test_counts_by_month_and_reason_with_weather_reschedules(self, client, staff, owner, school, now):
        from rescheduling.tests.factories import RescheduleRequestFactory

        february = datetime(2026, 2, 10, 17, 0, tzinfo=UTC)
        for code in ("weather", "weather", "illness"):
            BookingFactory(status="cancelled", cancel_reason_code=code, start=february,
                           end=february + timedelta(hours=1))
        BookingFactory(status="cancelled", cancel_reason_code="", start=february, end=february + timedelta(hours=1))
        # 1 March 05:00Z is still February in Palo Alto.
        late_feb = datetime(2026, 3, 1, 5, 0, tzinfo=UTC)
        BookingFactory(status="cancelled", cancel_reason_code="maintenance", start=late_feb,
                       end=late_feb + timedelta(hours=1))
        RescheduleRequestFactory(status="accepted", booking=BookingFactory(
            status="rescheduled", start=february, end=february + timedelta(hours=1)))
        RescheduleRequestFactory(status="accepted", reasons=[], booking=BookingFactory(
            status="rescheduled", start=february, end=february + timedelta(hours=1)))  # on demand: not weather
        client.force_login(staff)
        body = client.get("/").content.decode()
        assert "Cancellations by reason" in body
        row = re.search(r'<tr><th scope="row">Feb 2026</th>(.*?)</tr>', body, re.S).group(1)
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        # weather, maintenance, illness, student, instructor, other, all, rescheduled
        assert [re.sub(r"<.*", "", c).strip() for c in cells] == ["2", "1", "1", "0", "0", "1", "5", "1"]
        assert "of 3 weather-hit" in cells[-1]
        march = re.search(r'<tr><th scope="row">Mar 2026</th>(.*?)</tr>', body, re.S).group(1)
        assert re.findall(r"<td>(.*?)</td>", march)[6] == "0"

    def test_only_staff_see_it(self, client, owner, colleague, school):
        for person in (owner, colleague):
            client.force_login(person)
            assert "Cancellations by reason" not in client.get("/").content.decode()

    def test_a_quiet_half_year_says_so(self, client, staff, school):
        client.force_login(staff)
        assert "No cancellations or weather reschedules in the last six months." in client.get("/").content.decode()


def test_staff_see_recent_late_cancellations_on_their_dashboard(client, owner, colleague, staff, school):
    soon = NOW + timedelta(hours=5)
    late = BookingFactory(student=owner, instructor=colleague, aircraft=school.spare,
                          departure_airport=school.airport, start=soon, end=soon + timedelta(hours=1))
    client.force_login(owner)
    client.post(cancel_url(late), {"reason_code": "illness", "reason": "Fever"})
    client.post(cancel_url(school.flight), {"reason_code": "student"})  # a day and more ahead: not late
    client.force_login(staff)
    section = client.get("/").content.decode().split('id="late-title"')[1].split("</section>")[0]
    assert f'href="/bookings/{late.pk}/"' in section and "Illness: “Fever”" in section
    assert f'href="/bookings/{school.flight.pk}/"' not in section
    client.force_login(owner)
    assert 'id="late-title"' not in client.get("/").content.decode()
