import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings

from accounts.models import User
from availability import selectors as availability
from availability.models import AvailabilityPattern
from bookings.models import Aircraft, Airport, Booking
from operations.demo import daylight_pattern_rows

PACIFIC = zoneinfo.ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize("school_zone", ["UTC", "America/Los_Angeles", "Asia/Tokyo"])
def test_daylight_at_the_airport_is_daylight_whatever_the_school_zone(school_zone):
    with override_settings(SCHOOL_TIME_ZONE=school_zone):
        rows = daylight_pattern_rows(airport_zone="America/Los_Angeles", first_day=date(2026, 2, 1), days=120)
        patterns = [AvailabilityPattern(weekday=w, start_time=s, end_time=e, valid_from=f, valid_until=u)
                    for w, s, e, f, u in rows]
        # Both sides of the 8 March clock change: a winter day and a summer day.
        for day in (date(2026, 2, 10), date(2026, 5, 20)):
            start = datetime.combine(day, time(7), tzinfo=PACIFIC)
            end = datetime.combine(day, time(19), tzinfo=PACIFIC)
            covered = availability.merge_intervals(
                interval for p in patterns for interval in
                availability.pattern_occurrences(p, start - timedelta(hours=3), end + timedelta(hours=3)))
            assert covered == [(start, end)], (school_zone, day, covered)


@pytest.mark.django_db
def test_seed_demo_builds_the_school_once(capsys):
    call_command("seed_demo")
    counts = (Airport.objects.count(), Aircraft.objects.count(), AvailabilityPattern.objects.count(),
              Booking.objects.count())
    call_command("seed_demo")
    assert counts == (Airport.objects.count(), Aircraft.objects.count(), AvailabilityPattern.objects.count(),
                      Booking.objects.count())
    assert Airport.objects.get(icao="KPAO").runway_headings == [130, 310]
    assert Aircraft.objects.count() == 3
    students = User.objects.filter(role="student")
    for student in students:
        lessons = Booking.objects.filter(student=student)
        assert lessons.count() == 7
        assert {b.start.astimezone(PACIFIC).date() for b in lessons} == {
            min(b.start for b in lessons).astimezone(PACIFIC).date() + timedelta(days=d) for d in range(7)}
    assert set(Booking.objects.values_list("lesson_type", flat=True)) == {"dual", "solo", "cross_country",
                                                                          "checkride"}
    assert set(Booking.objects.filter(lesson_type="cross_country")
               .values_list("destination_airport__icao", flat=True)) == {"KSNS", "KMRY"}


@pytest.mark.django_db
def test_large_school_is_dense_without_overlaps(capsys):
    call_command("seed_demo", students=40, instructors=4, aircraft=5, days=3)
    load = Booking.objects.filter(aircraft__tail_number__startswith="N40")
    # 5 aircraft x 8 daylight slots x 3 days = 120, less every tenth slot of each aircraft left free.
    assert load.count() == 110
    for field in ("student_id", "instructor_id", "aircraft_id"):
        rows = sorted((getattr(b, field), b.start, b.end) for b in load if getattr(b, field))
        for (a_party, _, a_end), (b_party, b_start, _) in zip(rows, rows[1:], strict=False):
            assert a_party != b_party or a_end <= b_start, field
    call_command("seed_demo", students=40, instructors=4, aircraft=5, days=3)
    assert load.count() == 110
