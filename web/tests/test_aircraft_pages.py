from bookings.models import Aircraft, Booking, Squawk
from bookings.services import squawk_open


def test_instructor_writes_up_a_grounding_squawk_and_the_page_lists_it(client, colleague, school,
                                                                       django_capture_on_commit_callbacks):
    client.force_login(colleague)
    page = client.get(f"/aircraft/{school.aircraft.id}/")
    assert page.status_code == 200 and "No open squawks." in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/aircraft/{school.aircraft.id}/squawks/",
                               {"text": "Nose strut flat", "grounding": "on"}, follow=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert "N101FS is grounded" in body and "Nose strut flat" in body and "Grounded (maintenance)" in body
    flight = Booking.objects.get(pk=school.flight.pk)
    assert (flight.status, flight.hold_reason) == ("weather_hold", "maintenance")
    assert "Flights on hold while grounded" in body
    detail = client.get(f"/bookings/{flight.id}/").content.decode()
    assert "N101FS is grounded" in detail and "Maintenance hold" in detail


def test_clearing_from_the_page_needs_a_note_and_moves_the_squawk_to_closed(client, staff, school):
    squawk = squawk_open(aircraft=school.aircraft, by=staff, text="Strobe inoperative", grounding=True)
    client.force_login(staff)
    refused = client.post(f"/squawks/{squawk.id}/clear/", {f"clear-{squawk.id}-note": ""})
    assert refused.status_code == 400
    assert Squawk.objects.get(pk=squawk.pk).cleared_at is None
    response = client.post(f"/squawks/{squawk.id}/clear/", {f"clear-{squawk.id}-note": "Strobe replaced"},
                           follow=True)
    body = response.content.decode()
    assert "back in service" in body and "Strobe replaced" in body and "No open squawks." in body
    assert Aircraft.objects.get(pk=school.aircraft.pk).status == "available"


def test_students_are_refused_the_aircraft_page(client, owner, school):
    client.force_login(owner)
    assert client.get(f"/aircraft/{school.aircraft.id}/").status_code == 403
    assert client.post(f"/aircraft/{school.aircraft.id}/squawks/", {"text": "x", "grounding": "on"}).status_code == 403
    assert not Squawk.objects.exists()
    assert client.get("/aircraft/999999/").status_code in (403, 404)
