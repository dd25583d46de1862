"""Reasons condensed for reading at a glance: one line per finding and place, the hours it spans, local time."""

import re
from datetime import UTC, datetime

import pytest

from bookings.models import Airport
from bookings.services import booking_place_on_weather_hold
from web.reasons import condense
from web.tests.factories import WeatherCheckFactory

PAO = Airport(icao="KPAO", time_zone="America/Los_Angeles")
AROUND = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)  # a flight at 10:00 PST


def hold(*hours, what="visibility 4.0 sm below 5 sm (student_pilot)", place="KPAO"):
    return [f"{what} at {place} {hour:02d}:00Z" for hour in hours]


def test_the_same_finding_over_consecutive_hours_is_one_line():
    reasons = (hold(17, 18, 19) + hold(17, 18, 19, what="ceiling 2500 ft below 3000 ft (student_pilot)")
               + hold(18, what="wind 12 kt within 10% of 10 kt (student_pilot)", place="25 nm SE of KPAO"))
    lines = condense(reasons, place=PAO, around=AROUND)
    assert [line.text for line in lines] == [
        "visibility 4.0 sm below 5 sm for a student pilot, 09:00–12:00 PST, at KPAO",
        "ceiling 2500 ft below 3000 ft for a student pilot, 09:00–12:00 PST, at KPAO",
        "wind 12 kt within 10% of 10 kt for a student pilot, 10:00–11:00 PST, at 25 nm SE of KPAO",
    ]
    assert [line.severity for line in lines] == ["conflict", "conflict", "marginal"]


def test_hours_with_a_gap_are_separate_runs_and_other_values_separate_lines():
    reasons = hold(17, 19) + hold(18, what="visibility 3.0 sm below 5 sm (student_pilot)")
    assert [line.text for line in condense(reasons, place=PAO, around=AROUND)] == [
        "visibility 4.0 sm below 5 sm for a student pilot, 09:00–10:00, 11:00–12:00 PST, at KPAO",
        "visibility 3.0 sm below 5 sm for a student pilot, 10:00–11:00 PST, at KPAO",
    ]


def test_anything_else_is_kept_with_its_hours_localised():
    lines = condense(["thunderstorm on the route", "no forecast from any provider at KSNS 18:00Z"],
                     place=PAO, around=AROUND)
    assert [(line.text, line.severity) for line in lines] == [
        ("thunderstorm on the route", "conflict"),
        ("no forecast from any provider, 10:00–11:00 PST, at KSNS", "unknown"),
    ]
    assert condense([], place=PAO, around=AROUND) == []


@pytest.mark.django_db
def test_a_held_flight_reads_in_a_few_lines_with_marginal_in_amber(client, owner, school, now):
    booking_place_on_weather_hold(booking=school.flight)
    # The flight is 17:00–19:00Z (09:00–11:00 PST); the check judged 16:00, 17:00 and 18:00Z.
    reasons = (hold(16, 17, 18) + hold(16, 17, 18, what="ceiling 2500 ft below 3000 ft (student_pilot)")
               + hold(17, what="wind 9.5 kt within 10% of 10 kt (student_pilot)"))
    WeatherCheckFactory(booking=school.flight, status="conflict", reasons=reasons, checked_at=now)
    client.force_login(owner)
    body = client.get(f"/bookings/{school.flight.pk}/").content.decode()
    hold_section = body.split('id="hold-title"')[1].split("</section>")[0]
    lines = re.findall(r'<li class="reason-(\w+)">(.*?)</li>', hold_section)
    assert lines == [
        ("conflict", "visibility 4.0 sm below 5 sm for a student pilot, 08:00–11:00 PST, at KPAO"),
        ("conflict", "ceiling 2500 ft below 3000 ft for a student pilot, 08:00–11:00 PST, at KPAO"),
        ("marginal", "wind 9.5 kt within 10% of 10 kt for a student pilot, 09:00–10:00 PST, at KPAO"),
    ]
    assert 'href="#weather-title"' in hold_section


def test_a_corridor_point_reads_as_distance_and_direction_from_the_departure():
    palo_alto = Airport(icao="KPAO", time_zone="America/Los_Angeles", latitude=37.4611, longitude=-122.115)
    # Recorded by the monitor for a point on the way to Santa Barbara, 25 nm out: south-east of Palo Alto.
    reasons = hold(17, 18, place="37.2N 121.8W (25 nm from KPAO)")
    assert [line.text for line in condense(reasons, place=palo_alto, around=AROUND)] == [
        "visibility 4.0 sm below 5 sm for a student pilot, 09:00–11:00 PST, 25 nm south-east of KPAO"]
    north = hold(17, place="38.2N 122.2W (50 nm from KPAO)")
    assert condense(north, place=palo_alto, around=AROUND)[0].text.endswith(", 50 nm north of KPAO")
    # Without the departure's position the line still says how far along the route.
    assert condense(reasons, place=PAO, around=AROUND)[0].text.endswith(", 25 nm along the route from KPAO")
