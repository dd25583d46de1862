from datetime import time

import pytest

from audit.models import AuditEvent
from availability.models import AvailabilityPattern
from availability.tests.factories import ExceptionFactory, PatternFactory
from bookings.tests.factories import AircraftFactory, BookingFactory

PATTERNS = "/api/v1/availability/patterns/"
EXCEPTIONS = "/api/v1/availability/exceptions/"
SLOTS = "/api/v1/availability/slots/"


@pytest.mark.django_db
class TestPatternsAndExceptions:
    def test_staff_write_and_it_is_audited(self, api, staff, colleague):
        client = api.as_user(staff)
        response = client.post(PATTERNS, {"instructor": colleague.pk, "weekday": 2, "start_time": "08:00",
                                          "end_time": "12:00", "valid_from": "2026-06-01"})
        assert response.status_code == 201, response.json()
        assert AuditEvent.objects.filter(action="availability_pattern.created", actor=staff).exists()
        changed = client.patch(f"{PATTERNS}{response.json()['id']}/", {"end_time": "13:00"})
        assert changed.json()["end_time"] == "13:00:00"
        assert client.delete(f"{PATTERNS}{response.json()['id']}/").status_code == 204
        assert not AvailabilityPattern.objects.exists()

    @pytest.mark.parametrize("bad,field", [
        ({"end_time": "07:00"}, "end_time"),
        ({"weekday": 7}, "weekday"),
        ({"instructor": None}, "non_field_errors"),
        ({"valid_until": "2026-05-01"}, "valid_until"),
    ])
    def test_bad_patterns_are_400(self, api, staff, colleague, bad, field):
        body = {"instructor": colleague.pk, "weekday": 2, "start_time": "08:00", "end_time": "12:00",
                "valid_from": "2026-06-01", **bad}
        response = api.as_user(staff).post(PATTERNS, {k: v for k, v in body.items() if v is not None})
        assert response.status_code == 400 and field in response.json()["fields"]
        assert not AvailabilityPattern.objects.exists()

    def test_instructors_read_their_own_students_nothing(self, api, colleague, owner, make_user):
        other = make_user(email="other.cfi@example.com", role="instructor", training_level="")
        mine = PatternFactory(instructor=colleague)
        theirs = PatternFactory(instructor=other)
        PatternFactory(aircraft=AircraftFactory())
        ExceptionFactory(instructor=other, start="2026-06-01T00:00Z", end="2026-06-02T00:00Z")
        client = api.as_user(colleague)
        assert [p["id"] for p in client.get(PATTERNS).json()["results"]] == [mine.pk]
        assert client.get(f"{PATTERNS}{theirs.pk}/").status_code == 404
        assert client.get(EXCEPTIONS).json()["count"] == 0
        assert client.post(PATTERNS, {"instructor": colleague.pk, "weekday": 1, "start_time": "08:00",
                                      "end_time": "09:00", "valid_from": "2026-06-01"}).status_code == 403
        assert api.as_user(owner).get(PATTERNS).status_code == 403

    def test_exceptions_need_offsets(self, api, staff, colleague):
        response = api.as_user(staff).post(EXCEPTIONS, {"instructor": colleague.pk, "start": "2026-06-01T08:00",
                                                        "end": "2026-06-01T10:00Z", "reason": "Dentist"})
        assert response.status_code == 400 and "start" in response.json()["fields"]
        ok = api.post(EXCEPTIONS, {"instructor": colleague.pk, "start": "2026-06-01T08:00Z",
                                   "end": "2026-06-01T10:00Z", "reason": "Dentist"})
        assert ok.status_code == 201 and ok.json()["reason"] == "Dentist"


@pytest.mark.django_db
class TestSlots:
    @pytest.fixture
    def setup(self, colleague):
        plane = AircraftFactory()
        PatternFactory(aircraft=plane, weekday=0, start_time=time(8), end_time=time(12))
        PatternFactory(instructor=colleague, weekday=0, start_time=time(9), end_time=time(17))
        return plane

    def test_slots_where_everyone_named_is_free(self, api, owner, colleague, setup):
        BookingFactory(student=owner, instructor=None, lesson_type="solo", aircraft=AircraftFactory(),
                       start="2026-06-01T10:00Z", end="2026-06-01T11:00Z")
        response = api.as_user(owner).get(SLOTS, {"instructor": colleague.pk, "aircraft": setup.pk,
                                                  "start": "2026-06-01T00:00:00Z", "end": "2026-06-02T00:00:00Z",
                                                  "duration_minutes": 60})
        assert response.status_code == 200, response.json()
        assert response.json()["results"] == [
            {"start": "2026-06-01T09:00:00Z", "end": "2026-06-01T10:00:00Z"},
            {"start": "2026-06-01T11:00:00Z", "end": "2026-06-01T12:00:00Z"},
        ]

    def test_a_student_cannot_look_into_another_students_time(self, api, owner, stranger, setup):
        response = api.as_user(stranger).get(SLOTS, {"student": owner.pk, "start": "2026-06-01T00:00:00Z",
                                                     "end": "2026-06-02T00:00:00Z"})
        assert response.status_code == 404

    @pytest.mark.parametrize("bad,field", [
        ({"start": "2026-06-01T00:00:00"}, "start"),
        ({"end": "2026-05-01T00:00:00Z"}, "end"),
        ({"end": "2026-07-01T00:00:00Z"}, "end"),
        ({"duration_minutes": 5}, "duration_minutes"),
    ])
    def test_bad_queries_are_400(self, api, staff, setup, bad, field):
        params = {"aircraft": setup.pk, "start": "2026-06-01T00:00:00Z", "end": "2026-06-02T00:00:00Z", **bad}
        response = api.as_user(staff).get(SLOTS, params)
        assert response.status_code == 400 and field in response.json()["fields"]
