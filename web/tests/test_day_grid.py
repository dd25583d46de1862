"""The day grid through the test client: rows, local time, who sees what, click-to-book and the refresh."""

import re

import pytest

from accounts.tests.factories import InstructorFactory
from bookings.services import aircraft_update, booking_place_on_weather_hold

pytestmark = pytest.mark.django_db

TUESDAY = "2026-03-03"  # school.flight: 09:00–11:00 PST; the stranger's solo 09:00–10:00 PST on N202FS


@pytest.fixture(autouse=True)
def palo_alto(settings):
    settings.SCHOOL_TIME_ZONE = "America/Los_Angeles"


def grid(client, user, **params):
    client.force_login(user)
    return client.get("/schedule/", {"day": TUESDAY, **params})


def row_of(body: str, name: str) -> str:
    match = re.search(rf'<section class="grid-row[^"]*" aria-label="{re.escape(name)}".*?</section>', body, re.S)
    assert match, f"no row {name}"
    return match.group(0)


def test_staff_see_every_aircraft_and_instructor_in_local_time(client, staff, colleague, school):
    response = grid(client, staff)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Tuesday 3 March 2026" in body and "America/Los_Angeles (PST)" in body
    n101, n202, teacher = row_of(body, "N101FS"), row_of(body, "N202FS"), row_of(body, str(colleague))
    # 09:00–11:00 PST on a 06:00–22:00 day: three hours in, two hours wide.
    lesson = f'href="/bookings/{school.flight.pk}/" style="left: 18.75%; width: 12.5%"'
    assert lesson in n101 and lesson in teacher
    assert f'href="/bookings/{school.strangers_flight.pk}/"' in n202
    assert "Olive O." in n101  # the student, shortened
    # Free half hours are links that open the booking form filled in; none while the aircraft is booked.
    prefilled = (f"aircraft={school.aircraft.pk}&amp;departure_airport=KPAO&amp;destination_airport=KPAO"
                 f"&amp;date={TUESDAY}&amp;start_time=08%3A30")
    assert prefilled in n101
    assert "start_time=09%3A00" not in n101 and "start_time=11%3A00" in n101
    assert f"instructor={colleague.pk}&amp;date={TUESDAY}&amp;start_time=11%3A00" in teacher
    assert ">06:00<" in body and ">21:00<" in body


def test_a_hold_and_a_grounded_aircraft_show_at_a_glance(client, staff, school):
    booking_place_on_weather_hold(booking=school.flight)
    aircraft_update(aircraft=school.spare, actor=staff, status="maintenance")
    body = grid(client, staff).content.decode()
    held = row_of(body, "N101FS")
    assert "blk-weather_hold" in held and "✕ Hold<br>Olive O. · Carl C." in held
    # Grounding the spare puts its own upcoming flight on a maintenance hold too.
    assert "2 on hold" in body
    grounded = row_of(body, "N202FS")
    assert "In maintenance" in grounded and "grid-free" not in grounded
    assert f'href="/bookings/{school.strangers_flight.pk}/"' in grounded and "blk-weather_hold" in grounded


def test_students_see_the_fleet_their_own_flights_and_free_time_only(client, owner, stranger, colleague, school):
    body = grid(client, owner).content.decode()
    assert 'data-row="instructor-' not in body and re.findall(r'data-row="([a-z]+)-', body) == ["aircraft"] * 2
    assert f'href="/bookings/{school.flight.pk}/"' in row_of(body, "N101FS")
    spare = row_of(body, "N202FS")
    # The stranger's solo: not shown, not linked, not named; the hour it takes is simply not free.
    assert f"/bookings/{school.strangers_flight.pk}/" not in body and str(stranger) not in body
    assert "Booked" not in spare
    assert "start_time=09%3A00" not in spare and "start_time=10%3A00" in spare and "start_time=08%3A30" in spare


def test_an_instructor_sees_their_own_row_first_and_others_flights_as_booked(client, colleague, school):
    other = InstructorFactory(email="cfi.other@example.com", first_name="Aaron", last_name="Alder")
    body = grid(client, colleague).content.decode()
    rows = re.findall(r'data-row="([a-z]+-\d+)"', body)
    assert rows[0] == f"instructor-{colleague.pk}" and rows[-1] == f"instructor-{other.pk}"
    assert '<span class="tag">You</span>' in row_of(body, str(colleague))
    spare = row_of(body, "N202FS")
    assert "Booked" in spare and f"/bookings/{school.strangers_flight.pk}/" not in spare
    assert f'href="/bookings/{school.flight.pk}/"' in row_of(body, "N101FS")


def test_the_grid_refreshes_itself_and_moves_by_day(client, staff, school):
    client.force_login(staff)
    partial = client.get("/schedule/", {"day": TUESDAY}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'hx-trigger="every 30s"' in partial
    assert f'hx-get="/schedule/?day={TUESDAY}"' in partial
    page = client.get("/schedule/", {"day": TUESDAY}).content.decode()
    assert 'href="?day=2026-03-02"' in page and 'href="?day=2026-03-04"' in page
    assert 'type="date" id="grid-day" name="day" value="2026-03-03"' in page


def test_a_bad_day_says_so_and_shows_today(client, staff, school, now):
    client.force_login(staff)
    response = client.get("/schedule/", {"day": "03/03/2026"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "is not a day" in body and "Monday 2 March 2026" in body  # 08:00Z is midnight in Palo Alto


def test_signed_out_people_are_sent_to_sign_in(client, school):
    response = client.get("/schedule/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_booking_form_opens_filled_in_from_the_grid(client, owner, school):
    client.force_login(owner)
    body = client.get("/bookings/new/", {"aircraft": school.spare.pk, "departure_airport": "KPAO",
                                         "destination_airport": "KPAO", "date": TUESDAY,
                                         "start_time": "10:30"}).content.decode()
    assert re.search(rf'<option value="{school.spare.pk}" selected>', body)
    assert 'value="2026-03-03"' in body and 'value="10:30"' in body and 'value="KPAO"' in body


def test_time_already_gone_today_is_not_offered(client, staff, school, now, settings):
    settings.SCHOOL_TIME_ZONE = "UTC"
    client.force_login(staff)
    # 08:00Z on Monday 2 March: today's grid offers 08:00 onwards, nothing before.
    body = client.get("/schedule/", {"day": "2026-03-02"}).content.decode()
    n101 = row_of(body, "N101FS")
    assert "start_time=08%3A00" in n101 and "start_time=07%3A30" not in n101 and "grid-now" in n101
