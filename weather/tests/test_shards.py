"""The monitor fanned out in shards of departure airports: planned, dispatched (inline, Celery, Lambda through
Zappa's command event), each swept once, a failed one retried without repeating what finished."""

import json
from datetime import timedelta

import pytest
from django.db import connection

from accounts.tests.factories import StudentFactory
from bookings.models import Booking
from bookings.selectors import flight_routes
from bookings.tests.factories import AircraftFactory, AirportFactory, BookingFactory
from tests.http_fake import FakeHTTPServer
from weather import jobs, shards
from weather.models import MonitorShard, WeatherCheck

pytestmark = pytest.mark.django_db


@pytest.fixture
def school_of_five(weather, now, settings):
    """Five airports, two solo flights from each, the first airport's under low cloud; shards of two airports."""
    settings.WEATHER_SHARD_AIRPORTS = 2
    settings.WEATHER_SHARD_MAX_BOOKINGS = 1000
    airports = [AirportFactory(icao=f"KX{chr(65 + i)}{chr(65 + i)}", latitude=37.0 + i, longitude=-120.0 - i)
                for i in range(5)]
    bookings = []
    for airport in airports:
        for k in range(2):
            start = now + timedelta(hours=3 + 3 * k)
            bookings.append(BookingFactory(student=StudentFactory(training_level="private_pilot"), instructor=None,
                                           lesson_type="solo", aircraft=AircraftFactory(home_airport=airport),
                                           departure_airport=airport, start=start, end=start + timedelta(hours=2)))
    low = airports[0]
    storm = {"visibility": 2000, "weather": [{"id": 211, "main": "Thunderstorm", "description": "thunderstorm",
                                              "icon": "11d"}]}
    weather.owm = lambda lat, lon, hour: (
        storm if abs(lat - low.latitude) < 0.05 and abs(lon - low.longitude) < 0.05 else None)
    return type("School", (), {"airports": airports, "bookings": bookings, "low": low})


def test_shards_are_consecutive_airports_within_both_limits(school_of_five, now, settings):
    ids = [a.pk for a in school_of_five.airports]

    def plan():
        return shards.shard_airports(flight_routes(jobs.upcoming_bookings(now=now, hours=48)))

    assert plan() == [ids[0:2], ids[2:4], ids[4:5]]
    settings.WEATHER_SHARD_AIRPORTS, settings.WEATHER_SHARD_MAX_BOOKINGS = 25, 3
    assert plan() == [[i] for i in ids]
    settings.WEATHER_SHARD_AIRPORTS = 0
    assert plan() == [ids]


def test_a_fanned_out_run_acts_as_one_run_would(school_of_five, now, settings):
    summary = jobs.run_monitor(now=now)
    assert (summary["sharded"], summary["dispatch"], summary["shards"], summary["dispatched"]) == (
        True, "inline", 3, 3)
    assert summary["bookings"] == 10 and summary["held"] == 2 and summary["conflict"] == 2
    assert [s["bookings"] for s in summary["shard_summaries"]] == [4, 4, 2]
    assert all(s["cpu_seconds"] >= 0 and s["wall_seconds"] > 0 for s in summary["shard_summaries"])
    assert set(MonitorShard.objects.values_list("status", flat=True)) == {"done"}
    held = {b.departure_airport_id for b in school_of_five.bookings
            if b.__class__.objects.get(pk=b.pk).status == "weather_hold"}
    assert held == {school_of_five.low.pk}
    # The same run as one piece gives the same verdicts and holds nothing twice.
    settings.WEATHER_SHARD_AIRPORTS = 0
    again = jobs.run_monitor(now=now)
    assert "sharded" not in again and again["held"] == 0 and again["conflict"] == 2


def test_a_failed_shard_is_retried_and_a_finished_one_is_not_run_again(school_of_five, now, monkeypatch):
    real_sweep = shards.sweep
    calls = []

    def flaky(bookings, **kwargs):
        calls.append(len(bookings))
        if len(calls) == 2:
            raise ConnectionError("database went away")
        return real_sweep(bookings, **kwargs)

    monkeypatch.setattr(shards, "sweep", flaky)
    summary = jobs.run_monitor(now=now)
    # The second shard failed, the third went on, and the failed one was tried again at the end.
    assert calls == [4, 4, 2, 4] and summary["shard_failures"] == 0 and summary["bookings"] == 10
    rows = {row.index: row for row in MonitorShard.objects.all()}
    assert {i: (r.status, r.attempts) for i, r in rows.items()} == {0: ("done", 1), 1: ("done", 2), 2: ("done", 1)}
    # Lambda's or Celery's retry of a shard that finished does nothing.
    again = shards.run_shard(run_id=rows[0].run_id, index=0, now=now)
    assert again["skipped"] is True and len(calls) == 4


def test_a_shard_failing_twice_is_left_failed_with_its_reason(school_of_five, now, monkeypatch):
    def broken(bookings, **kwargs):
        raise ConnectionError("database went away")

    monkeypatch.setattr(shards, "sweep", broken)
    summary = jobs.run_monitor(now=now)
    assert summary["shard_failures"] == 3 and summary["bookings"] == 0
    assert all(r.status == "failed" and "database went away" in r.error and r.attempts == 2
               for r in MonitorShard.objects.all())


def test_a_retry_after_the_verdicts_were_stored_acts_without_fetching_again(school_of_five, now, monkeypatch):
    real_announce = jobs.announce_verdicts
    failing = {"left": 1}

    def announce_once_broken(*args, **kwargs):
        if failing["left"]:
            failing["left"] -= 1
            raise RuntimeError("solver crashed")
        return real_announce(*args, **kwargs)

    monkeypatch.setattr(jobs, "announce_verdicts", announce_once_broken)
    monkeypatch.setattr(shards, "announce_verdicts", announce_once_broken)
    fetched = []
    real_sweep = shards.sweep
    monkeypatch.setattr(shards, "sweep", lambda bookings, **kw: fetched.append(len(bookings)) or real_sweep(
        bookings, **kw))
    summary = jobs.run_monitor(now=now)
    first = MonitorShard.objects.get(index=0)
    assert (first.status, first.attempts) == ("done", 2) and first.verdicts_stored_at is not None
    # Shard 0 fetched once: its retry acted on the verdicts it had stored.
    assert fetched == [4, 4, 2] and summary["held"] == 2
    assert first.summary["resumed"] is True and first.summary["held"] == 2
    assert WeatherCheck.objects.count() == 10


def test_celery_dispatch_needs_a_broker(school_of_five, now, settings):
    # With one, each shard is a task for a worker: config/tests/test_deploy_celery.py runs them on a real one.
    settings.WEATHER_SHARD_DISPATCH = "celery"
    with pytest.raises(ValueError, match="needs CELERY_BROKER_URL"):
        jobs.run_monitor(now=now)
    assert not MonitorShard.objects.exists()


class FakeContext:
    def __init__(self, seconds):
        self.seconds = seconds

    def get_remaining_time_in_millis(self):
        return int(self.seconds * 1000)


def _fake_lambda(monkeypatch, aws):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fsp-test")
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", aws.url)
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)


def _through_zappa(event, context):
    """What Zappa's handler does with a command event: import the function it names, call it with the event."""
    from zappa.handler import LambdaHandler

    return LambdaHandler.run_function(LambdaHandler.import_module_and_get_function(event["command"]), event, context)


def test_on_lambda_shards_and_then_each_reaction_are_asynchronous_invocations_zappa_routes_back(
        school_of_five, now, monkeypatch):
    with FakeHTTPServer() as aws:
        aws.route("POST", "/2015-03-31/functions/fsp-test/invocations", lambda request: (202, b""))
        _fake_lambda(monkeypatch, aws)

        def sent(command):
            return [json.loads(r.body) for r in aws.requests
                    if r.path.endswith("/invocations") and json.loads(r.body)["command"] == command]

        summary = jobs.run_monitor(now=now)
        assert all(r.headers["x-amz-invocation-type"] == "Event" for r in aws.requests)
        shard_events = sent("weather.shards.shard_event")
        assert (summary["dispatch"], summary["dispatched"]) == ("lambda", 3)
        assert [e["index"] for e in shard_events] == [0, 1, 2]
        assert set(MonitorShard.objects.values_list("status", flat=True)) == {"pending"}
        # Zappa's handler runs each shard with its invocation's context; the shard stores its verdicts and hands
        # each booking that needs a reaction to an invocation of its own.
        answers = [_through_zappa(event, FakeContext(25)) for event in shard_events]
        assert [a["bookings"] for a in answers] == [4, 4, 2]
        assert sum(a["handed_off"] for a in answers) == 2 and sum(a["held"] for a in answers) == 0
        assert set(MonitorShard.objects.values_list("status", flat=True)) == {"done"}
        outcome_events = sent("weather.shards.outcome_event")
        low = {b.pk for b in school_of_five.bookings if b.departure_airport_id == school_of_five.low.pk}
        assert {e["booking_id"] for e in outcome_events} == low
        assert [_through_zappa(event, FakeContext(25)) for event in outcome_events] == ["held", "held"]
        assert set(Booking.objects.filter(pk__in=low).values_list("status", flat=True)) == {"weather_hold"}
        # Lambda's own retries of invocations that already finished do nothing.
        assert _through_zappa(outcome_events[0], FakeContext(25)) == "nothing to do"
        assert shards.shard_event(shard_events[0], FakeContext(25))["skipped"] is True


def test_a_shard_lambda_refuses_stays_pending_and_the_run_goes_on(school_of_five, now, monkeypatch):
    with FakeHTTPServer() as aws:
        aws.route("POST", "/2015-03-31/functions/fsp-test/invocations",
                  lambda request: (429, {"Type": "User", "message": "Rate exceeded"},
                                   {"x-amzn-ErrorType": "TooManyRequestsException"}))
        _fake_lambda(monkeypatch, aws)
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
        summary = jobs.run_monitor(now=now)
    assert (summary["dispatched"], summary["dispatch_failures"]) == (0, 3)
    assert all("dispatch:" in row.error for row in MonitorShard.objects.all())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_shard_whose_airports_another_run_is_sweeping_is_left_to_it(school_of_five, now):
    import psycopg
    from django.conf import settings as django_settings

    MonitorShard.objects.create(run_id="r1", index=0, airport_ids=[school_of_five.airports[0].pk],
                                window_start=now, window_end=now + timedelta(hours=48), created_at=now)
    database = django_settings.DATABASES["default"]
    other = psycopg.connect(host=database["HOST"] or "127.0.0.1", port=database["PORT"] or 5432,
                            user=database["USER"], dbname=connection.settings_dict["NAME"], autocommit=True)
    try:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [shards.SHARD_LOCK_NAMESPACE, school_of_five.airports[0].pk])
        answer = shards.run_shard(run_id="r1", index=0, now=now)
    finally:
        other.close()
    assert answer["skipped"] is True and "another run" in answer["reason"]
    assert not WeatherCheck.objects.exists()


@pytest.mark.parametrize("event, refusal", [
    ({"command": "weather.shards.shard_event", "index": 0}, "run_id missing"),
    ({"command": "weather.shards.shard_event", "run_id": "r", "index": "first"}, "index unreadable ('first')"),
    ({"command": "weather.shards.shard_event", "run_id": "r", "index": True}, "index unreadable (True)"),
])
def test_a_malformed_shard_event_is_refused_once_without_touching_anything(event, refusal, caplog):
    answer = _through_zappa(event, FakeContext(25))
    assert answer == {"refused": refusal}
    assert not MonitorShard.objects.exists()
    assert f"weather shard event refused: {refusal}" in caplog.text


@pytest.mark.parametrize("event, refusal", [
    ({"command": "weather.shards.outcome_event"}, "booking_id missing, check_id missing"),
    ({"command": "weather.shards.outcome_event", "booking_id": [1], "check_id": "7"}, "booking_id unreadable ([1])"),
])
def test_a_malformed_outcome_event_is_refused_once_without_touching_anything(event, refusal, caplog, flight):
    assert _through_zappa(event, FakeContext(25)) == f"refused: {refusal}"
    flight.refresh_from_db()
    assert flight.status == "scheduled" and not WeatherCheck.objects.exists()
    assert f"weather outcome event refused: {refusal}" in caplog.text


def test_each_shard_reports_the_monitors_figures_the_provider_alarm_watches(school_of_five, now, capsys):
    jobs.run_monitor(now=now)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    figures = [line for line in lines if line.get("Job") == "weather-monitor" and "WeatherBookingsChecked" in line]
    assert [line["WeatherBookingsChecked"] for line in figures] == [4, 4, 2]
    assert sum(line["WeatherConflicts"] for line in figures) == 2
    assert all(line["WeatherProviderSuccessRate"] == 100.0 for line in figures)
