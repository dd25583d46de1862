"""A booking's status is not the student's to set, and its weather verdict always belongs to the flight as it is."""

from datetime import timedelta

import pytest

from accounts.models import TrainingLevel
from accounts.tests.factories import StudentFactory
from audit.models import AuditEvent
from bookings.models import Booking
from bookings.tests.conftest import at
from bookings.tests.factories import BookingFactory
from weather.providers.base import HOURLY, CloudLayer, HourlyWeather
from weather.services import forecasts_store

URL = "/api/v1/bookings/"


def _body(plane, kpao, **extra):
    return {"aircraft": plane.pk, "departure_airport": kpao.icao, "start": at(3, 16).isoformat(),
            "end": at(3, 18).isoformat(), **extra}


@pytest.mark.parametrize("status", ["confirmed", "completed"])
def test_a_student_cannot_create_a_booking_confirmed_or_completed(api, owner, colleague, plane, kpao, open_hours,
                                                                 now, status):
    response = api.as_user(owner).post(URL, _body(plane, kpao, instructor=colleague.pk, status=status))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied" and "status" in response.json()["fields"]
    assert not Booking.objects.exists()
    assert not AuditEvent.objects.filter(action="booking.created").exists()


def test_a_student_booking_starts_scheduled_and_an_instructor_may_confirm_on_create(api, owner, colleague, plane,
                                                                                    kpao, open_hours, now):
    mine = api.as_user(owner).post(URL, _body(plane, kpao, instructor=colleague.pk))
    assert mine.status_code == 201 and mine.json()["status"] == "scheduled"
    Booking.objects.all().delete()
    taught = api.as_user(colleague).post(URL, _body(plane, kpao, student=owner.pk, instructor=colleague.pk,
                                                    status="confirmed"))
    assert taught.status_code == 201 and taught.json()["status"] == "confirmed"


def _store_low_ceiling(kpao, *, start, fetched_at):
    """Broken cloud at 2,000 ft all day: fine for an instrument-rated pilot, below a student pilot's 3,000 ft."""
    first = start.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    samples = [HourlyWeather(provider="openweathermap", source=HOURLY, valid_at=first + timedelta(hours=i),
                             wind_dir_deg=310, wind_kt=4, gust_kt=None, visibility_sm=10,
                             clouds=(CloudLayer("BKN", 2000),), cloud_pct=70, temperature_c=16, dewpoint_c=6,
                             phenomena=(), issued_at=fetched_at)
               for i in range(36)]
    forecasts_store(answers={"openweathermap": {kpao.icao: samples}}, fetched_at=fetched_at)


def test_changing_the_student_rejudges_the_booking_at_once(api, staff, colleague, plane, kpao, open_hours, now):
    rated = StudentFactory(email="cleo@example.com", training_level=TrainingLevel.INSTRUMENT_RATED)
    novice = StudentFactory(email="ava@example.com", training_level=TrainingLevel.STUDENT_PILOT)
    booking = BookingFactory(student=rated, instructor=colleague, aircraft=plane, departure_airport=kpao,
                             start=now + timedelta(hours=5), end=now + timedelta(hours=7), weather_status="ok",
                             weather_checked_at=now)
    _store_low_ceiling(kpao, start=now, fetched_at=now)
    response = api.as_user(staff).patch(f"{URL}{booking.pk}/", {"student": novice.pk})
    assert response.status_code == 200
    assert response.json()["weather_status"] == "conflict"
    back = api.as_user(staff).patch(f"{URL}{booking.pk}/", {"student": rated.pk})
    assert back.json()["weather_status"] == "ok"


def test_a_change_beyond_the_stored_forecasts_is_unknown_until_the_monitor_runs(api, staff, owner, colleague, plane,
                                                                                kpao, open_hours, now):
    booking = BookingFactory(student=owner, instructor=colleague, aircraft=plane, departure_airport=kpao,
                             start=now + timedelta(hours=5), end=now + timedelta(hours=7), weather_status="ok",
                             weather_checked_at=now)
    _store_low_ceiling(kpao, start=now, fetched_at=now)
    moved = api.as_user(staff).patch(f"{URL}{booking.pk}/", {"start": (now + timedelta(days=5)).isoformat(),
                                                               "end": (now + timedelta(days=5, hours=2)).isoformat()})
    assert moved.status_code == 200 and moved.json()["weather_status"] == "unknown"


def test_changing_only_the_notes_keeps_the_verdict(api, staff, owner, colleague, plane, kpao, open_hours, now):
    booking = BookingFactory(student=owner, instructor=colleague, aircraft=plane, departure_airport=kpao,
                             start=now + timedelta(hours=5), end=now + timedelta(hours=7), weather_status="marginal",
                             weather_checked_at=now)
    response = api.as_user(staff).patch(f"{URL}{booking.pk}/", {"notes": "Bring the foggles."})
    assert response.status_code == 200 and response.json()["weather_status"] == "marginal"


def test_a_new_booking_is_judged_at_once_from_the_stored_forecasts(api, staff, colleague, plane, kpao, open_hours,
                                                                   now):
    rated = StudentFactory(email="cleo@example.com", training_level=TrainingLevel.INSTRUMENT_RATED)
    novice = StudentFactory(email="ava@example.com", training_level=TrainingLevel.STUDENT_PILOT)
    _store_low_ceiling(kpao, start=now, fetched_at=now)
    bodies = {student: {"student": student.pk, "instructor": colleague.pk, "aircraft": plane.pk,
                        "departure_airport": kpao.icao, "start": (now + timedelta(hours=5 + 3 * i)).isoformat(),
                        "end": (now + timedelta(hours=7 + 3 * i)).isoformat()}
              for i, student in enumerate((rated, novice))}
    verdicts = {student.training_level: api.as_user(staff).post(URL, body, format="json").json()["weather_status"]
                for student, body in bodies.items()}
    assert verdicts == {"instrument_rated": "ok", "student_pilot": "conflict"}
    assert Booking.objects.filter(weather_checked_at=now).count() == 2
    # Beyond what the monitor has stored: not checked yet, as before.
    later = api.as_user(staff).post(URL, {**bodies[rated], "start": (now + timedelta(days=5)).isoformat(),
                                          "end": (now + timedelta(days=5, hours=2)).isoformat()}, format="json")
    assert later.json()["weather_status"] == "unknown"
