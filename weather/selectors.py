"""Reads: the latest check of a booking, verdicts for candidate windows from stored forecasts, provider stats."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum

from bookings.selectors import booking_get
from config.sql import id_set, instances_where
from weather import forecasts
from weather.judging import (
    CONFLICT,
    UNKNOWN,
    Horizon,
    Minimums,
    judge_window,
    route_points,
    window_hours,
    window_memo_key,
)
from weather.models import ForecastSeries, ProviderCall, WeatherCheck, WeatherMinimums
from weather.providers.base import HourlyWeather

# Bookings per statement when reading and touching checks; PostgreSQL takes IN lists this long easily and
# SQLite's default bound-parameter limit (32,766) is above it.
CHECK_CHUNK = 20_000


@dataclass
class WindowVerdict:
    status: str  # ok, marginal, conflict or unknown
    reasons: list[str] = field(default_factory=list)
    forecast_known: bool = True
    confidence: dict | None = None  # the least firm judged hour: score, level, word, basis, at


def minimums_by_level() -> dict[str, Minimums]:
    """The minimums table, one query; a level missing from the table falls back to the contract's defaults."""
    table = {row.training_level: Minimums.from_model(row) for row in instances_where(WeatherMinimums)}
    for level in ("student_pilot", "private_pilot", "instrument_rated"):
        table.setdefault(level, Minimums.default(level))
    return table


def minimums_for(table: dict[str, Minimums], training_level: str) -> Minimums:
    # A student without a level is judged by the strictest minimums.
    return table.get(training_level or "student_pilot") or table["student_pilot"]


def flight_minimums(table: dict[str, Minimums], *, training_level: str, lesson_type: str = "dual",
                    aircraft=None, night_endorsed: bool = False) -> Minimums:
    """What one flight is judged by: its pilot's level, the solo margin, the aircraft's limits."""
    return minimums_for(table, training_level).for_flight(solo=lesson_type == "solo", aircraft=aircraft,
                                                          night_endorsed=night_endorsed)


def booking_minimums(table: dict[str, Minimums], booking) -> Minimums:
    return flight_minimums(table, training_level=booking.student.training_level, lesson_type=booking.lesson_type,
                           aircraft=booking.aircraft, night_endorsed=booking.student.night_endorsement)


def latest_check(*, booking) -> WeatherCheck | None:
    return WeatherCheck.objects.filter(booking=booking).order_by("-checked_at", "-id").first()


def latest_checks(*, booking_ids: Sequence[int], fields: Sequence[str] | None = None) -> dict[int, WeatherCheck]:
    """The latest check of each booking, by booking id: one query per 20,000 bookings, so lists stay flat."""
    latest = {}
    for start in range(0, len(booking_ids), CHECK_CHUNK):
        chunk = booking_ids[start:start + CHECK_CHUNK]
        checks = WeatherCheck.objects.filter(booking_id__in=id_set(chunk))
        if fields:
            checks = checks.only(*fields)
        if connection.vendor == "postgresql":
            # DISTINCT ON walks weathercheck_latest_idx once instead of a correlated subquery per booking.
            rows = checks.order_by("booking_id", "-checked_at", "-id").distinct("booking_id")
        else:
            latest_ids = (WeatherCheck.objects.filter(booking_id=OuterRef("booking_id"))
                          .order_by("-checked_at", "-id").values("id")[:1])
            ids = (WeatherCheck.objects.filter(booking_id__in=chunk).annotate(latest_id=Subquery(latest_ids))
                   .values_list("latest_id", flat=True).distinct())
            rows = checks.filter(id__in=list(ids))
        for check in rows:
            latest[check.booking_id] = check
    return latest


def booking_weather_get(*, actor, booking_id: int):
    """(booking, latest check or None) for someone allowed to see the booking; NotFoundError otherwise."""
    booking = booking_get(actor=actor, booking_id=booking_id)
    return booking, latest_check(booking=booking)


def stored_forecasts(*, location_keys: Sequence[str], start: datetime, end: datetime):
    """Stored samples by (location key, hour) in [start, end), and how far each location's forecast reaches."""
    samples: dict[tuple[str, datetime], list[HourlyWeather]] = defaultdict(list)
    horizon = Horizon()
    series = ForecastSeries.objects.filter(location_key__in=list(location_keys), valid_until__gte=start)
    for row in series.only("location_key", "provider", "valid_until", "hours"):
        previous = horizon.last_hour.get(row.location_key)
        if previous is None or row.valid_until > previous:
            horizon.last_hour[row.location_key] = row.valid_until
        for values in row.hours:
            sample = forecasts.decode(values, provider=row.provider)
            if start <= sample.valid_at < end:
                samples[(row.location_key, sample.valid_at)].append(sample)
    return samples, horizon


def route_forecasts(*, departure, destination, windows: list[tuple[datetime, datetime]], now: datetime):
    """The stored forecasts `window_verdicts` judges `windows` of this route by (one query): pass them to several
    `window_verdicts` calls over the same route and hours (one per aircraft profile) to read and decode them once."""
    points = route_points(departure, destination)
    hours_by_window = [window_hours(start, end) for start, end in windows]
    first = min(h[0] for h in hours_by_window if h) if any(hours_by_window) else now
    last = max(h[-1] for h in hours_by_window if h) + timedelta(hours=1) if any(hours_by_window) else now
    # Forecasts for hours already past are not kept for judging future slots.
    return stored_forecasts(location_keys=[p.location.key for p in points],
                            start=max(first, now - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0),
                            end=last)


def window_verdicts(*, departure, destination, training_level: str, windows: list[tuple[datetime, datetime]],
                    now: datetime, lesson_type: str = "dual", aircraft=None,
                    night_endorsed: bool = False, minimums_table: dict | None = None,
                    forecasts: tuple | None = None, memo: dict | None = None) -> list[WindowVerdict]:
    """Judge candidate windows from the forecasts the monitor stored: two queries whatever len(windows), none
    when the caller passes the minimums table (`minimums_by_level()`) and the route's forecasts
    (`route_forecasts(...)` over these windows or more) it already read.

    `memo` may be shared by calls over the same route and forecasts (one per aircraft profile of one flight):
    a place and hour, or a whole window, is then judged once for every aircraft whose limits do not change
    its verdict. The verdicts returned may be shared between such calls; nobody may change them.

    The same rules as the monitor: the level's minimums with the solo margin, the aircraft's crosswind limit
    and IFR equipment, and daylight. A window reaching past the stored forecast horizon is `unknown` with
    forecast_known=False, unless what is already known (the forecast part, or night) is a conflict.
    """
    if not windows:
        return []
    minimums = flight_minimums(minimums_table if minimums_table is not None else minimums_by_level(),
                               training_level=training_level, lesson_type=lesson_type,
                               aircraft=aircraft, night_endorsed=night_endorsed)
    points = route_points(departure, destination)
    hours_by_window = [window_hours(start, end) for start, end in windows]
    samples, horizon = forecasts if forecasts is not None else route_forecasts(
        departure=departure, destination=destination, windows=windows, now=now)
    memo = {} if memo is None else memo
    verdicts = []
    for (start, end), hours in zip(windows, hours_by_window, strict=True):
        window_key = window_memo_key(minimums, start, end)
        verdict = memo.get(window_key)
        if verdict is None:
            verdict = memo[window_key] = _window_verdict(
                judge_window(points=points, hours=hours,
                             samples_for=lambda key, hour: samples.get((key, hour), ()),
                             minimums=minimums, memo=memo, flight=(departure, start, end)),
                known=horizon.covers(points, hours))
        verdicts.append(verdict)
    return verdicts


def _window_verdict(judgement, *, known: bool) -> WindowVerdict:
    if judgement.status == CONFLICT or known:
        return WindowVerdict(judgement.status, judgement.reasons, known, judgement.confidence)
    return WindowVerdict(UNKNOWN, ["forecast not yet available for this window"], False)


def provider_stats(*, since: datetime, until: datetime) -> dict:
    """Calls to each provider in [since, until): how many, how many answered, the success rate."""
    rows = (ProviderCall.objects.filter(started_at__gte=since, started_at__lt=until)
            .values("provider")
            .annotate(requests=Count("id"), successes=Count("id", filter=Q(ok=True)),
                      retryable_failures=Count("id", filter=Q(ok=False, retryable=True)),
                      http_requests=Sum("http_requests"), last_call=Max("started_at"))
            .order_by("provider"))
    by_provider = {}
    requests = successes = 0
    for row in rows:
        requests += row["requests"]
        successes += row["successes"]
        by_provider[row["provider"]] = {
            "requests": row["requests"],
            "successes": row["successes"],
            "success_rate": round(row["successes"] / row["requests"], 4) if row["requests"] else None,
            "retryable_failures": row["retryable_failures"],
            "http_requests": row["http_requests"] or 0,
            "last_call": row["last_call"].isoformat() if row["last_call"] else None,
        }
    return {
        "requests": requests,
        "successes": successes,
        "success_rate": round(successes / requests, 4) if requests else None,
        "by_provider": by_provider,
    }
