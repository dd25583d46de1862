"""A sweep of more bookings than one batch stores its checks on a thread of its own while it judges: the same
checks as storing them afterwards, in one transaction that a failed fetch or a failed write leaves empty."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from bookings.models import Booking
from bookings.tests.factories import BookingFactory
from weather import jobs, services
from weather.models import WeatherCheck
from weather.tests.test_monitor import storm_over

pytestmark = pytest.mark.django_db


@pytest.fixture
def flights(flight, kpao, now):
    """The flight and four more local ones, one after another."""
    return [flight, *(BookingFactory(departure_airport=kpao, destination_airport=kpao,
                                     start=flight.start + timedelta(hours=3 * k),
                                     end=flight.end + timedelta(hours=3 * k)) for k in range(1, 5))]


@pytest.fixture
def batches(monkeypatch):
    """Batches of two checks, and the thread each batch was stored on."""
    monkeypatch.setattr(services, "CHECK_STREAM_BATCH", 2)
    stored_on = []
    real = services._store_checks

    def recording(checks, **kwargs):
        stored_on.append((threading.current_thread().name, len(checks)))
        return real(checks, **kwargs)

    monkeypatch.setattr(services, "_store_checks", recording)
    return stored_on


def _stored():
    return sorted(WeatherCheck.objects.values_list("booking_id", "status", "reasons", "points", "fingerprint"))


def test_the_checks_stored_while_judging_are_those_stored_afterwards(weather, flights, now, batches, monkeypatch):
    weather.owm = storm_over(flights[0])
    summary = jobs.run_monitor(now=now)
    assert summary["bookings"] == 5 and summary["conflict"] == 1 and summary["verdicts_changed"] == 5
    assert batches == [("weather-checks", 2), ("weather-checks", 2), ("weather-checks", 1)]
    streamed = _stored()
    assert len(streamed) == 5 and {row[1] for row in streamed} == {"conflict", "ok"}
    assert Booking.objects.get(pk=flights[0].pk).weather_status == "conflict"

    # The same weather again: every check is unchanged, and only its checked_at moves.
    assert jobs.run_monitor(now=now + timedelta(minutes=10))["verdicts_changed"] == 0
    assert _stored() == streamed
    assert set(WeatherCheck.objects.values_list("checked_at", flat=True)) == {now + timedelta(minutes=10)}

    # Stored in one piece on the caller's thread, the same checks.
    WeatherCheck.objects.all().delete()
    Booking.objects.update(weather_status="unknown")
    monkeypatch.setattr(services, "CHECK_STREAM_BATCH", 100)
    batches.clear()
    jobs.run_monitor(now=now)
    assert batches == [("MainThread", 5)] and _stored() == streamed


def test_a_fetch_that_fails_leaves_none_of_the_checks_already_written(weather, flights, now, batches, monkeypatch):
    real = jobs.collect_forecasts

    def fails_at_the_end(*args, **kwargs):
        real(*args, **kwargs)  # every location answered, so every route was judged and handed to the writer
        raise RuntimeError("fetch thread died")

    monkeypatch.setattr(jobs, "collect_forecasts", fails_at_the_end)
    with pytest.raises(RuntimeError, match="fetch thread died"):
        jobs.run_monitor(now=now)
    assert batches and {name for name, _size in batches} == {"weather-checks"}
    assert WeatherCheck.objects.count() == 0
    assert set(Booking.objects.values_list("weather_status", flat=True)) == {"unknown"}
    monkeypatch.setattr(jobs, "collect_forecasts", real)
    assert jobs.run_monitor(now=now)["verdicts_changed"] == 5  # the connection is the caller's again, and fine


def test_a_write_that_fails_fails_the_run_once_judging_is_over(weather, flights, now, batches, monkeypatch):
    def refused(rows, **kwargs):
        raise RuntimeError("the database refused the checks")

    monkeypatch.setattr(services, "_insert_checks", refused)
    with pytest.raises(RuntimeError, match="refused the checks"):
        jobs.run_monitor(now=now)
    assert batches[0][0] == "weather-checks"
    assert WeatherCheck.objects.count() == 0
    assert set(Booking.objects.values_list("weather_status", flat=True)) == {"unknown"}
    assert connection.allow_thread_sharing is False


def _check(booking, *, points, minimums, providers, now, status="ok"):
    return WeatherCheck(booking_id=booking.pk, status=status, reasons=[f"{status} at {booking.pk}"],
                        window_start=booking.start - timedelta(hours=1), window_end=booking.end,
                        training_level="private_pilot", minimums=minimums, providers=providers,
                        agreement={"hours": 2, "same_category": 2}, points=points,
                        confidence={"score": 0.9, "at": "KPAO 12:00Z"}, fingerprint=f"{booking.pk:064d}",
                        run_id="run-1", created_at=now, checked_at=now)


def test_shared_parts_are_encoded_once_and_stored_as_given(flights, now, monkeypatch):
    """Checks sharing their points, minimums and provider report (as a sweep's do) store exactly what each
    check holds, with each shared part encoded once for every batch of the writer's cache."""
    point = {"label": "KPAO", "hour": now.isoformat(), "visibility_sm": 10.0, "ceiling_ft": None,
             "providers": ["openweathermap", "weatherapi"], "reasons": [], "note": "gust 18 kt ≥ 15"}
    other = {**point, "hour": (now + timedelta(hours=1)).isoformat(), "visibility_sm": 0.25}
    minimums = {"ceiling_ft": 3000, "visibility_sm": 5.0, "solo": True}
    providers = [{"name": "weatherapi", "answered": True, "locations_answered": 1, "locations_failed": 0}]
    rows = [_check(b, points=[point, other] if i % 2 else [point], minimums=minimums, providers=providers,
                   now=now, status="marginal" if i == 3 else "ok") for i, b in enumerate(flights)]
    encodings = []
    real = services._document_json
    monkeypatch.setattr(services, "_document_json", lambda value: encodings.append(value) or real(value))
    shared: dict = {}
    services._insert_checks(rows[:3], shared=shared)
    services._insert_checks(rows[3:], shared=shared)  # the next batch: nothing shared is encoded again
    # One encoding per row for its own fields, one per distinct shared object.
    assert len(encodings) == len(rows) + 4
    assert all(row.pk is not None for row in rows)
    stored = {c.booking_id: c for c in WeatherCheck.objects.filter(booking_id__in=[b.pk for b in flights])}
    fields = ("status", "reasons", "window_start", "window_end", "training_level", "minimums", "providers",
              "agreement", "points", "confidence", "fingerprint", "run_id", "created_at", "checked_at")
    for row in rows:
        assert stored[row.booking_id].pk == row.pk
        assert {f: getattr(stored[row.booking_id], f) for f in fields} == {f: getattr(row, f) for f in fields}


def test_an_equal_part_that_is_another_object_is_not_taken_for_a_cached_one(flights, now):
    """The cache is by identity, kept beside the object: a new object never reads another one's JSON."""
    minimums = {"ceiling_ft": 3000}
    shared = {id(minimums): ({"ceiling_ft": 1000}, '{"ceiling_ft":1000}')}  # a dead object's id, reused
    document = services._checks_document([_check(flights[0], points=[], minimums=minimums, providers=[],
                                                  now=now)], shared)
    assert '"minimums":{"ceiling_ft":3000}' in document
