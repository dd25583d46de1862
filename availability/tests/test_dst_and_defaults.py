"""Weekly patterns on the days the clocks change, and the start date staff do not think of."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from availability.models import AvailabilityPattern
from bookings.tests.factories import AircraftFactory

PATTERNS = "/api/v1/availability/patterns/"
SLOTS = "/api/v1/availability/slots/"
NEW_YORK = "America/New_York"
SPRING = date(2027, 3, 14)  # 02:00 EST -> 03:00 EDT; a Sunday
FALL = date(2027, 11, 7)  # 02:00 EDT -> 01:00 EST; a Sunday


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def covered(api, staff, plane, day: date) -> list[tuple[datetime, datetime]]:
    """What the aircraft's patterns make bookable that day, as merged UTC spans read from 15-minute slots."""
    response = api.as_user(staff).get(SLOTS, {
        "aircraft": plane.pk, "start": utc(day, 0).isoformat().replace("+00:00", "Z"),
        "end": (utc(day, 0) + timedelta(days=1)).isoformat().replace("+00:00", "Z"),
        "duration_minutes": 15, "step_minutes": 15, "page_size": 100})
    assert response.status_code == 200, response.json()
    spans: list[list[datetime]] = []
    for slot in response.json()["results"]:
        start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
        if spans and spans[-1][1] == start:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    return [(start, end) for start, end in spans]


@pytest.fixture
def school_in_new_york(settings):
    settings.SCHOOL_TIME_ZONE = NEW_YORK


@pytest.fixture
def plane(db):
    return AircraftFactory()


def make_pattern(api, staff, plane, start: str, end: str) -> None:
    response = api.as_user(staff).post(PATTERNS, {"aircraft": plane.pk, "weekday": 6, "start_time": start,
                                                  "end_time": end, "valid_from": "2027-01-01"})
    assert response.status_code == 201, response.json()


@pytest.mark.django_db
@pytest.mark.usefixtures("school_in_new_york")
class TestDaylightSavingTime:
    @pytest.fixture(autouse=True)
    def before_the_changes(self):
        with time_machine.travel(datetime(2027, 1, 10, 12, tzinfo=UTC), tick=False):
            yield

    def test_spring_a_start_inside_the_gap_begins_when_the_clocks_jump(self, api, staff, plane):
        make_pattern(api, staff, plane, "02:30", "04:00")
        # 03:00-04:00 EDT: the half hour 02:30-03:00 never happens that day.
        assert covered(api, staff, plane, SPRING) == [(utc(SPRING, 7), utc(SPRING, 8))]

    def test_spring_an_end_inside_the_gap_stops_when_the_clocks_jump(self, api, staff, plane):
        make_pattern(api, staff, plane, "01:00", "02:30")
        # 01:00 EST until the jump at 02:00 EST (= 03:00 EDT): one real hour.
        assert covered(api, staff, plane, SPRING) == [(utc(SPRING, 6), utc(SPRING, 7))]

    def test_spring_a_span_wholly_inside_the_gap_is_empty_that_day_only(self, api, staff, plane):
        make_pattern(api, staff, plane, "02:15", "02:45")
        assert covered(api, staff, plane, SPRING) == []
        week_later = SPRING + timedelta(days=7)
        assert covered(api, staff, plane, week_later) == [(utc(week_later, 6, 15), utc(week_later, 6, 45))]

    def test_fall_a_start_inside_the_repeated_hour_is_covered_both_times(self, api, staff, plane):
        make_pattern(api, staff, plane, "01:30", "03:00")
        # 01:30-02:00 EDT, then the clocks read 01:00 again: 01:30 EST until 03:00 EST.
        assert covered(api, staff, plane, FALL) == [(utc(FALL, 5, 30), utc(FALL, 6)), (utc(FALL, 6, 30), utc(FALL, 8))]

    def test_fall_an_end_inside_the_repeated_hour_is_covered_both_times(self, api, staff, plane):
        make_pattern(api, staff, plane, "00:00", "01:30")
        # 00:00-01:30 EDT, then 01:00-01:30 EST once more; 01:30-02:00 EDT is outside the pattern.
        assert covered(api, staff, plane, FALL) == [(utc(FALL, 4), utc(FALL, 5, 30)), (utc(FALL, 6), utc(FALL, 6, 30))]

    def test_a_pattern_across_the_whole_change_covers_the_real_hours(self, api, staff, plane):
        make_pattern(api, staff, plane, "00:00", "04:00")
        assert covered(api, staff, plane, SPRING) == [(utc(SPRING, 5), utc(SPRING, 8))]  # three hours
        assert covered(api, staff, plane, FALL) == [(utc(FALL, 4), utc(FALL, 9))]  # five hours


@pytest.mark.django_db
class TestValidFromDefault:
    @pytest.mark.parametrize("instant,today", [
        (datetime(2027, 3, 15, 3, 30, tzinfo=UTC), "2027-03-14"),  # still Sunday evening in New York
        (datetime(2027, 3, 15, 4, 30, tzinfo=UTC), "2027-03-15"),
    ])
    def test_without_valid_from_a_pattern_holds_from_today_in_the_school_zone(self, api, staff, plane, settings,
                                                                             instant, today):
        settings.SCHOOL_TIME_ZONE = NEW_YORK
        with time_machine.travel(instant, tick=False):
            response = api.as_user(staff).post(PATTERNS, {"aircraft": plane.pk, "weekday": 0,
                                                          "start_time": "08:00", "end_time": "17:00"})
        assert response.status_code == 201, response.json()
        assert response.json()["valid_from"] == today
        assert AvailabilityPattern.objects.get().valid_from == date.fromisoformat(today)

    def test_a_given_valid_from_is_kept_and_a_bad_one_is_400(self, api, staff, plane):
        kept = api.as_user(staff).post(PATTERNS, {"aircraft": plane.pk, "weekday": 0, "start_time": "08:00",
                                                  "end_time": "17:00", "valid_from": "2030-01-07"})
        assert kept.status_code == 201 and kept.json()["valid_from"] == "2030-01-07"
        bad = api.as_user(staff).post(PATTERNS, {"aircraft": plane.pk, "weekday": 0, "start_time": "08:00",
                                                 "end_time": "17:00", "valid_from": "next monday"})
        assert bad.status_code == 400 and "valid_from" in bad.json()["fields"]
        assert AvailabilityPattern.objects.count() == 1
