"""An instructor sees and edits their own weekly windows and time off; nobody else's."""

from datetime import UTC, datetime

import pytest

from audit.models import AuditEvent
from availability.models import AvailabilityException, AvailabilityPattern
from availability.tests.factories import ExceptionFactory, PatternFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def palo_alto(settings):
    settings.SCHOOL_TIME_ZONE = "America/Los_Angeles"


def test_an_instructor_adds_a_weekly_window_and_students_can_then_book_it(client, colleague, now):
    client.force_login(colleague)
    response = client.post("/availability/", {"form": "window", "window-weekday": "2",
                                              "window-start_time": "08:00", "window-end_time": "12:00"})
    assert response.status_code == 302
    pattern = AvailabilityPattern.objects.get(instructor=colleague)
    assert (pattern.weekday, f"{pattern.start_time:%H:%M}", f"{pattern.end_time:%H:%M}") == (2, "08:00", "12:00")
    assert AuditEvent.objects.filter(action="availability_pattern.created", actor=colleague).exists()
    assert "Wednesday 08:00–12:00" in client.get("/availability/").content.decode()


def test_time_off_is_read_in_the_schools_zone(client, colleague, now):
    client.force_login(colleague)
    response = client.post("/availability/", {
        "form": "time_off", "off-start_date": "2026-03-10", "off-start_time": "00:00",
        "off-end_date": "2026-03-12", "off-end_time": "23:59", "off-reason": "Vacation"})
    assert response.status_code == 302
    block = AvailabilityException.objects.get(instructor=colleague)
    assert block.start == datetime(2026, 3, 10, 7, 0, tzinfo=UTC)  # midnight PDT (the clocks changed on the 8th)
    assert block.reason == "Vacation"
    page = client.get("/availability/").content.decode()
    assert "Tue 10 Mar 00:00 PDT – Thu 12 Mar 23:59 PDT · Vacation" in page


def test_bad_input_says_why_and_saves_nothing(client, colleague, now):
    client.force_login(colleague)
    backwards = client.post("/availability/", {"form": "window", "window-weekday": "2",
                                               "window-start_time": "12:00", "window-end_time": "08:00"})
    assert backwards.status_code == 400 and "The end must be after the start" in backwards.content.decode()
    missing = client.post("/availability/", {"form": "time_off", "off-start_date": "2026-03-10"})
    assert missing.status_code == 400 and "This field is required." in missing.content.decode()
    assert not AvailabilityPattern.objects.exists() and not AvailabilityException.objects.exists()


def test_only_their_own_can_be_removed(client, colleague, now):
    from accounts.tests.factories import InstructorFactory

    other = InstructorFactory(email="cfi.other@example.com")
    mine, theirs = PatternFactory(instructor=colleague), PatternFactory(instructor=other)
    their_time_off = ExceptionFactory(instructor=other, start=datetime(2026, 3, 10, tzinfo=UTC),
                                      end=datetime(2026, 3, 11, tzinfo=UTC))
    client.force_login(colleague)
    page = client.get("/availability/").content.decode()
    assert f"/availability/windows/{mine.pk}/delete/" in page and f"/windows/{theirs.pk}/" not in page
    assert client.post(f"/availability/windows/{theirs.pk}/delete/").status_code == 404
    assert client.post(f"/availability/time-off/{their_time_off.pk}/delete/").status_code == 404
    assert client.post(f"/availability/windows/{mine.pk}/delete/").status_code == 302
    assert list(AvailabilityPattern.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert AvailabilityException.objects.filter(pk=their_time_off.pk).exists()


def test_students_and_staff_are_sent_elsewhere(client, owner, staff):
    for person in (owner, staff):
        client.force_login(person)
        assert client.get("/availability/").status_code == 403
    client.force_login(owner)
    assert 'href="/availability/"' not in client.get("/").content.decode()
