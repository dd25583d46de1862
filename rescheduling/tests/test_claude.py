"""Claude ranking against a loopback server that speaks the Anthropic Messages API."""

from datetime import UTC, datetime, timedelta

import pytest

from rescheduling import claude, ranking
from rescheduling.models import OptionSource
from rescheduling.solver import Candidate
from rescheduling.tests.anthropic_fake import error_answer, text_answer, tool_answer
from rescheduling.tests.factories import BookingFactory
from tests.http_fake import FakeHTTPServer

T0 = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)


def make_candidates(booking, count=5):
    return [
        Candidate(
            candidate_id=f"{T0 + timedelta(hours=3 * i):%Y%m%dT%H%MZ}-i{booking.instructor_id}-a{booking.aircraft_id}",
            start=T0 + timedelta(hours=3 * i), end=T0 + timedelta(hours=3 * i + 2),
            instructor_id=booking.instructor_id, aircraft_id=booking.aircraft_id, same_instructor=True,
            same_aircraft=True, weather_status="ok", forecast_known=True, score=100 - i,
        )
        for i in range(count)
    ]


@pytest.fixture
def booking(db, owner, colleague):
    return BookingFactory(student=owner, instructor=colleague, status="weather_hold")


@pytest.fixture
def fake_claude(settings):
    with FakeHTTPServer() as server:
        settings.ANTHROPIC_API_KEY = "sk-ant-test-key"
        settings.ANTHROPIC_BASE_URL = server.url
        settings.ANTHROPIC_MODEL = "claude-sonnet-5-5"
        yield server


def answer_with(server, handler, **kwargs):
    server.route("POST", "/v1/messages", handler, **kwargs)


def test_valid_tool_answer_orders_the_options_and_keeps_claudes_words(fake_claude, booking):
    candidates = make_candidates(booking)
    chosen = [candidates[2], candidates[0], candidates[4]]
    answer_with(fake_claude, lambda req: tool_answer([
        {"candidate_id": c.candidate_id, "rationale": f"Good choice number {n}."} for n, c in enumerate(chosen)
    ]))

    options = ranking.rank_options(booking=booking, candidates=candidates)

    assert [o.candidate for o in options] == chosen
    assert [o.rationale for o in options] == ["Good choice number 0.", "Good choice number 1.",
                                              "Good choice number 2."]
    assert {o.source for o in options} == {OptionSource.AI}
    sent = fake_claude.requests[0]
    body = sent.json()
    # The SDK sends the key as `x-api-key` or as a bearer token, depending on its version.
    assert "sk-ant-test-key" in (sent.headers.get("x-api-key", ""), sent.headers.get("authorization", "")[7:])
    assert sent.headers.get("anthropic-version")
    assert body["model"] == "claude-sonnet-5-5"
    assert body["tool_choice"] == {"type": "tool", "name": "propose_options"}
    assert body["tools"][0]["name"] == "propose_options"
    item_schema = body["tools"][0]["input_schema"]["properties"]["options"]["items"]
    assert item_schema["required"] == ["candidate_id", "rationale"]
    user_text = body["messages"][0]["content"]
    for c in candidates:
        assert f'"candidate_id": "{c.candidate_id}"' in user_text
    # Times go to Claude in the airport's local time (Palo Alto: 08:00 PST for 16:00Z).
    assert "2026-03-03 08:00 PST" in user_text


def rules_expected(booking, candidates):
    return [o.candidate for o in ranking.rank_options(booking=booking, candidates=candidates)]


@pytest.mark.parametrize("case", ["unknown_id", "too_few", "duplicate", "empty_rationale", "not_a_list"])
def test_a_bad_tool_answer_falls_back_to_the_rules(fake_claude, booking, case):
    candidates = make_candidates(booking)
    ids = [c.candidate_id for c in candidates]
    options = {
        "unknown_id": [{"candidate_id": "20991231T0000Z-i1-a1", "rationale": "Invented."},
                       {"candidate_id": ids[0], "rationale": "Fine."}, {"candidate_id": ids[1], "rationale": "Ok."}],
        "too_few": [{"candidate_id": ids[3], "rationale": "Only one."}],
        "duplicate": [{"candidate_id": ids[1], "rationale": "A."}, {"candidate_id": ids[1], "rationale": "B."},
                      {"candidate_id": ids[2], "rationale": "C."}],
        "empty_rationale": [{"candidate_id": i, "rationale": " "} for i in ids[:3]],
        "not_a_list": "three good options",
    }[case]
    answer_with(fake_claude, lambda req: tool_answer(options))

    result = ranking.rank_options(booking=booking, candidates=candidates)

    assert fake_claude.count("POST", "/v1/messages") == 1
    assert [o.candidate for o in result] == candidates[:3]
    assert {o.source for o in result} == {OptionSource.RULES}
    assert all("Keeps your instructor and your aircraft" in o.rationale for o in result)


def test_plain_text_without_a_tool_call_falls_back_to_the_rules(fake_claude, booking):
    candidates = make_candidates(booking)
    answer_with(fake_claude, lambda req: text_answer("I would pick the Tuesday morning slot."))
    result = ranking.rank_options(booking=booking, candidates=candidates)
    assert [o.source for o in result] == [OptionSource.RULES] * 3
    assert [o.candidate for o in result] == candidates[:3]


@pytest.mark.parametrize(("status", "error_type"), [(500, "api_error"), (529, "overloaded_error")])
def test_api_errors_fall_back_to_the_rules_without_retrying(fake_claude, booking, status, error_type):
    candidates = make_candidates(booking)
    answer_with(fake_claude, lambda req: error_answer(status, error_type, "Something went wrong."))
    result = ranking.rank_options(booking=booking, candidates=candidates)
    assert [o.source for o in result] == [OptionSource.RULES] * 3
    assert fake_claude.count("POST", "/v1/messages") == 1


def test_overloaded_error_is_reported_as_retryable(fake_claude, booking):
    candidates = make_candidates(booking)
    answer_with(fake_claude, lambda req: error_answer(529, "overloaded_error", "Overloaded"))
    with pytest.raises(claude.ClaudeUnavailable) as raised:
        claude.rank_candidates(lesson={}, candidates=[{"candidate_id": c.candidate_id} for c in candidates],
                               needed=3)
    assert raised.value.retryable


def test_a_slow_answer_times_out_and_falls_back_to_the_rules(fake_claude, booking, settings):
    settings.ANTHROPIC_TIMEOUT_SECONDS = 0.3
    candidates = make_candidates(booking)
    answer_with(fake_claude, lambda req: tool_answer([
        {"candidate_id": c.candidate_id, "rationale": "Late."} for c in candidates[:3]
    ]), delay=1.5)
    result = ranking.rank_options(booking=booking, candidates=candidates)
    assert [o.source for o in result] == [OptionSource.RULES] * 3


def test_connection_refused_falls_back_to_the_rules(settings, booking):
    with FakeHTTPServer() as server:
        url = server.url
    settings.ANTHROPIC_API_KEY = "sk-ant-test-key"
    settings.ANTHROPIC_BASE_URL = url  # nothing listens there any more
    result = ranking.rank_options(booking=booking, candidates=make_candidates(booking))
    assert [o.source for o in result] == [OptionSource.RULES] * 3


def test_without_a_key_there_is_no_http_at_all(settings, booking):
    with FakeHTTPServer() as server:
        settings.ANTHROPIC_API_KEY = ""
        settings.ANTHROPIC_BASE_URL = server.url
        server.route("POST", "/v1/messages", lambda req: tool_answer([]))
        result = ranking.rank_options(booking=booking, candidates=make_candidates(booking))
        assert server.requests == []
    assert [o.source for o in result] == [OptionSource.RULES] * 3


def test_fewer_candidates_than_three_need_only_that_many_ids(fake_claude, booking):
    candidates = make_candidates(booking, count=2)
    answer_with(fake_claude, lambda req: tool_answer([
        {"candidate_id": c.candidate_id, "rationale": "Works."} for c in reversed(candidates)
    ]))
    result = ranking.rank_options(booking=booking, candidates=candidates)
    assert [o.candidate for o in result] == list(reversed(candidates))
    assert {o.source for o in result} == {OptionSource.AI}


def test_extra_ids_beyond_three_are_not_offered(fake_claude, booking):
    candidates = make_candidates(booking)
    answer_with(fake_claude, lambda req: tool_answer([
        {"candidate_id": c.candidate_id, "rationale": "Works."} for c in reversed(candidates)
    ]))
    result = ranking.rank_options(booking=booking, candidates=candidates)
    assert [o.candidate for o in result] == list(reversed(candidates))[:3]


def test_a_grounded_flight_keeps_the_same_time_in_another_aircraft_first_whatever_claude_picks(fake_claude,
                                                                                             booking):
    from dataclasses import replace

    from bookings.tests.factories import AircraftFactory

    twin = AircraftFactory(tail_number="N102SP")
    candidates = make_candidates(booking)
    same_time = replace(candidates[4], start=booking.start, end=booking.end, aircraft_id=twin.pk,
                        same_aircraft=False, candidate_id=f"same-time-a{twin.pk}")
    candidates[4] = same_time
    chosen = [candidates[2], candidates[0], candidates[1]]
    answer_with(fake_claude, lambda req: tool_answer([
        {"candidate_id": c.candidate_id, "rationale": f"Good choice number {n}."} for n, c in enumerate(chosen)
    ]))

    options = ranking.rank_options(booking=booking, candidates=candidates, pinned_start=booking.start)

    assert [o.candidate for o in options] == [same_time, candidates[2], candidates[0]]
    assert options[0].source == OptionSource.RULES and "N102SP" in options[0].rationale
    assert "the original time" in options[0].rationale
    assert [o.source for o in options[1:]] == [OptionSource.AI, OptionSource.AI]


def test_one_client_serves_every_ranking_and_keeps_its_connection(fake_claude, booking):
    """Building a client loads the CA bundle (tens of milliseconds); the second ranking reuses the first's
    client and its kept-alive connection."""
    candidates = make_candidates(booking)
    answer_with(fake_claude, lambda req: tool_answer([
        {"candidate_id": c.candidate_id, "rationale": "Keeps your instructor."} for c in candidates[:3]]))

    first = ranking.rank_options(booking=booking, candidates=candidates)
    second = ranking.rank_options(booking=booking, candidates=candidates)

    assert [o.candidate for o in first] == [o.candidate for o in second] == candidates[:3]
    assert {o.source for o in first + second} == {OptionSource.AI}
    assert len(fake_claude.requests) == 2
    assert fake_claude.requests[0].peer == fake_claude.requests[1].peer
