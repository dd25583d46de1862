"""Fault drills for the weather monitor. Each ends with nothing lost and nothing done twice."""

import threading

import psycopg
import pytest
from django.db import connection
from django.db.utils import Error as DatabaseError

from bookings.models import Booking
from notifications.models import Notification
from rescheduling.models import RescheduleRequest
from tests.drills.conftest import fog
from weather import jobs
from weather.jobs import run_monitor
from weather.models import WeatherCheck


def outcome(booking) -> dict:
    booking.refresh_from_db()
    return {
        "status": booking.status,
        "checks": WeatherCheck.objects.filter(booking=booking).count(),
        "requests": RescheduleRequest.objects.filter(booking=booking).count(),
        "notifications": sorted(Notification.objects.filter(booking_id=booking.pk)
                                .values_list("recipient__email", "kind", "channel")),
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_dropped_mid_run_then_the_next_run_finishes_the_work(providers, flight, owner, colleague):
    """The monitor's database session is killed by the server while it is fetching forecasts."""
    fog(providers)
    pid = connection.cursor().connection.info.backend_pid
    dsn = connection.get_connection_params()
    killed = threading.Event()
    owm = providers._owm

    def kill_then_answer(request):
        if not killed.is_set():
            with psycopg.connect(dbname=dsn["dbname"], user=dsn.get("user"), host=dsn.get("host"),
                                 port=dsn.get("port"), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            killed.set()
        return owm(request)

    providers.server.route("GET", "/data/3.0/onecall", kill_then_answer)
    with pytest.raises(DatabaseError):
        run_monitor()
    assert killed.is_set()

    # Nothing half-done: no check, no hold, no request, no message.
    before = outcome(Booking.objects.get(pk=flight.pk))
    assert before == {"status": "scheduled", "checks": 0, "requests": 0, "notifications": []}

    # The next scheduled run, in the same warm process (a Lambda container is reused), finishes the work.
    summary = run_monitor()
    assert summary["conflict"] == 1 and summary["held"] == 1
    after = outcome(flight)
    assert after["status"] == "weather_hold"
    assert after["checks"] == 1 and after["requests"] == 1
    conflict_messages = [n for n in after["notifications"] if n[1] == "weather_conflict"]
    assert sorted(conflict_messages) == sorted([(owner.email, "weather_conflict", "email"),
                                                (owner.email, "weather_conflict", "in_app"),
                                                (colleague.email, "weather_conflict", "email"),
                                                (colleague.email, "weather_conflict", "in_app")])

    # And once more: nothing new.
    run_monitor()
    again = outcome(flight)
    assert again["requests"] == 1 and again["notifications"] == after["notifications"]


def _kill_own_session() -> None:
    dsn = connection.get_connection_params()
    pid = connection.connection.info.backend_pid
    with psycopg.connect(dbname=dsn["dbname"], user=dsn.get("user"), host=dsn.get("host"), port=dsn.get("port"),
                         autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_dropped_while_no_transaction_is_open_leaves_the_next_run_a_fresh_session(providers, flight,
                                                                                         monkeypatch):
    """Killed while the sweep reads its bookings (no transaction open, so nothing rolls back and closes it),
    the dead session is closed as the run fails, and the next run in the same process connects afresh."""
    fog(providers)
    real = jobs.bookings_with_parties

    def killed_first(*args, **kwargs):
        _kill_own_session()
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "bookings_with_parties", killed_first)
    with pytest.raises(DatabaseError):
        run_monitor()
    monkeypatch.setattr(jobs, "bookings_with_parties", real)
    assert outcome(Booking.objects.get(pk=flight.pk))["checks"] == 0
    run_monitor()
    after = outcome(flight)
    assert after["status"] == "weather_hold" and after["checks"] == 1 and after["requests"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_event_delivered_twice_at_once_acts_once(providers, flight, owner, colleague):
    """Two invocations of the scheduled function start together (a retried Zappa event, a doubled beat)."""
    fog(providers)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def invoke():
        try:
            barrier.wait(timeout=10)
            results.append(run_monitor({"source": "aws.events", "detail-type": "Scheduled Event"}, None))
        except Exception as exc:  # the assertion below shows it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=invoke) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(r.get("held", 0) for r in results) == 1
    state = outcome(flight)
    assert state["status"] == "weather_hold" and state["requests"] == 1
    assert len([n for n in state["notifications"] if n[1] == "weather_conflict"]) == 4  # 2 people x 2 channels


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_every_provider_down_changes_no_booking_and_tells_staff_once(providers, flight, staff):
    for path in ("/data/3.0/onecall", "/v1/forecast.json", "/api/data/metar", "/api/data/taf"):
        providers.server.route("GET", path, lambda request: (503, {"message": "Service Unavailable"}))
    first = run_monitor()
    second = run_monitor()
    assert first["unknown"] == second["unknown"] == 1
    assert first["provider_successes"] == 0
    state = outcome(flight)
    assert state["status"] == "scheduled" and state["requests"] == 0
    assert Booking.objects.get(pk=flight.pk).weather_status == "unknown"
    staff_alerts = Notification.objects.filter(recipient=staff, kind="weather_unknown")
    assert staff_alerts.filter(channel="in_app").count() == 1
    assert not Notification.objects.exclude(recipient=staff).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_claude_down_still_offers_rules_options_once(providers, claude_down, flight, owner):
    fog(providers)
    # Fair weather after tomorrow so the solver has somewhere to put the flight.
    cutoff = flight.end.timestamp() + 24 * 3600
    providers.owm = lambda lat, lon, hour: {"visibility": 1000, "clouds": 100} if hour.timestamp() < cutoff else {}
    providers.wapi = lambda lat, lon, hour: ({"vis_km": 1.0, "vis_miles": 0.0, "cloud": 100}
                                             if hour.timestamp() < cutoff else {})
    run_monitor()
    run_monitor()
    assert claude_down.count("POST", "/v1/messages") >= 1, "Claude was never asked"
    request = RescheduleRequest.objects.get(booking=flight)
    options = list(request.options.order_by("rank"))
    assert 1 <= len(options) <= 3
    assert {option.source for option in options} == {"rules"}
    assert all(option.rationale for option in options)
    ready = Notification.objects.filter(recipient=owner, kind="options_ready", channel="in_app")
    assert ready.count() == 1
    assert outcome(flight)["requests"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_booking_row_is_locked_while_claude_thinks(providers, claude_down, flight):
    """While Claude is asked, another session can take the booking's row at once: the hold is written after."""
    fog(providers)
    cutoff = flight.end.timestamp() + 24 * 3600
    providers.owm = lambda lat, lon, hour: {"visibility": 1000, "clouds": 100} if hour.timestamp() < cutoff else {}
    providers.wapi = lambda lat, lon, hour: ({"vis_km": 1.0, "vis_miles": 0.0, "cloud": 100}
                                             if hour.timestamp() < cutoff else {})
    dsn = connection.get_connection_params()
    seen = []

    def probe_then_fail(request):
        with psycopg.connect(dbname=dsn["dbname"], user=dsn.get("user"), host=dsn.get("host"),
                             port=dsn.get("port"), autocommit=True) as other:
            try:
                other.execute("SELECT id FROM bookings_booking WHERE id = %s FOR UPDATE NOWAIT", [flight.pk])
                seen.append("free")
            except psycopg.errors.LockNotAvailable:
                seen.append("locked")
        return 529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}

    claude_down.route("POST", "/v1/messages", probe_then_fail)
    summary = run_monitor()

    assert summary["held"] == 1
    assert seen and set(seen) == {"free"}
    assert outcome(flight)["status"] == "weather_hold" and outcome(flight)["requests"] == 1
