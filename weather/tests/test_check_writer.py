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
    def refused(rows):
        raise RuntimeError("the database refused the checks")

    monkeypatch.setattr(services, "_insert_checks", refused)
    with pytest.raises(RuntimeError, match="refused the checks"):
        jobs.run_monitor(now=now)
    assert batches[0][0] == "weather-checks"
    assert WeatherCheck.objects.count() == 0
    assert set(Booking.objects.values_list("weather_status", flat=True)) == {"unknown"}
    assert connection.allow_thread_sharing is False
