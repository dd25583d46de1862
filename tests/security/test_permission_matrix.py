"""Who may do what: every role against every endpoint of the API, on their own object and on someone else's.

The owner (a student) and the colleague (the instructor who teaches the owner) share one world; the stranger
(another student) and a second instructor share another. "own" is the owner's object, "other" the stranger's.
A hidden object answers 404, exactly like one that does not exist; a forbidden endpoint answers 403.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest

from accounts.tests.factories import InstructorFactory
from audit.services import audit_record
from availability.tests.factories import ExceptionFactory, PatternFactory
from bookings.tests.factories import AirportFactory, BookingFactory
from notifications.tests.factories import NotificationFactory
from rescheduling.tests.factories import RescheduleOptionFactory, RescheduleRequestFactory

ROLES = ("anonymous", "student", "instructor", "admin")
START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
SKIP = None  # a cell whose answer depends on data this matrix does not set up (asserted elsewhere)


@pytest.fixture
def world(db, owner, colleague, stranger, staff):
    other_instructor = InstructorFactory(email="other.cfi@example.com")
    AirportFactory()
    own_booking = BookingFactory(student=owner, instructor=colleague, start=START, end=START + timedelta(hours=2))
    other_booking = BookingFactory(student=stranger, instructor=other_instructor, start=START,
                                   end=START + timedelta(hours=2))
    own_request = RescheduleRequestFactory(
        booking__student=owner, booking__instructor=colleague, booking__start=START + timedelta(days=1),
        booking__end=START + timedelta(days=1, hours=2))
    other_request = RescheduleRequestFactory(
        booking__student=stranger, booking__instructor=other_instructor, booking__start=START + timedelta(days=1),
        booking__end=START + timedelta(days=1, hours=2))
    other_option = RescheduleOptionFactory(request=other_request)
    return {
        "owner": owner, "colleague": colleague, "stranger": stranger, "staff": staff,
        "own_booking": own_booking.pk, "other_booking": other_booking.pk,
        "own_request": own_request.pk, "other_request": other_request.pk, "other_option": other_option.pk,
        "own_pattern": PatternFactory(instructor=colleague).pk,
        "other_pattern": PatternFactory(instructor=other_instructor).pk,
        "own_exception": ExceptionFactory(instructor=colleague, start=START, end=START + timedelta(hours=1)).pk,
        "other_exception": ExceptionFactory(instructor=other_instructor, start=START,
                                            end=START + timedelta(hours=1)).pk,
        "owner_note": NotificationFactory(recipient=owner).pk,
        "stranger_note": NotificationFactory(recipient=stranger).pk,
        "audit_event": audit_record(action="matrix.seen", object_type="matrix", object_id=1).pk,
        "owner_id": owner.pk,
        "colleague_id": colleague.pk,
        "token": owner.calendar_token,
    }


def _slots_query(w):
    return (f"/api/v1/availability/slots/?instructor={w['colleague_id']}&start={START.isoformat()}"
            f"&end={(START + timedelta(days=1)).isoformat()}&duration_minutes=60").replace("+", "%2B")


# (name, method, path, body, expected statuses for anonymous, student, instructor, admin)
MATRIX = [
    ("health", "GET", "/health", None, (200, 200, 200, 200)),
    ("me", "GET", "/api/v1/auth/me/", None, (401, 200, 200, 200)),
    ("own feed address", "GET", "/api/v1/auth/me/calendar/", None, (401, 200, 200, 200)),
    ("logout without a refresh token", "POST", "/api/v1/auth/logout/", {}, (400, 400, 400, 400)),
    ("logout with a forged refresh token", "POST", "/api/v1/auth/logout/", {"refresh": "forged.token.here"},
     (401, 401, 401, 401)),
    ("unmatched api path", "GET", "/api/v1/no-such-thing/", None, (404, 404, 404, 404)),
    ("users list", "GET", "/api/v1/users/", None, (401, 403, 403, 200)),
    ("user detail", "GET", "/api/v1/users/{owner_id}/", None, (401, 403, 403, 200)),
    ("user create", "POST", "/api/v1/users/",
     {"email": "new.person@example.com", "password": "a-long-unusual-passphrase", "role": "instructor"},
     (401, 403, 403, 201)),
    ("airports list", "GET", "/api/v1/airports/?search=KPAO", None, (401, 200, 200, 200)),
    ("airport runway update", "PATCH", "/api/v1/airports/KPAO/", {"runway_headings": [130, 310]},
     (401, 403, 403, 200)),
    ("aircraft list", "GET", "/api/v1/aircraft/", None, (401, 200, 200, 200)),
    ("aircraft create", "POST", "/api/v1/aircraft/",
     {"tail_number": "N999PM", "model": "Cessna 172S", "home_airport": "KPAO"}, (401, 403, 403, 201)),
    ("patterns list", "GET", "/api/v1/availability/patterns/", None, (401, 403, 200, 200)),
    ("own pattern", "GET", "/api/v1/availability/patterns/{own_pattern}/", None, (401, 403, 200, 200)),
    ("other's pattern", "GET", "/api/v1/availability/patterns/{other_pattern}/", None, (401, 403, 404, 200)),
    ("pattern create", "POST", "/api/v1/availability/patterns/",
     {"instructor": "{colleague_id}", "weekday": 2, "start_time": "08:00", "end_time": "12:00",
      "valid_from": "2026-01-01"}, (401, 403, 403, 201)),
    ("own pattern delete", "DELETE", "/api/v1/availability/patterns/{own_pattern}/", None, (401, 403, 403, 204)),
    ("exceptions list", "GET", "/api/v1/availability/exceptions/", None, (401, 403, 200, 200)),
    ("own exception", "GET", "/api/v1/availability/exceptions/{own_exception}/", None, (401, 403, 200, 200)),
    ("other's exception", "GET", "/api/v1/availability/exceptions/{other_exception}/", None, (401, 403, 404, 200)),
    ("slots", "GET", _slots_query, None, (401, 200, 200, 200)),
    ("bookings list", "GET", "/api/v1/bookings/", None, (401, 200, 200, 200)),
    ("own booking", "GET", "/api/v1/bookings/{own_booking}/", None, (401, 200, 200, 200)),
    ("other's booking", "GET", "/api/v1/bookings/{other_booking}/", None, (401, 404, 404, 200)),
    ("other's booking update", "PATCH", "/api/v1/bookings/{other_booking}/", {"notes": "bring a headset"},
     (401, 404, 404, 200)),
    ("own booking cancel", "POST", "/api/v1/bookings/{own_booking}/cancel/", {"reason": "sick"},
     (401, 200, 200, 200)),
    ("other's booking cancel", "POST", "/api/v1/bookings/{other_booking}/cancel/", {"reason": "sick"},
     (401, 404, 404, 200)),
    ("own booking weather", "GET", "/api/v1/bookings/{own_booking}/weather/", None, (401, 200, 200, 200)),
    ("other's booking weather", "GET", "/api/v1/bookings/{other_booking}/weather/", None, (401, 404, 404, 200)),
    ("other's booking reschedule", "POST", "/api/v1/bookings/{other_booking}/reschedule/", None,
     (401, 404, 404, 201)),
    ("requests list", "GET", "/api/v1/reschedule-requests/", None, (401, 200, 200, 200)),
    ("own request", "GET", "/api/v1/reschedule-requests/{own_request}/", None, (401, 200, 200, 200)),
    ("other's request", "GET", "/api/v1/reschedule-requests/{other_request}/", None, (401, 404, 404, 200)),
    ("other's request accept", "POST", "/api/v1/reschedule-requests/{other_request}/accept/",
     {"option": "{other_option}"}, (401, 404, 404, SKIP)),
    ("other's request decline", "POST", "/api/v1/reschedule-requests/{other_request}/decline/", None,
     (401, 404, 404, 200)),
    ("notifications list", "GET", "/api/v1/notifications/", None, (401, 200, 200, 200)),
    ("unread count", "GET", "/api/v1/notifications/unread-count/", None, (401, 200, 200, 200)),
    ("owner's notification", "GET", "/api/v1/notifications/{owner_note}/", None, (401, 200, 404, 404)),
    ("owner's notification read", "POST", "/api/v1/notifications/{owner_note}/read/", None, (401, 200, 404, 404)),
    ("stranger's notification", "GET", "/api/v1/notifications/{stranger_note}/", None, (401, 404, 404, 404)),
    ("audit events", "GET", "/api/v1/audit-events/", None, (401, 403, 403, 200)),
    ("audit event", "GET", "/api/v1/audit-events/{audit_event}/", None, (401, 403, 403, 200)),
    ("metrics", "GET", "/api/v1/metrics/", None, (401, 403, 403, 200)),
    ("own calendar feed", "GET", "/calendar/{token}.ics", None, (200, 200, 200, 200)),
    ("guessed calendar feed", "GET", "/calendar/not-a-real-token.ics", None, (404, 404, 404, 404)),
]

CASES = [pytest.param(row, role, id=f"{row[0]}-{role}")
         for row in MATRIX for role, expected in zip(ROLES, row[4], strict=True) if expected is not SKIP]


def _fill(value, w):
    if callable(value):
        return value(w)
    if isinstance(value, str):
        filled = value.format(**w)
        return int(filled) if value.startswith("{") and filled.isdigit() else filled
    if isinstance(value, dict):
        return {key: _fill(item, w) for key, item in value.items()}
    return value


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(("row", "role"), CASES)
def test_permission_matrix(api, world, row, role):
    name, method, path, body, expected = row
    who = {"student": "owner", "instructor": "colleague", "admin": "staff"}.get(role)
    client = api.as_user(world[who]) if who else api
    response = client.generic(method, _fill(path, world), data=None if body is None else json.dumps(_fill(body, world)),
                              content_type="application/json")
    want = expected[ROLES.index(role)]
    assert response.status_code == want, f"{name} as {role}: {response.status_code} {response.content[:300]!r}"
    if want in (401, 403, 404) and response["Content-Type"].startswith("application/json"):
        assert set(response.json()) >= {"message", "code", "fields"}


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(("role", "sees_own", "sees_other"), [
    ("student", True, False), ("instructor", True, False), ("admin", True, True)])
def test_lists_show_only_what_the_role_may_see(api, world, role, sees_own, sees_other):
    who = {"student": "owner", "instructor": "colleague", "admin": "staff"}[role]
    client = api.as_user(world[who])
    bookings = {b["id"] for b in client.get("/api/v1/bookings/?page_size=100").json()["results"]}
    assert (world["own_booking"] in bookings) is sees_own
    assert (world["other_booking"] in bookings) is sees_other
    requests = {r["id"] for r in client.get("/api/v1/reschedule-requests/?page_size=100").json()["results"]}
    assert (world["own_request"] in requests) is sees_own
    assert (world["other_request"] in requests) is sees_other
    notes = {n["id"] for n in client.get("/api/v1/notifications/?page_size=100").json()["results"]}
    assert world["stranger_note"] not in notes
    assert (world["owner_note"] in notes) is (role == "student")


@pytest.mark.django_db
def test_hidden_and_missing_objects_answer_alike(api, world):
    """A stranger cannot tell "exists but not yours" from "does not exist" by status or body."""
    client = api.as_user(world["stranger"])
    hidden = client.get(f"/api/v1/bookings/{world['own_booking']}/")
    missing = client.get("/api/v1/bookings/987654321/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()

