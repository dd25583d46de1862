import pytest
from icalendar import Calendar

from bookings.tests.conftest import at
from bookings.tests.factories import AirportFactory, BookingFactory


@pytest.mark.django_db
def test_the_feed_is_a_valid_calendar_of_my_flights_in_airport_local_time(client, now, owner, stranger, colleague,
                                                                          plane):
    ksns = AirportFactory(icao="KSNS", name="Salinas Municipal Airport", latitude=36.66, longitude=-121.6)
    mine = BookingFactory(student=owner, instructor=colleague, aircraft=plane, destination_airport=ksns,
                          lesson_type="cross_country", start=at(2, 16), end=at(2, 19))
    gone = BookingFactory(student=owner, instructor=colleague, aircraft=plane, start=at(3, 16), end=at(3, 18),
                          status="cancelled")
    BookingFactory(student=stranger, aircraft=plane, start=at(4, 16), end=at(4, 18))

    response = client.get(f"/calendar/{owner.calendar_token}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"booking-{mine.pk}@flightschedulepro", f"booking-{gone.pk}@flightschedulepro"}
    event = events[f"booking-{mine.pk}@flightschedulepro"]
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "America/Los_Angeles" and start.hour == 9
    assert start == mine.start
    assert str(event["summary"]) == "Cross-country · N739SP · KPAO→KSNS"
    assert str(event["status"]) == "TENTATIVE"
    assert str(events[f"booking-{gone.pk}@flightschedulepro"]["status"]) == "CANCELLED"
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Los_Angeles"]


@pytest.mark.django_db
def test_unknown_token_is_404(client, owner):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404
