"""Every time in the school's or the airport's local time, with its zone; links go where the pages are."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import RequestFactory

from bookings.models import Airport, Booking
from bookings.tests.factories import AircraftFactory, AirportFactory, BookingFactory
from config import links
from config.localtime import localize_reason
from notifications.services import notify

PAO = Airport(icao="KPAO", time_zone="America/Los_Angeles")
# Wednesday 2 December 2026, 16:00 PST: the flight the UTC-grouped pages put under Thursday.
WEDNESDAY_4PM = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)


@pytest.fixture
def palo_alto(settings):
    settings.SCHOOL_TIME_ZONE = "America/Los_Angeles"


class TestReasonsInLocalTime:
    def test_utc_hours_become_the_airports_clock_with_its_zone(self):
        reason = "visibility 2.0 sm below 5 sm (student_pilot) at KPAO 14:00Z"
        around = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)
        assert localize_reason(reason, place=PAO, around=around) == (
            "visibility 2.0 sm below 5 sm (student_pilot) at KPAO 06:00 PST")

    def test_an_hour_just_before_midnight_utc_belongs_to_the_flights_day(self):
        reason = "wind 14 kt above 10 kt (student_pilot) at KPAO 23:00Z; gust at KSQL 00:00Z"
        # The flight starts at 00:30Z on the 3rd: 23:00Z is the evening before, 16:00 and 15:00 PST on the 2nd.
        assert localize_reason(reason, place=PAO, around=datetime(2026, 12, 3, 0, 30, tzinfo=UTC)) == (
            "wind 14 kt above 10 kt (student_pilot) at KPAO 15:00 PST; gust at KSQL 16:00 PST")

    def test_summer_hours_say_pdt_and_text_without_hours_is_untouched(self):
        summer = datetime(2026, 7, 1, 17, 0, tzinfo=UTC)
        assert localize_reason("ceiling 800 ft at KPAO 17:00Z", place=PAO, around=summer) == (
            "ceiling 800 ft at KPAO 10:00 PDT")
        assert localize_reason("thunderstorm on the route", place=PAO, around=summer) == "thunderstorm on the route"
        assert localize_reason("at KPAO 17:00Z", place=PAO, around=None) == "at KPAO 17:00Z"


class TestLinks:
    def test_frontend_url_wins_when_set(self, settings):
        settings.FRONTEND_URL = "https://app.example.com"
        token = links.bind_request_origin(RequestFactory().get("/", HTTP_HOST="127.0.0.1:8123"))
        try:
            assert links.site_url("/bookings/7/") == "https://app.example.com/bookings/7/"
        finally:
            links.reset_request_origin(token)

    def test_unset_links_follow_the_request_and_outside_one_the_dev_server(self, settings):
        settings.FRONTEND_URL = ""
        token = links.bind_request_origin(RequestFactory().get("/", HTTP_HOST="127.0.0.1:8123"))
        try:
            assert links.site_url("/bookings/7/") == "http://127.0.0.1:8123/bookings/7/"
        finally:
            links.reset_request_origin(token)
        assert links.site_url("/bookings/7/") == "http://127.0.0.1:8000/bookings/7/"

    def test_the_calendar_feed_links_to_the_address_it_was_fetched_from(self, client, settings, owner):
        settings.FRONTEND_URL = ""
        BookingFactory(student=owner)
        body = client.get(f"/calendar/{owner.calendar_token}.ics", HTTP_HOST="127.0.0.1:8123").content.decode()
        assert "URL:http://127.0.0.1:8123/bookings/" in body.replace("\r\n ", "")
        assert "127.0.0.1:8000" not in body

    def test_a_message_written_outside_a_request_uses_frontend_url(self, settings, owner):
        settings.FRONTEND_URL = "https://school.example.org"
        booking = BookingFactory(student=owner, start=WEDNESDAY_4PM, end=WEDNESDAY_4PM + timedelta(hours=2))
        [message, *_] = notify(kind="weather_conflict", recipients=[owner], idempotency_key="k1", booking=booking,
                               reasons=["visibility 2.0 sm below 5 sm (student_pilot) at KPAO 00:00Z"])
        assert message.link == f"https://school.example.org/bookings/{booking.pk}/"
        # The reason's hour is the flight's own clock, like the rest of the message.
        assert "at KPAO 16:00 PST" in message.body_text and "00:00Z" not in message.body_text
        assert "Wed 02 Dec 16:00 PST" in message.subject


class TestPagesGroupDaysInTheSchoolsZone:
    @pytest.fixture
    def wednesday_afternoon(self, palo_alto):
        with time_machine.travel(datetime(2026, 12, 2, 20, 0, tzinfo=UTC), tick=False):  # Wed 12:00 PST
            yield

    def test_the_dispatch_board_puts_a_4pm_flight_under_today(self, client, staff, wednesday_afternoon):
        booking = BookingFactory(start=WEDNESDAY_4PM, end=WEDNESDAY_4PM + timedelta(hours=2))
        client.force_login(staff)
        page = client.get("/dispatch/").content.decode()
        today = page.split("Tomorrow")[0]
        assert "Wed 2 Dec" in today and f"/bookings/{booking.pk}/" in today
        assert "Wed 02 Dec 16:00–18:00 PST" in today

    def test_the_calendar_lists_it_on_wednesday(self, client, owner, wednesday_afternoon):
        BookingFactory(student=owner, start=WEDNESDAY_4PM, end=WEDNESDAY_4PM + timedelta(hours=2))
        client.force_login(owner)
        page = client.get("/calendar/").content.decode()
        wednesday = page.split("Wed 2 Dec")[1].split("Thu 3 Dec")[0]
        assert "16:00–18:00 PST" in wednesday

    def test_the_booking_form_opens_on_the_schools_today(self, client, owner, palo_alto):
        with time_machine.travel(datetime(2026, 12, 3, 4, 0, tzinfo=UTC), tick=False):  # Wed 20:00 PST
            client.force_login(owner)
            page = client.get("/bookings/new/").content.decode()
        assert 'value="2026-12-02"' in page

    def test_the_admin_lists_times_in_the_schools_zone_and_says_so(self, client, staff, palo_alto):
        plane = AircraftFactory(tail_number="N8142W", home_airport=AirportFactory())
        BookingFactory(aircraft=plane, start=WEDNESDAY_4PM, end=WEDNESDAY_4PM + timedelta(hours=2))
        client.force_login(staff)
        page = client.get("/admin/bookings/booking/").content.decode()
        assert "Wed 02 Dec 16:00–18:00 PST" in page and "N8142W" in page
        assert "midnight" not in page
        detail = client.get(f"/admin/bookings/booking/{Booking.objects.get().pk}/change/").content.decode()
        assert "Wed 2 Dec 2026, 16:00 PST" in detail and "midnight" not in detail
        # The API keeps its own contract: ISO 8601 in UTC.
        assert client.get("/api/v1/bookings/").json()["results"][0]["start"] == "2026-12-03T00:00:00Z"
