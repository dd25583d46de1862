"""Standby in the pages: offered on a taken slot, listed, withdrawn, and booked when the slot frees up."""

import pytest

from accounts.tests.factories import StudentFactory
from bookings.models import Booking, StandbyRequest
from bookings.services import booking_cancel

pytestmark = pytest.mark.django_db


def form_for(school, **changes):
    """Booking the owner's aircraft at the owner's lesson time (09:00 PST tomorrow): taken."""
    return {"lesson_type": "solo", "aircraft": school.aircraft.pk, "departure_airport": "KPAO",
            "destination_airport": "KPAO", "date": "2026-03-03", "start_time": "09:00", "duration_minutes": 60,
            **changes}


def test_a_taken_slot_offers_standby_and_the_student_waits_then_gets_it(
        client, owner, school, django_capture_on_commit_callbacks):
    dana = StudentFactory(first_name="Dana", last_name="Diaz")
    client.force_login(dana)
    refused = client.post("/bookings/new/", form_for(school))
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Standby for N101FS" in page and "Standby for any Cessna 172S" in page
    assert 'name="standby" value="aircraft"' in page and 'form="booking-form"' in page

    joined = client.post("/bookings/new/", form_for(school, standby="aircraft"))
    assert joined.status_code == 302 and joined["Location"] == "/standby/"
    listing = client.get("/standby/").content.decode()
    assert "On standby for Tue 03 Mar 09:00–10:00 PST (N101FS)" in listing
    standby = StandbyRequest.objects.get(student=dana)
    assert f"/standby/{standby.pk}/withdraw/" in listing
    assert not Booking.objects.filter(student=dana).exists()

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=school.flight, actor=owner, reason_code="illness")
    standby.refresh_from_db()
    listing = client.get("/standby/").content.decode()
    assert standby.status == "booked" and f'href="/bookings/{standby.booking_id}/"' in listing
    assert "No standby requests waiting." in listing


def test_a_free_slot_is_not_waited_for_and_nothing_is_stored(client, school):
    client.force_login(StudentFactory())
    response = client.post("/bookings/new/", form_for(school, start_time="13:00", standby="model"))
    assert response.status_code == 400
    assert "free at that time: book it instead of waiting" in response.content.decode()
    assert not StandbyRequest.objects.exists()


def test_withdrawing_and_another_students_request_is_not_there(client, school):
    dana = StudentFactory()
    client.force_login(dana)
    client.post("/bookings/new/", form_for(school, standby="aircraft"))
    standby = StandbyRequest.objects.get(student=dana)
    client.force_login(StudentFactory())
    assert client.post(f"/standby/{standby.pk}/withdraw/").status_code == 404
    assert "No standby requests waiting." in client.get("/standby/").content.decode()
    client.force_login(dana)
    response = client.post(f"/standby/{standby.pk}/withdraw/", follow=True)
    assert "You are off standby for Tue 03 Mar 09:00–10:00 PST." in response.content.decode()
    standby.refresh_from_db()
    assert standby.status == "withdrawn"
    assert client.get(f"/standby/{standby.pk}/withdraw/").status_code == 405


def test_staff_see_everyone_waiting(client, staff, school):
    dana = StudentFactory(first_name="Dana", last_name="Diaz")
    client.force_login(dana)
    client.post("/bookings/new/", form_for(school, standby="model"))
    client.force_login(staff)
    page = client.get("/standby/").content.decode()
    assert "any Cessna 172S" in page and "Dana Diaz" in page
