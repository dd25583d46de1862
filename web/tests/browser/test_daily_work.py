"""The day a weather hold happens, as the people involved live it, in a real browser."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from accounts.demo import DEMO_PASSWORD, seed_people
from availability.tests.factories import available_every_day
from bookings.models import Booking
from bookings.services import aircraft_create, airport_get_or_create, booking_create
from weather.jobs import run_monitor
from weather.providers.demo import next_block_with
from web.tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STUDENT = "student.ava@demo.flightschedule.pro"
INSTRUCTOR = "cfi.rivera@demo.flightschedule.pro"
STAFF = "ops@demo.flightschedule.pro"
# The demo weather is chosen per airport and three-hour block, so the story is pinned to an afternoon whose next
# day has a block that grounds a student pilot on minimums alone (not a thunderstorm, which grounds everyone).
STORY_NOW = datetime(2027, 6, 9, 23, 10, tzinfo=UTC)
GROUNDING = "student_pilot_conflict"


def _grounded_block(now):
    """The first demo block, 4 to 40 hours ahead, whose weather grounds a student pilot on minimums."""
    block = next_block_with("KPAO", GROUNDING, after=now + timedelta(hours=4), within=timedelta(hours=36))
    if block is None:
        pytest.fail(f"The demo forecast has no {GROUNDING} block 4 to 40 hours after {now:%Y-%m-%d %H:%MZ}")
    return block


@pytest.fixture
def story_clock():
    """The whole story, browser and live server alike, on one afternoon; the clock ticks as the test runs."""
    with time_machine.travel(STORY_NOW, tick=True):
        yield


@pytest.fixture
def held_flight(db, story_clock):
    """Ava's lesson with Marco inside weather the demo provider grounds, put on hold by the real monitor."""
    people = {user.email: user for user in seed_people(time_zone="UTC")}
    staff, student, instructor = people[STAFF], people[STUDENT], people[INSTRUCTOR]
    airport = airport_get_or_create("KPAO")
    aircraft = aircraft_create(actor=staff, tail_number="N172FS", model="Cessna 172S", home_airport=airport)
    available_every_day(instructor=instructor)
    available_every_day(aircraft=aircraft)
    now = timezone.now()
    start = _grounded_block(now) + timedelta(minutes=30)
    booking = booking_create(actor=staff, student=student, instructor=instructor, aircraft=aircraft,
                             departure_airport=airport, destination_airport=airport, start=start,
                             end=start + timedelta(hours=2), lesson_type="dual", override_availability=True)
    summary = run_monitor(now=now)
    assert summary["held"] == 1, summary
    booking.refresh_from_db()
    return booking


def test_a_held_flight_is_rescheduled_and_everyone_sees_it(open_page, held_flight):
    # The student signs in and sees the hold with its reasons.
    page = open_page()
    sign_in(page, STUDENT, DEMO_PASSWORD)
    alerts = page.get_by_role("region", name="Alerts")
    expect(alerts).to_contain_text("Weather hold:")
    expect(alerts.locator(".reasons li").first).to_contain_text(
        re.compile(r"for a student pilot, \d\d:\d\d–\d\d:\d\d P[SD]T, at KPAO"))
    expect(page.get_by_text("Weather: Conflict").first).to_be_visible()
    screenshot(page, "dashboard-student")

    alerts.locator(f'a[href="/bookings/{held_flight.id}/"]').first.click()
    expect(page.get_by_role("heading", name="This flight is on weather hold")).to_be_visible()
    expect(page.locator("svg.chart-wide")).to_be_visible()
    screenshot(page, "booking-held")

    # The options, with rationale and weather; one click accepts.
    page.get_by_role("link", name="Choose a new time").first.click()
    expect(page.get_by_role("heading", name="Choose a new time")).to_be_visible()
    options = page.locator("ol.options > li")
    expect(options).to_have_count(3)
    expect(options.first.locator(".rationale")).not_to_be_empty()
    screenshot(page, "reschedule-options")
    chosen_when = options.first.locator(".when").inner_text()
    options.first.get_by_role("button", name=re.compile("Accept option 1")).click()

    expect(page.get_by_role("status")).to_contain_text("Rescheduled. Your new flight is")
    replacement = Booking.objects.get(rescheduled_from=held_flight)
    assert page.url.endswith(f"/bookings/{replacement.id}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(chosen_when)
    screenshot(page, "booking-rescheduled")

    # The instructor sees the new lesson and is told about it.
    instructor_page = open_page()
    sign_in(instructor_page, INSTRUCTOR, DEMO_PASSWORD)
    flights = instructor_page.get_by_role("region", name="Your upcoming flights")
    expect(flights.locator(f'a[href="/bookings/{replacement.id}/"]')).to_be_visible()
    expect(flights.locator(f'a[href="/bookings/{held_flight.id}/"]')).to_have_count(0)
    screenshot(instructor_page, "dashboard-instructor")
    instructor_page.get_by_role("link", name=re.compile("^Notifications")).click()
    expect(instructor_page.get_by_role("heading", name=re.compile("Rescheduled:")).first).to_be_visible()
    screenshot(instructor_page, "notifications")

    # Operations staff see the old flight marked rescheduled on the dispatch board, linked to the new one.
    staff_page = open_page()
    sign_in(staff_page, STAFF, DEMO_PASSWORD)
    staff_page.get_by_role("navigation", name="Main").get_by_role("link", name="Dispatch").click()
    row = staff_page.locator("tr", has=staff_page.locator(f'a[href="/bookings/{held_flight.id}/"]'))
    expect(row).to_contain_text("Rescheduled")
    expect(row.get_by_role("link", name="See the new flight")).to_have_attribute(
        "href", f"/bookings/{replacement.id}/")
    screenshot(staff_page, "dispatch")


def test_the_booking_form_refuses_an_overlapping_slot(open_page, held_flight):
    page = open_page()
    sign_in(page, STUDENT, DEMO_PASSWORD)
    page.get_by_role("link", name="Book a flight").first.click()
    local_start = held_flight.start.astimezone(ZoneInfo(held_flight.departure_airport.time_zone))
    page.get_by_label("Instructor").select_option(label="Marco Rivera")
    page.get_by_label("Aircraft").select_option(label="N172FS (Cessna 172S)")
    page.get_by_label("Departure airport (ICAO)").fill("KPAO")
    page.get_by_label("Destination airport (ICAO)").fill("KPAO")
    page.get_by_label("Day").fill(local_start.strftime("%Y-%m-%d"))
    page.get_by_label("Day").dispatch_event("change")
    expect(page.locator("#slots button.slot").first).to_be_visible()
    screenshot(page, "booking-form")
    # Half an hour into the flight that is still on hold: the student, instructor and aircraft are all taken.
    page.get_by_label("Start time").fill((local_start + timedelta(minutes=30)).strftime("%H:%M"))
    page.get_by_role("button", name="Book this flight").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("That time overlaps another flight")
    expect(alert).to_contain_text(f"#{held_flight.id}")
    assert Booking.objects.count() == 1
    screenshot(page, "booking-form-overlap")


def test_sign_in_keyboard_and_the_remaining_pages(open_page, held_flight):
    page = open_page()
    page.goto("/login/")
    # Keyboard only: the email field has focus, Tab moves on, Enter submits.
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(STUDENT)
    page.keyboard.press("Tab")
    page.keyboard.type("not-the-password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Email or password is incorrect.")
    screenshot(page, "login-failed")

    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url("**/")

    # On every other page the first Tab reaches the skip link, with a visible focus ring.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert skip.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.get_by_role("link", name="Profile").click()
    expect(page.get_by_label("Your calendar feed address")).to_have_value(re.compile(r"/calendar/.+\.ics$"))
    page.get_by_label("Email me as well as showing notifications here").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Email notifications are off.")
    screenshot(page, "profile")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    page.get_by_label("Show when this instructor is free").select_option(label="Marco Rivera")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("Marco free:").first).to_be_visible()
    screenshot(page, "calendar")

    # Another person's booking is simply not there.
    other = Booking.objects.create(
        student=seed_people(time_zone="UTC")[5], aircraft=held_flight.aircraft, lesson_type="solo",
        departure_airport=held_flight.departure_airport, destination_airport=held_flight.departure_airport,
        start=held_flight.start + timedelta(days=3), end=held_flight.end + timedelta(days=3),
    )
    response = page.goto(f"/bookings/{other.id}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    screenshot(page, "not-found")
