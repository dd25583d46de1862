"""The monitor acts on verdicts only while the invocation has time left; what it leaves, the next run does."""

import types

from rescheduling.models import RescheduleRequest
from weather.jobs import LAMBDA_MARGIN_SECONDS, outcome_deadline, run_monitor
from weather.tests.test_monitor import storm_over


def lambda_context(remaining_ms: int):
    """What Zappa hands an event function: the invocation's context, counting down."""
    return types.SimpleNamespace(function_name="flight-schedule-pro-staging", aws_request_id="test",
                                 get_remaining_time_in_millis=lambda: remaining_ms)


def test_on_lambda_the_deadline_is_the_invocations_remaining_time_less_a_margin():
    assert outcome_deadline(lambda_context(30_000), started=100.0) == 100.0 + 30 - LAMBDA_MARGIN_SECONDS
    assert outcome_deadline(lambda_context(1_000), started=100.0) == 100.0  # no time: act on nothing


def test_elsewhere_the_deadline_is_the_configured_budget(settings):
    settings.WEATHER_OUTCOME_BUDGET_SECONDS = 42
    assert outcome_deadline(None, started=10.0) == 52.0
    assert outcome_deadline(types.SimpleNamespace(), started=10.0) == 52.0  # a context without a clock


def test_a_run_out_of_time_defers_the_hold_and_the_next_run_places_it_once(weather, flight, now):
    weather.owm = storm_over(flight)
    late = run_monitor(None, lambda_context(LAMBDA_MARGIN_SECONDS * 1000 - 1), now=now)
    assert late["conflict"] == 1 and late["held"] == 0 and late["deferred"] == 1
    flight.refresh_from_db()
    assert flight.status == "scheduled" and flight.weather_status == "conflict"
    assert not RescheduleRequest.objects.filter(booking=flight).exists()

    in_time = run_monitor(None, lambda_context(30_000), now=now)
    assert in_time["held"] == 1 and in_time["deferred"] == 0
    again = run_monitor(None, lambda_context(30_000), now=now)
    assert again["held"] == 0 and again["deferred"] == 0
    flight.refresh_from_db()
    assert flight.status == "weather_hold"
    assert RescheduleRequest.objects.filter(booking=flight).count() == 1
