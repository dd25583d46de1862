"""The monitor end to end: fake providers on loopback, real bookings, rescheduling and notifications."""

from datetime import timedelta

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from bookings.tests.factories import AirportFactory, BookingFactory
from notifications.models import Notification
from rescheduling.models import RescheduleRequest
from weather.jobs import MONITOR_LOCK_KEY, run_monitor
from weather.judging import route_points
from weather.models import ForecastSeries, ProviderCall, WeatherCheck
from weather.selectors import latest_check, provider_stats, window_verdicts
from weather.services import _INSERT_CHECKS_SQL

_INSERTED_COLUMNS = [c.strip() for c in _INSERT_CHECKS_SQL.split("(", 1)[1].split(")", 1)[0].split(",")]


def in_window(flight):
    start = (flight.start - timedelta(minutes=30)).replace(minute=0)
    return lambda hour: start <= hour < flight.end


def storm_over(flight):
    inside = in_window(flight)
    return lambda lat, lon, hour: {"visibility": 2000, "weather": [{"id": 211, "main": "Thunderstorm",
                                                                     "description": "thunderstorm", "icon": "11d"}]} \
        if inside(hour) else None


def footprint():
    return (Notification.objects.count(), AuditEvent.objects.count(), WeatherCheck.objects.count(),
            RescheduleRequest.objects.count())


def test_clear_weather_is_ok_and_recorded_on_the_booking(weather, flight, now):
    summary = run_monitor(now=now)
    assert summary["bookings"] == 1 and summary["ok"] == 1 and summary["provider_success_rate"] == 1.0
    flight.refresh_from_db()
    assert flight.weather_status == "ok" and flight.status == "scheduled"
    check = latest_check(booking=flight)
    assert check.status == "ok" and check.minimums["training_level"] == "private_pilot"
    assert {p["hour"][11:16] for p in check.points} == {"17:00", "18:00", "19:00"}
    assert [p["name"] for p in check.providers if p["answered"]] == ["openweathermap", "weatherapi"]
    assert check.points[0]["category"] == "VFR"


def test_conflict_holds_the_booking_opens_options_and_notifies_once(weather, flight, now, owner, colleague):
    weather.owm = storm_over(flight)
    summary = run_monitor(now=now)
    assert summary["conflict"] == 1 and summary["held"] == 1
    flight.refresh_from_db()
    assert flight.status == "weather_hold" and flight.weather_status == "conflict"
    assert RescheduleRequest.objects.filter(booking=flight, status="pending").count() == 1
    notified = Notification.objects.filter(kind="weather_conflict", booking=flight)
    assert {n.recipient_id for n in notified} == {owner.pk, colleague.pk}
    check = latest_check(booking=flight)
    assert "thunderstorm (TS) at KPAO 18:00Z" in check.reasons
    assert "visibility 1.2 sm below 3 sm (private_pilot) at KPAO 17:00Z" in check.reasons

    before = footprint()
    again = run_monitor(now=now + timedelta(minutes=10))
    assert again["held"] == 0 and again["conflict"] == 1
    assert footprint() == before  # nothing new: no notification, no audit row, no check row, no request
    assert latest_check(booking=flight).checked_at == now + timedelta(minutes=10)


def test_a_hold_is_released_only_when_a_later_check_is_ok(weather, flight, now, owner):
    weather.owm = storm_over(flight)
    run_monitor(now=now)
    marginal_wind = in_window(flight)
    # 19 kt sustained: passes a private pilot's 20 kt, but within 10 %: still held.
    weather.owm = lambda lat, lon, hour: {"wind_speed": 9.8, "wind_gust": 10.0} if marginal_wind(hour) else None
    assert run_monitor(now=now + timedelta(minutes=10))["released"] == 0
    flight.refresh_from_db()
    assert flight.status == "weather_hold" and flight.weather_status == "marginal"

    weather.owm = None
    summary = run_monitor(now=now + timedelta(minutes=20))
    assert summary["released"] == 1
    flight.refresh_from_db()
    assert flight.status == "scheduled" and flight.weather_status == "ok"
    assert RescheduleRequest.objects.get(booking=flight).status == "superseded"
    assert Notification.objects.filter(kind="weather_cleared", booking=flight, recipient=owner).exists()
    before = footprint()
    run_monitor(now=now + timedelta(minutes=30))
    assert footprint() == before


def test_a_failing_provider_falls_over_to_the_next(weather, flight, now):
    weather.server.route("GET", "/data/3.0/onecall", lambda r: (500, {"cod": 500, "message": "Internal error"}))
    weather.wapi = lambda lat, lon, hour: {"vis_km": 4.7, "vis_miles": 3.0} if in_window(flight)(hour) else None
    summary = run_monitor(now=now)
    assert summary["conflict"] == 1
    check = latest_check(booking=flight)
    assert "visibility 2.9 sm below 3 sm (private_pilot) at KPAO 17:00Z" in check.reasons
    owm = next(p for p in check.providers if p["name"] == "openweathermap")
    assert owm["answered"] is False and "HTTP 500" in owm["error"]
    call = ProviderCall.objects.get(provider="openweathermap")
    assert (call.ok, call.retryable, call.attempts) == (False, True, 3)  # retried with backoff, then gave up
    stats = provider_stats(since=now - timedelta(minutes=1), until=now + timedelta(minutes=1))
    assert stats["requests"] == 2 and stats["successes"] == 1 and stats["success_rate"] == 0.5
    assert stats["by_provider"]["openweathermap"]["success_rate"] == 0.0


def test_with_no_provider_left_the_check_is_unknown_and_changes_nothing(weather, flight, now, settings, staff):
    settings.WEATHER_HTTP_TIMEOUT_SECONDS = 0.2
    weather.server.route("GET", "/data/3.0/onecall", lambda r: (200, {}), delay=0.5)
    weather.server.route("GET", "/v1/forecast.json", lambda r: (200, b"<html>Bad gateway</html>"))
    summary = run_monitor(now=now)
    assert summary["unknown"] == 1 and summary["provider_success_rate"] == 0.0
    flight.refresh_from_db()
    assert flight.status == "scheduled" and flight.weather_status == "unknown"
    check = latest_check(booking=flight)
    assert check.status == "unknown"
    assert "no forecast from any provider at KPAO 17:00Z" in check.reasons
    alerts = Notification.objects.filter(kind="weather_unknown", booking=flight)
    assert alerts.filter(recipient=staff).exists()
    count = alerts.count()
    run_monitor(now=now + timedelta(minutes=10))
    assert alerts.count() == count  # once per booking per day


def test_each_location_is_asked_once_per_provider_per_run(weather, flight, now, kpao):
    for hours in (6, 9, 12):
        BookingFactory(departure_airport=kpao, start=now + timedelta(hours=hours),
                       end=now + timedelta(hours=hours + 1))
    run_monitor(now=now)
    assert weather.server.count("GET", "/data/3.0/onecall") == 1
    assert weather.server.count("GET", "/v1/forecast.json") == 1


def test_a_cross_country_flight_asks_about_its_corridor(weather, flight, now, owner):
    ksba = AirportFactory(icao="KSBA", name="Santa Barbara Municipal", latitude=34.426201, longitude=-119.840401,
                          runway_headings=[70, 250, 150, 330])
    trip = BookingFactory(student=owner, instructor=None, lesson_type="solo",
                          departure_airport=flight.departure_airport, destination_airport=ksba,
                          start=now + timedelta(hours=24), end=now + timedelta(hours=27))
    corridor_hour = (trip.start - timedelta(minutes=30)).replace(minute=0) + timedelta(hours=1)
    hundred_nm = next(p for p in route_points(flight.departure_airport, ksba) if p.along_nm == 100).location
    # Only the point 100 nm down the route has low cloud; both airports stay clear.
    weather.wapi = lambda lat, lon, hour: {"cloud": 100, "temp_c": 12.0, "dewpoint_c": 10.5} \
        if hour == corridor_hour and (lat, lon) == (hundred_nm.latitude, hundred_nm.longitude) else None
    run_monitor(now=now)
    check = latest_check(booking=trip)
    assert check.status == "conflict"
    # A solo lesson: the private pilot's 1000 ft plus the solo margin of 500 ft.
    assert check.reasons == [f"ceiling (estimated) 600 ft below 1500 ft (private_pilot solo) at "
                             f"{hundred_nm.latitude:.1f}N {-hundred_nm.longitude:.1f}W (100 nm from KPAO) "
                             f"{corridor_hour:%H:%M}Z"]
    roles = {p["role"] for p in check.points}
    assert roles == {"departure", "corridor", "destination"}


def test_dry_run_judges_without_changing_anything(weather, flight, now):
    weather.owm = storm_over(flight)
    summary = run_monitor(now=now, dry_run=True)
    assert summary["conflict"] == 1 and summary["verdicts"][0]["status"] == "conflict"
    flight.refresh_from_db()
    assert flight.status == "scheduled" and flight.weather_status == "unknown"
    assert footprint() == (0, 0, 0, 0)
    assert ForecastSeries.objects.count() == 0 and ProviderCall.objects.count() == 0


@pytest.mark.postgres
def test_a_second_run_while_one_holds_the_lock_does_nothing(weather, flight, now):
    params = connection.get_connection_params()
    other = psycopg.connect(**{k: v for k, v in params.items() if k in ("host", "port", "user", "password", "dbname")},
                            autocommit=True)
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [MONITOR_LOCK_KEY])
        assert run_monitor(now=now) == {"skipped": True, "reason": "another weather monitor run is in progress"}
        assert WeatherCheck.objects.count() == 0
        # Released explicitly: a closed connection's backend may hold the lock a moment longer.
        other.execute("SELECT pg_advisory_unlock(%s)", [MONITOR_LOCK_KEY])
    finally:
        other.close()
    assert run_monitor(now=now)["bookings"] == 1


def test_window_verdicts_judge_candidate_slots_from_stored_forecasts(weather, flight, now, django_assert_num_queries):
    late = now + timedelta(hours=20)
    weather.owm = lambda lat, lon, hour: {"visibility": 1500} if late <= hour < late + timedelta(hours=2) else None
    run_monitor(now=now)
    requests_before = len(weather.server.requests)
    kpao = flight.departure_airport
    windows = [(now + timedelta(hours=h), now + timedelta(hours=h + 2)) for h in range(4, 44, 2)]
    with django_assert_num_queries(2):
        verdicts = window_verdicts(departure=kpao, destination=kpao, training_level="private_pilot",
                                   windows=windows, now=now)
    assert len(verdicts) == len(windows)
    assert len(weather.server.requests) == requests_before  # no HTTP
    by_start = {w[0]: v for w, v in zip(windows, verdicts, strict=True)}
    assert by_start[now + timedelta(hours=4)].status == "ok"
    assert by_start[late].status == "conflict"
    assert by_start[late].reasons[0].startswith("visibility 0.9 sm below 3 sm (private_pilot) at KPAO")
    beyond = window_verdicts(departure=kpao, destination=kpao, training_level="student_pilot",
                             windows=[(now + timedelta(days=4), now + timedelta(days=4, hours=2))], now=now)
    assert beyond[0].status == "unknown" and beyond[0].forecast_known is False


def test_the_command_prints_a_one_line_summary(weather, flight, now, capsys):
    call_command("run_weather_monitor", "--hours", "12", "--dry-run")
    out = capsys.readouterr().out
    assert f"booking {flight.pk}: ok" in out
    assert out.strip().splitlines()[-1].startswith("Dry run: 1 bookings at 1 locations")


def _monitor_queries(now) -> int:
    with CaptureQueriesContext(connection) as queries:
        run_monitor(now=now)
    return len(queries)


def _add_flights(kpao, now, count, first_hour=6):
    for k in range(count):
        BookingFactory(departure_airport=kpao, destination_airport=kpao, start=now + timedelta(hours=first_hour + k),
                       end=now + timedelta(hours=first_hour + k + 1))


def test_database_statements_do_not_grow_with_the_number_of_bookings(weather, flight, now, kpao,
                                                                      django_assert_max_num_queries):
    """First sight writes every verdict change in set-based statements, a repeat run only moves checked_at:
    the same number of statements for 1 booking as for 25."""
    one_first, one_again = _monitor_queries(now), _monitor_queries(now + timedelta(minutes=10))
    WeatherCheck.objects.all().delete()
    _add_flights(kpao, now, 24)
    type(flight).objects.update(weather_status="unknown")
    with django_assert_max_num_queries(one_first):
        summary = run_monitor(now=now + timedelta(minutes=20))
    assert summary["bookings"] == 25 and summary["ok"] == 25 and summary["verdicts_changed"] == 25
    with django_assert_max_num_queries(one_again):
        assert run_monitor(now=now + timedelta(minutes=30))["verdicts_changed"] == 0
    assert one_again < one_first <= 22  # the bookings, their people and their aircraft: three reads
    changed = AuditEvent.objects.filter(action="booking.weather_changed")
    assert changed.count() == 26  # the first flight twice (unknown -> ok, reset, ok again), every other once
    assert {(e.before["weather_status"], e.after["weather_status"]) for e in changed} == {("unknown", "ok")}
    assert set(type(flight).objects.values_list("weather_status", flat=True)) == {"ok"}


def test_conflicts_among_many_bookings_still_hold_only_their_own(weather, flight, now, kpao, owner):
    _add_flights(kpao, now, 6, first_hour=8)
    weather.owm = storm_over(flight)
    summary = run_monitor(now=now)
    assert summary["conflict"] == 1 and summary["held"] == 1 and summary["ok"] == 6
    flight.refresh_from_db()
    assert flight.status == "weather_hold" and flight.weather_status == "conflict"
    others = type(flight).objects.exclude(pk=flight.pk)
    assert set(others.values_list("status", "weather_status")) == {("scheduled", "ok")}
    assert RescheduleRequest.objects.filter(booking=flight).count() == 1
    assert RescheduleRequest.objects.count() == 1


def test_checks_inserted_in_bulk_read_back_like_any_other(weather, flight, now):
    run_monitor(now=now)
    check = latest_check(booking=flight)
    stored = WeatherCheck.objects.get(pk=check.pk)
    assert stored.window_start == flight.start - timedelta(minutes=30) and stored.window_end == flight.end
    assert stored.created_at == stored.checked_at == now and stored.run_id.startswith("weather-monitor-")
    assert stored.minimums["training_level"] == "private_pilot" and stored.points and stored.agreement
    assert {f.column for f in WeatherCheck._meta.concrete_fields} - {"id"} == set(_INSERTED_COLUMNS)
