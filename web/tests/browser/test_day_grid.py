"""The day grid in a real browser: staff spot a hold, a student books from a free half hour and cancels it
with a reason, an instructor finds their own row first. Saved at desktop and phone widths."""

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.demo import DEMO_PASSWORD, seed_people
from availability.tests.factories import available_every_day
from bookings.models import Aircraft, Booking
from bookings.services import aircraft_create, airport_get_or_create, booking_create
from rescheduling.models import RescheduleOption
from weather.jobs import run_monitor
from web.tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, screenshot, sign_in
from web.tests.browser.test_daily_work import INSTRUCTOR, STAFF, STUDENT, _grounded_block, story_clock  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PALO_ALTO = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def school_day(db, settings, story_clock):  # noqa: F811
    """The demo people, two aircraft free all day, and Ava's lesson held by the real weather monitor."""
    settings.SCHOOL_TIME_ZONE = "America/Los_Angeles"
    people = {user.email: user for user in seed_people(time_zone="America/Los_Angeles")}
    staff, student, instructor = people[STAFF], people[STUDENT], people[INSTRUCTOR]
    airport = airport_get_or_create("KPAO")
    held_plane = aircraft_create(actor=staff, tail_number="N172FS", model="Cessna 172S", home_airport=airport)
    spare = aircraft_create(actor=staff, tail_number="N8142W", model="Cessna 172S", home_airport=airport)
    available_every_day(instructor=instructor)
    for plane in (held_plane, spare):
        available_every_day(aircraft=plane)
    now = timezone.now()
    start = _grounded_block(now) + timedelta(minutes=30)
    held = booking_create(actor=staff, student=student, instructor=instructor, aircraft=held_plane,
                          departure_airport=airport, destination_airport=airport, start=start,
                          end=start + timedelta(hours=2), lesson_type="dual", override_availability=True)
    assert run_monitor(now=now)["held"] == 1
    held.refresh_from_db()
    return type("SchoolDay", (), {"held": held, "student": student, "instructor": instructor, "now": now,
                                  "day": held.start.astimezone(PALO_ALTO).date().isoformat()})


def _free_start_away_from(page, tail: str, *, held: Booking, now: datetime) -> str:
    """A free half hour on `tail` where a two-hour lesson keeps clear of the held flight and starts ahead."""
    hrefs = page.locator(f'section[aria-label="{tail}"] a.grid-free').evaluate_all("els => els.map(e => e.href)")
    assert hrefs, f"no free time on {tail}"
    for href in hrefs:
        query = parse_qs(urlsplit(href).query)
        start = datetime.fromisoformat(f"{query['date'][0]}T{query['start_time'][0]}").replace(tzinfo=PALO_ALTO)
        end = start + timedelta(hours=2)
        if start > now + timedelta(hours=1) and (end <= held.start or start >= held.end):
            return query["start_time"][0]
    pytest.fail(f"no free half hour on {tail} clear of the held flight")


def test_a_day_on_the_grid(open_page, school_day):
    # Staff open the day: the held flight is marked on its aircraft's row, and one click opens it.
    staff = open_page()
    sign_in(staff, STAFF, DEMO_PASSWORD)
    staff.get_by_role("navigation", name="Main").get_by_role("link", name="Day").click()
    staff.goto(f"/schedule/?day={school_day.day}")
    held_row = staff.locator('section[aria-label="N172FS"]')
    expect(held_row.locator("a.blk-weather_hold")).to_contain_text(re.compile(r"✕ Hold\s*Ava S\. · Marco R\."))
    expect(staff.locator(".held-count")).to_have_text("1 on hold")
    expect(staff.locator('section[aria-label="Marco Rivera"]')).to_be_visible()
    # It refreshes itself, like the dispatch board.
    expect(staff.locator("#day-grid")).to_have_attribute("hx-trigger", re.compile("every 30s"))
    screenshot(staff, "day-grid-staff")
    # Opened on a phone, the sideways-scrolling grid starts at the day's first flight rather than at dawn.
    staff.set_viewport_size(PHONE)
    staff.reload()
    expect(held_row.locator("a.blk-weather_hold")).to_be_in_viewport()
    staff.screenshot(path=str(SCREENSHOTS / "day-grid-staff-phone-opened.png"), full_page=True)
    staff.set_viewport_size(DESKTOP)
    held_row.locator("a.blk-weather_hold").click()
    expect(staff.get_by_role("heading", name="This flight is on weather hold")).to_be_visible()

    # The student sees the fleet (no instructor rows) and books a free half hour on the spare aircraft.
    student = open_page()
    sign_in(student, STUDENT, DEMO_PASSWORD)
    student.goto(f"/schedule/?day={school_day.day}")
    expect(student.locator('[data-row^="instructor-"]')).to_have_count(0)
    expect(student.locator('section[aria-label="N172FS"] a.blk-weather_hold')).to_be_visible()
    screenshot(student, "day-grid-student")
    start_time = _free_start_away_from(student, "N8142W", held=school_day.held, now=school_day.now)
    hour, minute = start_time.split(":")
    student.locator(f'section[aria-label="N8142W"] a.grid-free[href*="start_time={hour}%3A{minute}"]').click()
    expect(student.get_by_role("heading", name="Book a flight")).to_be_visible()
    expect(student.get_by_label("Aircraft")).to_have_value(str(Aircraft.objects.get(tail_number="N8142W").pk))
    expect(student.get_by_label("Start time")).to_have_value(start_time)
    expect(student.get_by_label("Day")).to_have_value(school_day.day)
    expect(student.get_by_label("Departure airport (ICAO)")).to_have_value("KPAO")
    student.get_by_label("Instructor").select_option(label="Marco Rivera")
    student.get_by_role("button", name="Book this flight").click()
    expect(student.locator(".messages")).to_contain_text("Flight booked for")
    booked = Booking.objects.filter(student=school_day.student, aircraft__tail_number="N8142W").get()
    assert booked.start.astimezone(PALO_ALTO).strftime("%H:%M") == start_time

    # Back on the grid the new lesson is a block on the spare aircraft; the student then cancels it with a reason.
    student.goto(f"/schedule/?day={school_day.day}")
    student.locator(f'section[aria-label="N8142W"] a[href="/bookings/{booked.pk}/"]').click()
    student.get_by_role("link", name="Cancel this flight").click()
    student.get_by_label("Illness").check()
    student.get_by_label("In your own words").fill("Head cold")
    screenshot(student, "booking-cancel")
    student.get_by_role("button", name="Cancel this flight").click()
    expect(student.locator(".messages")).to_contain_text("is cancelled")
    expect(student.get_by_role("heading", name="Cancelled")).to_be_visible()
    booked.refresh_from_db()
    assert (booked.status, booked.cancel_reason_code, booked.cancel_reason) == ("cancelled", "illness", "Head cold")
    # Inside the 24-hour cut-off (the story's afternoon is the day before): staff see a late cancellation.
    assert booked.late_cancellation == (booked.start - school_day.now < timedelta(hours=24))
    staff.goto(f"/bookings/{booked.pk}/")
    if booked.late_cancellation:
        expect(staff.locator(".tag-late")).to_have_text("Late cancellation")
    student.goto(f"/schedule/?day={school_day.day}")
    expect(student.locator(f'a[href="/bookings/{booked.pk}/"]')).to_have_count(0)

    # The instructor's own row comes first, marked as theirs.
    instructor = open_page()
    sign_in(instructor, INSTRUCTOR, DEMO_PASSWORD)
    instructor.goto(f"/schedule/?day={school_day.day}")
    first = instructor.locator("section.grid-row").first
    expect(first).to_have_attribute("data-row", f"instructor-{school_day.instructor.pk}")
    expect(first).to_contain_text("You")
    expect(first.locator("a.blk-weather_hold")).to_be_visible()
    screenshot(instructor, "day-grid-instructor")

    # From the held block to its options, where the instructor says they cannot fly the first one.
    first.locator("a.blk-weather_hold").click()
    instructor.get_by_role("link", name="Choose a new time").click()
    expect(instructor.locator("#instructor-note")).to_contain_text("Ava Student chooses the new time")
    instructor.locator("li.option").first.get_by_role("button", name=re.compile("make this")).click()
    expect(instructor.locator(".messages")).to_contain_text("as one you cannot make")
    screenshot(instructor, "reschedule-instructor")
    option = RescheduleOption.objects.get(request__booking=school_day.held, rank=1, request__status="pending")
    assert option.unavailable_by == school_day.instructor
    # The student sees it withdrawn.
    student.goto(f"/reschedule/{option.request_id}/")
    expect(student.locator("li.option").first).to_contain_text("No longer available.")
