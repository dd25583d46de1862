"""A day of a school in a real browser, each person in their own session: staff ground an aircraft and the grid
shows its flight held with options; the instructor marks an option they cannot make; the student takes an option
on another aircraft; a student joins standby for a taken slot and gets it when its student cancels with a reason.
Saved at desktop and phone widths."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.demo import DEMO_PASSWORD, seed_people
from availability.tests.factories import available_every_day
from bookings.models import Aircraft, Booking, StandbyRequest
from bookings.services import aircraft_create, airport_get_or_create, booking_create
from rescheduling.models import RescheduleOption
from weather.jobs import run_monitor
from weather.providers.demo import BLOCK_HOURS, scenario_for
from web.tests.browser.conftest import screenshot, sign_in
from web.tests.browser.test_daily_work import INSTRUCTOR, STAFF, STUDENT, story_clock  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PALO_ALTO = ZoneInfo("America/Los_Angeles")
CANCELLING = "student.dev@demo.flightschedule.pro"
WAITING = "student.ben@demo.flightschedule.pro"
SECOND_INSTRUCTOR = "cfi.chen@demo.flightschedule.pro"


def _clear_daytime_blocks(now, count: int):
    """The first `count` demo blocks after `now + 6 h` with clear weather at KPAO that start between 08:00 and
    14:00 Palo Alto time, so a two-hour lesson inside one is in daylight and flyable by anyone."""
    block = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=6)
    block -= timedelta(hours=block.hour % BLOCK_HOURS)
    found = []
    while len(found) < count and block < now + timedelta(days=4):
        if scenario_for("KPAO", block) == "clear" and 8 <= block.astimezone(PALO_ALTO).hour <= 14:
            found.append(block)
        block += timedelta(hours=BLOCK_HOURS)
    if len(found) < count:
        pytest.fail(f"the demo forecast has fewer than {count} clear daytime blocks after {now:%Y-%m-%d %H:%MZ}")
    return found


@pytest.fixture
def school(db, settings, story_clock):  # noqa: F811
    """The demo people, two Cessna 172S free all day, Ava's lesson with Marco on N8142W and Dev's with Grace on
    N172FS later, in clear weather already judged by the monitor."""
    settings.SCHOOL_TIME_ZONE = "America/Los_Angeles"
    people = {user.email: user for user in seed_people(time_zone="America/Los_Angeles")}
    staff = people[STAFF]
    airport = airport_get_or_create("KPAO")
    grounded = aircraft_create(actor=staff, tail_number="N8142W", model="Cessna 172S", home_airport=airport)
    other = aircraft_create(actor=staff, tail_number="N172FS", model="Cessna 172S", home_airport=airport)
    for person in (people[INSTRUCTOR], people[SECOND_INSTRUCTOR]):
        available_every_day(instructor=person)
    for plane in (grounded, other):
        available_every_day(aircraft=plane)
    now = timezone.now()
    first, second = _clear_daytime_blocks(now, 2)
    lessons = {}
    for key, student, instructor, plane, block in (
            ("ava", people[STUDENT], people[INSTRUCTOR], grounded, first),
            ("dev", people[CANCELLING], people[SECOND_INSTRUCTOR], other, second)):
        start = block + timedelta(minutes=30)
        lessons[key] = booking_create(actor=staff, student=student, instructor=instructor, aircraft=plane,
                                      departure_airport=airport, destination_airport=airport, start=start,
                                      end=start + timedelta(hours=2), lesson_type="dual")
    assert run_monitor(now=now)["held"] == 0
    return type("School", (), {"people": people, "grounded": grounded, "other": other, "now": now, **lessons})


def _day(booking) -> str:
    return booking.start.astimezone(PALO_ALTO).date().isoformat()


def test_a_school_day(open_page, school):
    ava_lesson, dev_lesson = school.ava, school.dev

    # Staff ground N8142W with a squawk; its flight goes on a maintenance hold with options.
    staff = open_page()
    sign_in(staff, STAFF, DEMO_PASSWORD)
    staff.goto(f"/aircraft/{school.grounded.pk}/")
    staff.get_by_label("Defect").fill("Oil on the cowling after the run-up; left magneto drop 200 rpm.")
    staff.get_by_label(re.compile("Grounding")).check()
    staff.get_by_role("button", name="Write up").click()
    expect(staff.locator(".page-head")).to_contain_text("Grounded (maintenance)")
    expect(staff.get_by_role("region", name="Flights on hold while grounded")).to_contain_text("Ava Student")
    screenshot(staff, "day-aircraft-grounded")
    staff.goto(f"/schedule/?day={_day(ava_lesson)}")
    held = staff.locator(f'section[aria-label="N8142W"] a[href="/bookings/{ava_lesson.pk}/"]')
    expect(held).to_contain_text("Hold")
    expect(staff.locator('section[aria-label="N8142W"]')).to_contain_text("In maintenance")
    screenshot(staff, "day-grid-grounded")
    held.click()
    expect(staff.get_by_role("link", name="Choose a new time").first).to_be_visible()
    ava_lesson.refresh_from_db()
    assert (ava_lesson.status, ava_lesson.hold_reason) == ("weather_hold", "maintenance")

    # Marco, who teaches it, cannot make one of the options and says so.
    marco = open_page()
    sign_in(marco, INSTRUCTOR, DEMO_PASSWORD)
    marco.goto(f"/bookings/{ava_lesson.pk}/")
    marco.get_by_role("link", name="Choose a new time").first.click()
    options = marco.locator("ol.options > li")
    expect(options).to_have_count(3)
    expect(options.first).to_contain_text("N172FS")  # another aircraft at the same time comes first
    expect(marco.locator("#instructor-note")).to_contain_text("Ava Student chooses the new time")
    options.nth(1).get_by_role("button", name=re.compile("I can't make this")).click()
    expect(marco.locator(".messages")).to_contain_text("as one you cannot make")
    screenshot(marco, "day-instructor-cannot-make")
    withdrawn = RescheduleOption.objects.get(request__booking=ava_lesson, request__status="pending", rank=2)
    assert withdrawn.unavailable_by == school.people[INSTRUCTOR]

    # Ava takes the first option: the same time on the other aircraft.
    ava = open_page()
    sign_in(ava, STUDENT, DEMO_PASSWORD)
    ava.goto(f"/reschedule/{withdrawn.request_id}/")
    ava_options = ava.locator("ol.options > li")
    expect(ava_options.nth(1)).to_contain_text("No longer available.")
    screenshot(ava, "day-student-options")
    ava_options.first.get_by_role("button", name=re.compile("Accept option 1")).click()
    expect(ava.get_by_role("status")).to_contain_text("Rescheduled. Your new flight is")
    moved = Booking.objects.get(rescheduled_from=ava_lesson)
    assert (moved.aircraft, moved.start) == (school.other, ava_lesson.start)

    # Ben wants Dev's slot on N172FS: the booking form says it is taken and offers standby.
    ben = open_page()
    sign_in(ben, WAITING, DEMO_PASSWORD)
    ben.get_by_role("link", name="Book a flight").first.click()
    local = dev_lesson.start.astimezone(PALO_ALTO)
    ben.get_by_label("Instructor").select_option(label="Grace Chen")
    ben.get_by_label("Aircraft").select_option(label="N172FS (Cessna 172S)")
    ben.get_by_label("Departure airport (ICAO)").fill("KPAO")
    ben.get_by_label("Destination airport (ICAO)").fill("KPAO")
    ben.get_by_label("Day").fill(local.strftime("%Y-%m-%d"))
    ben.get_by_label("Start time").fill(local.strftime("%H:%M"))
    ben.get_by_role("button", name="Book this flight").click()
    expect(ben.get_by_role("alert")).to_contain_text("That time overlaps another flight")
    screenshot(ben, "day-standby-offered")
    ben.get_by_role("button", name="Standby for N172FS").click()
    expect(ben.locator(".messages")).to_contain_text("On standby for")
    expect(ben.get_by_role("region", name="Waiting")).to_contain_text("N172FS")
    screenshot(ben, "day-standby-waiting")

    # Dev cancels his lesson with a reason; the slot goes to Ben, who is told.
    dev = open_page()
    sign_in(dev, CANCELLING, DEMO_PASSWORD)
    dev.goto(f"/bookings/{dev_lesson.pk}/")
    dev.get_by_role("link", name="Cancel this flight").click()
    dev.get_by_label("Illness").check()
    dev.get_by_label("In your own words").fill("Flu")
    dev.get_by_role("button", name="Cancel this flight").click()
    expect(dev.locator(".messages")).to_contain_text("is cancelled")
    dev_lesson.refresh_from_db()
    assert (dev_lesson.status, dev_lesson.cancel_reason_code, dev_lesson.cancel_reason) == (
        "cancelled", "illness", "Flu")

    standby = StandbyRequest.objects.get(student=school.people[WAITING])
    assert standby.status == "booked"
    ben.goto("/standby/")
    expect(ben.get_by_role("region", name="Earlier")).to_contain_text("Booked")
    ben.get_by_role("link", name="Notifications").click()
    expect(ben.get_by_role("heading", name=re.compile("Booked from standby")).first).to_be_visible()
    screenshot(ben, "day-standby-booked")

    # The grid at the end of it: Ava's lesson on N172FS, Ben's in Dev's old slot, N8142W in maintenance.
    staff.goto(f"/schedule/?day={_day(dev_lesson)}")
    row = staff.locator('section[aria-label="N172FS"]')
    expect(row.locator(f'a[href="/bookings/{standby.booking_id}/"]')).to_contain_text("Ben P.")
    expect(row.locator(f'a[href="/bookings/{dev_lesson.pk}/"]')).to_have_count(0)
    screenshot(staff, "day-grid-end")
    assert Aircraft.objects.get(pk=school.grounded.pk).status == "maintenance"
