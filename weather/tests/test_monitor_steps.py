"""The monitor's steps, each on its own: what it reads, what it returns, what it leaves for the next step."""

import time
from datetime import timedelta

import pytest

from bookings.tests.factories import AirportFactory, BookingFactory
from weather import jobs
from weather.fetching import collect_forecasts
from weather.judging import CONFLICT, OK, UNKNOWN
from weather.models import WeatherCheck
from weather.providers import configured_providers
from weather.selectors import minimums_by_level
from weather.signals import verdict_committed

pytestmark = pytest.mark.django_db


def test_load_bookings_takes_the_lookahead_and_an_operators_choice(flight, now):
    assert [b.pk for b in jobs.load_bookings(now=now, hours=48)] == [flight.pk]
    assert jobs.load_bookings(now=now, hours=48, booking_ids=[]) == []
    assert jobs.load_bookings(now=now + timedelta(days=30), hours=1) == []


def test_plan_routes_asks_about_each_location_once(flight, now, kpao):
    twin = BookingFactory(student=flight.student, departure_airport=kpao, destination_airport=kpao,
                          start=flight.start + timedelta(hours=4), end=flight.end + timedelta(hours=4))
    routes, locations = jobs.plan_routes([flight, twin])
    assert list(routes) == [(kpao.pk, kpao.pk)]
    assert len(locations) == len({p.location.key for p in routes[(kpao.pk, kpao.pk)]})


def test_plan_routes_of_a_cross_country_flight_include_the_corridor(flight, kpao):
    far = AirportFactory(icao="KSAC", latitude=38.51, longitude=-121.49)
    flight.destination_airport = far
    routes, locations = jobs.plan_routes([flight])
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


def _judged(flight, now):
    providers = configured_providers()
    routes, locations = jobs.plan_routes([flight])
    collected = collect_forecasts(list(locations.values()), providers, now=now)
    judged = jobs.judge_bookings([flight], routes=routes, collected=collected, providers=providers,
                                 table=minimums_by_level())
    return collected, judged


def test_judge_bookings_judges_each_window_from_half_an_hour_before(weather, flight, now):
    progress = []
    providers = configured_providers()
    routes, locations = jobs.plan_routes([flight])
    collected = collect_forecasts(list(locations.values()), providers, now=now)
    judged = jobs.judge_bookings([flight], routes=routes, collected=collected, providers=providers,
                                 table=minimums_by_level(), progress=progress.append)
    assert [item.booking_id for item in judged] == [flight.pk]
    assert judged[0].window_start == flight.start - timedelta(minutes=30) and judged[0].window_end == flight.end
    assert judged[0].judgement.status == OK and judged[0].training_level == flight.student.training_level
    assert progress == [1]
    assert WeatherCheck.objects.count() == 0  # judging writes nothing


def test_store_verdicts_commits_one_check_and_the_bookings_verdict(weather, flight, now):
    collected, judged = _judged(flight, now)
    current, changed = jobs.store_verdicts(collected=collected, judged=judged, bookings=[flight], run_id="r", now=now)
    assert changed == 1 and current[flight.pk].status == OK
    flight.refresh_from_db()
    assert flight.weather_status == OK and WeatherCheck.objects.filter(booking=flight).count() == 1
    again, changed = jobs.store_verdicts(collected=collected, judged=judged, bookings=[flight], run_id="r2", now=now)
    assert changed == 0 and WeatherCheck.objects.filter(booking=flight).count() == 1
