"""The monitor's steps, each on its own: what it reads, what it returns, what it leaves for the next step."""

import gc
import queue
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

import pytest

from bookings.selectors import bookings_with_parties, flight_routes
from bookings.tests.factories import AirportFactory, BookingFactory
from weather import jobs
from weather.fetching import Collected, collect_forecasts
from weather.judging import CONFLICT, OK, UNKNOWN
from weather.models import WeatherCheck
from weather.providers import configured_providers
from weather.selectors import minimums_by_level
from weather.services import CheckWriter, check_fingerprint
from weather.signals import verdict_committed
from weather.tests.test_monitor import storm_over

pytestmark = pytest.mark.django_db


def test_upcoming_bookings_take_the_lookahead_and_an_operators_choice(flight, now):
    assert [b.pk for b in jobs.upcoming_bookings(now=now, hours=48)] == [flight.pk]
    assert list(jobs.upcoming_bookings(now=now, hours=48, booking_ids=[])) == []
    assert list(jobs.upcoming_bookings(now=now + timedelta(days=30), hours=1)) == []


def _pairs(*flights):
    return [(f.departure_airport, f.destination_airport) for f in flights]


def test_plan_routes_asks_about_each_location_once(flight, now, kpao):
    twin = BookingFactory(student=flight.student, departure_airport=kpao, destination_airport=kpao,
                          start=flight.start + timedelta(hours=4), end=flight.end + timedelta(hours=4))
    routes, locations = jobs.plan_routes(_pairs(flight, twin))
    assert list(routes) == [(kpao.pk, kpao.pk)]
    assert len(locations) == len({p.location.key for p in routes[(kpao.pk, kpao.pk)]})


def test_the_routes_are_the_bookings_distinct_airports_read_in_one_statement(flight, now, kpao,
                                                                             django_assert_num_queries):
    far = AirportFactory(icao="KSAC", latitude=38.51, longitude=-121.49, runway_headings=[20, 200])
    for hours in (4, 8):
        BookingFactory(student=flight.student, departure_airport=kpao, destination_airport=far,
                       start=flight.start + timedelta(hours=hours), end=flight.end + timedelta(hours=hours))
    with django_assert_num_queries(1):
        routes = flight_routes(jobs.upcoming_bookings(now=now, hours=48))
    assert [(d.icao, a.icao, n) for d, a, n in routes] == [("KPAO", "KPAO", 1), ("KPAO", "KSAC", 2)]
    assert routes[0][0] is routes[0][1] is routes[1][0]  # one object per airport
    assert routes[1][1].runway_headings == [20, 200] and routes[1][1].latitude == 38.51
    assert routes[1][1].time_zone == far.time_zone and routes[1][1].pk == far.pk
    assert list(jobs.plan_routes((d, a) for d, a, _n in routes)[0]) == [(kpao.pk, kpao.pk), (kpao.pk, far.pk)]


def test_the_bookings_are_read_with_each_party_built_once(flight, now, kpao, django_assert_num_queries):
    """What the sweep judges: the same bookings and parties a join gives, each student, instructor, aircraft and
    airport one object for all its bookings, in one statement for the bookings and one per kind of party."""
    far = AirportFactory(icao="KSAC", latitude=38.51, longitude=-121.49)
    BookingFactory(student=flight.student, instructor=None, lesson_type="solo", aircraft=flight.aircraft,
                   departure_airport=kpao, destination_airport=far, start=flight.start + timedelta(hours=4),
                   end=flight.end + timedelta(hours=4))
    joined = list(jobs.upcoming_bookings(now=now, hours=48))
    with django_assert_num_queries(4):  # the bookings, their people, their aircraft, their airports
        read = bookings_with_parties(jobs.upcoming_bookings(now=now, hours=48))
    with django_assert_num_queries(0):
        parties = [(b.pk, b.student.email, b.instructor and b.instructor.email, b.aircraft.tail_number,
                    b.departure_airport.icao, b.destination_airport.icao) for b in read]
    assert parties == [(b.pk, b.student.email, b.instructor and b.instructor.email, b.aircraft.tail_number,
                        b.departure_airport.icao, b.destination_airport.icao) for b in joined]
    assert read[0].student is read[1].student and read[0].aircraft is read[1].aircraft
    assert read[1].instructor is None and read[0].departure_airport is read[1].departure_airport
    routes = flight_routes(jobs.upcoming_bookings(now=now, hours=48))
    airports = {airport.pk: airport for departure, destination, _n in routes for airport in (departure, destination)}
    with django_assert_num_queries(3):  # the routes' airports are the caller's
        again = bookings_with_parties(jobs.upcoming_bookings(now=now, hours=48), airports=airports)
    assert again[1].destination_airport is airports[far.pk]
    with django_assert_num_queries(1):
        assert bookings_with_parties(jobs.upcoming_bookings(now=now + timedelta(days=30), hours=1)) == []


def test_plan_routes_of_a_cross_country_flight_include_the_corridor(flight, kpao):
    far = AirportFactory(icao="KSAC", latitude=38.51, longitude=-121.49)
    flight.destination_airport = far
    routes, locations = jobs.plan_routes(_pairs(flight))
    assert len(routes[(kpao.pk, far.pk)]) > 2 and len(locations) > 2


def test_summarise_counts_verdicts_and_provider_answers(flight):
    judged = [type("J", (), {"judgement": type("W", (), {"status": status})()})() for status in (OK, CONFLICT, OK)]
    summary = jobs.summarise(run_id="r", dry_run=False, bookings=[flight], locations={"a": 1},
                             calls=[{"ok": True}, {"ok": False}], judged=judged)
    assert summary["ok"] == 2 and summary["conflict"] == 1 and summary["unknown"] == 0
    assert summary["provider_success_rate"] == 0.5 and summary["held"] == 0


def test_announce_verdicts_sends_only_what_calls_for_a_reaction_and_counts_answers(flight, now):
    flight.weather_status = OK
    quiet = WeatherCheck(booking=flight, status=OK)
    sent = []

    def receiver(sender, *, booking, check, now, **kwargs):
        sent.append(booking.pk)
        return "held"

    verdict_committed.connect(receiver, dispatch_uid="test.receiver")
    try:
        assert jobs.announce_verdicts([flight], checks={flight.pk: quiet}, now=now,
                                      deadline=time.monotonic() + 60)["held"] == 0
        assert sent == []
        loud = WeatherCheck(booking=flight, status=UNKNOWN)
        late = jobs.announce_verdicts([flight], checks={flight.pk: loud}, now=now, deadline=time.monotonic() - 1)
        assert late["deferred"] == 1 and sent == []
    finally:
        verdict_committed.disconnect(dispatch_uid="test.receiver")


def _judge_while_fetching(flights, now, progress=None):
    """The sweep's own fetch and judging: the fetch on a thread, each route judged as its answers arrive."""
    routes, locations = jobs.plan_routes(_pairs(*flights))
    collected, answered = Collected(), queue.SimpleQueue()
    with ThreadPoolExecutor(max_workers=1) as fetcher:
        fetching = fetcher.submit(collect_forecasts, list(locations.values()), configured_providers(), now=now,
                                  into=collected, on_location=answered.put)
        judged = jobs.judge_as_answered(flights, routes=routes, collected=collected, providers=configured_providers(),
                                        table=minimums_by_level(), answered=answered, fetching=fetching,
                                        progress=progress)
    return routes, collected, judged


def _judged(flight, now):
    _routes, collected, judged = _judge_while_fetching([flight], now)
    return collected, judged


def test_each_window_is_judged_from_half_an_hour_before(weather, flight, now):
    progress = []
    _routes, _collected, judged = _judge_while_fetching([flight], now, progress=progress.append)
    assert [item.booking_id for item in judged] == [flight.pk]
    assert judged[0].window_start == flight.start - timedelta(minutes=30) and judged[0].window_end == flight.end
    assert judged[0].judgement.status == OK and judged[0].training_level == flight.student.training_level
    assert progress == [1]
    assert WeatherCheck.objects.count() == 0  # judging writes nothing


def _writer(judged, *, now, run_id) -> CheckWriter:
    writer = CheckWriter(booking_ids=[c.booking_id for c in judged], now=now, run_id=run_id)
    for check in judged:
        writer.add(check)
    return writer


def test_store_verdicts_commits_one_check_and_the_bookings_verdict(weather, flight, now):
    collected, judged = _judged(flight, now)
    current, changed = jobs.store_verdicts(collected=collected, writer=_writer(judged, now=now, run_id="r"),
                                           bookings=[flight], run_id="r", now=now)
    assert changed == 1 and current[flight.pk].status == OK
    flight.refresh_from_db()
    assert flight.weather_status == OK and WeatherCheck.objects.filter(booking=flight).count() == 1
    again, changed = jobs.store_verdicts(collected=collected, writer=_writer(judged, now=now, run_id="r2"),
                                         bookings=[flight], run_id="r2", now=now)
    assert changed == 0 and WeatherCheck.objects.filter(booking=flight).count() == 1


def _cross_country_flights(flight, kpao):
    """The flight, a second local one, and two cross-country flights with corridor points, on three routes."""
    far = AirportFactory(icao="KSAC", latitude=38.51, longitude=-121.49)
    others = [BookingFactory(departure_airport=kpao, destination_airport=dest,
                             start=flight.start + timedelta(hours=hours), end=flight.end + timedelta(hours=hours))
              for dest, hours in ((kpao, 3), (far, 6), (far, 9))]
    return [flight, *others]


def test_each_location_is_reported_once_when_its_answers_are_complete(weather, flight, now, kpao, settings):
    """Answers arrive out of order (WeatherAPI late): each location is passed on once, when both providers have
    answered for it, with what it will finally hold; the call records stay in provider order."""
    weather.server.route("GET", "/v1/forecast.json", weather._wapi, delay=0.05)
    settings.WEATHER_MAX_CONCURRENT_REQUESTS = 3
    flights = _cross_country_flights(flight, kpao)
    routes, locations = jobs.plan_routes(_pairs(*flights))
    providers = configured_providers()
    collected, seen = Collected(), {}

    def reported(key):
        assert key not in seen
        seen[key] = ({h: list(v) for (k, h), v in collected.samples.items() if k == key},
                     {p.name: key in collected.answers.get(p.name, {}) for p in providers})

    result = collect_forecasts(list(locations.values()), providers, now=now, into=collected, on_location=reported)
    assert result is collected and set(seen) == set(locations) and len(locations) > 3
    for key, (samples, answered) in seen.items():
        assert samples == {h: v for (k, h), v in collected.samples.items() if k == key}
        assert answered == {"openweathermap": True, "weatherapi": True}
        both = [[s.provider for s in hour] for hour in samples.values() if len(hour) == 2]
        assert both and all(order == ["openweathermap", "weatherapi"] for order in both)
    assert [c["provider"] for c in collected.calls] == (["openweathermap"] * len(locations)
                                                        + ["weatherapi"] * len(locations))
    alone = collect_forecasts(list(locations.values()), providers, now=now)
    assert {k: [(s.provider, s.valid_at) for s in v] for k, v in alone.samples.items()} == \
        {k: [(s.provider, s.valid_at) for s in v] for k, v in collected.samples.items()}
    assert {p: list(keys) for p, keys in alone.answers.items()} == \
        {p: list(keys) for p, keys in collected.answers.items()}


def test_judging_while_fetching_gives_the_checks_judging_afterwards_gives(weather, flight, now, kpao):
    weather.owm = storm_over(flight)
    flights = _cross_country_flights(flight, kpao)
    progress = []
    routes, collected, streamed = _judge_while_fetching(flights, now, progress=progress.append)
    judge = jobs.BookingJudge(routes=routes, collected=collected, providers=configured_providers(),
                              table=minimums_by_level())
    afterwards = [judge(booking) for booking in flights]
    assert [c.booking_id for c in streamed] == [f.pk for f in flights] and sum(progress) == len(flights)
    assert [(c.judgement.status, c.judgement.reasons, c.judgement.points, c.providers) for c in streamed] == \
        [(c.judgement.status, c.judgement.reasons, c.judgement.points, c.providers) for c in afterwards]
    assert streamed[0].judgement.status == CONFLICT and streamed[1].judgement.status == OK
    # Worked out while judging, each fingerprint is the one checks_record would work out from the check alone.
    assert [c.fingerprint for c in streamed] == [
        check_fingerprint(judgement=c.judgement, minimums=c.minimums, providers=c.providers) for c in afterwards]


def test_a_failed_fetch_fails_judging_while_fetching(weather, flight, now, kpao):

    routes, locations = jobs.plan_routes(_pairs(flight))
    broken = Future()
    broken.set_exception(RuntimeError("fetch thread died"))
    with pytest.raises(RuntimeError, match="fetch thread died"):
        jobs.judge_as_answered([flight], routes=routes, collected=Collected(), providers=configured_providers(),
                               table=minimums_by_level(), answered=queue.SimpleQueue(), fetching=broken)


def test_the_collector_is_paused_for_the_sweep_and_started_again(weather, flight, now, monkeypatch):
    real, seen = jobs.judge_as_answered, []

    def watched(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    real_announce, acting = jobs.announce_verdicts, []

    def watched_announce(*args, **kwargs):
        acting.append((gc.isenabled(), gc.get_freeze_count() > 0))
        return real_announce(*args, **kwargs)

    monkeypatch.setattr(jobs, "judge_as_answered", watched)
    monkeypatch.setattr(jobs, "announce_verdicts", watched_announce)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert jobs.run_monitor(now=now)["bookings"] == 1
    assert seen == [False] and gc.isenabled()
    # Acting on the verdicts, the collector runs again with what the sweep built frozen; unfrozen after.
    assert acting == [(True, True)] and gc.get_freeze_count() == 0

    def broken(*args, **kwargs):
        raise RuntimeError("judging failed")

    monkeypatch.setattr(jobs, "judge_as_answered", broken)
    with pytest.raises(RuntimeError, match="judging failed"):
        jobs.run_monitor(now=now)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        monkeypatch.setattr(jobs, "judge_as_answered", watched)
        jobs.run_monitor(now=now + timedelta(minutes=10))
        assert not gc.isenabled()  # off before the sweep, off after it
        assert acting[-1] == (False, False) and gc.get_freeze_count() == 0
    finally:
        gc.enable()


def test_objects_someone_else_froze_stay_frozen(weather, flight, now):
    """A process that froze its objects itself (a pre-forking server) keeps them frozen: the sweep then neither
    freezes nor unfreezes anything."""
    gc.freeze()
    frozen = gc.get_freeze_count()
    try:
        assert jobs.run_monitor(now=now)["bookings"] == 1
        # None unfrozen and none added (a few of the frozen objects are freed meanwhile, as any may be).
        assert gc.isenabled() and frozen - 100 < gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()
