"""Asking every provider about every location once per run, through a bounded pool, with retries.

Locations are the distinct airports and corridor points across all bookings of a run: a provider is
asked once per location (or once per batch of stations), never once per booking.
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings

from weather.providers.base import HourlyWeather, Location, ProviderError, WeatherProvider

logger = logging.getLogger(__name__)


@dataclass
class Collected:
    """Everything a run learned: samples by (location key, hour), per-provider answers and failures, call records."""

    samples: dict[tuple[str, datetime], list[HourlyWeather]] = field(default_factory=lambda: defaultdict(list))
    answers: dict[str, dict[str, list[HourlyWeather]]] = field(default_factory=lambda: defaultdict(dict))
    failures: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    calls: list[dict] = field(default_factory=list)

    def samples_for(self, key: str, hour: datetime) -> Sequence[HourlyWeather]:
        return self.samples.get((key, hour), ())

    def provider_report(self, keys: Sequence[str], providers: Sequence[WeatherProvider]) -> list[dict]:
        """For one booking's locations: which providers answered, and why the others did not."""
        report = []
        for provider in providers:
            answered = sum(1 for k in keys if k in self.answers.get(provider.name, {}))
            failed = {k: self.failures[provider.name][k] for k in keys if k in self.failures.get(provider.name, {})}
            entry = {"name": provider.name, "answered": answered > 0, "locations_answered": answered,
                     "locations_failed": len(failed)}
            if failed:
                entry["error"] = sorted(set(failed.values()))[0]
            report.append(entry)
        return report


def _batches(items: Sequence[Location], size: int):
    for start in range(0, len(items), max(1, size)):
        yield items[start:start + size]


def _call_with_retries(provider: WeatherProvider, batch: Sequence[Location], *, now: datetime, attempts: int,
                       backoff: float, sleep: Callable[[float], None]):
    started = datetime.now(tz=UTC)
    clock = time.monotonic()
    requests = 0
    error: ProviderError | None = None
    attempt = 0
    for attempt in range(1, attempts + 1):
        try:
            result = provider.fetch_batch(batch, now=now)
            requests += result.requests
            return result, _record(provider, batch, started, clock, attempt, requests, None)
        except ProviderError as exc:
            error = exc
            requests += 1
            if not exc.retryable or attempt == attempts:
                break
            # Exponential backoff with jitter so a struggling provider is not hit in lockstep.
            sleep(backoff * (2 ** (attempt - 1)) * (1 + random.random() / 2))
        except Exception as exc:  # a provider bug must not take the whole run down
            logger.exception("weather provider %s crashed", provider.name)
            error = ProviderError(provider.name, f"unexpected {type(exc).__name__}", retryable=False)
            requests += 1
            break
    return None, _record(provider, batch, started, clock, attempt, requests, error)


def _record(provider, batch, started, clock, attempts, requests, error) -> dict:
    return {
        "provider": provider.name, "started_at": started,
        "duration_ms": int((time.monotonic() - clock) * 1000), "locations": len(batch), "attempts": attempts,
        "http_requests": requests, "ok": error is None, "retryable": bool(error and error.retryable),
        "error": str(error)[:300] if error else "",
    }


def collect_forecasts(locations: Sequence[Location], providers: Sequence[WeatherProvider], *, now: datetime,
                      sleep: Callable[[float], None] = time.sleep, into: Collected | None = None,
                      on_location: Callable[[str], None] | None = None) -> Collected:
    """Ask every provider about every location it serves, at most WEATHER_MAX_CONCURRENT_REQUESTS at once.

    With `on_location`, each location's key is passed to it as soon as every provider has answered (or failed)
    for it, from the thread running this function: its samples, answers and failures in `into` (the Collected
    being filled) are then complete and no longer change, so a caller on another thread may judge it while
    the other locations are still being fetched. Requests go out location by location for that, while the
    result (each location's samples in provider order, the call records in provider order) is the same
    whatever order the answers arrive in.
    """
    attempts = max(1, int(settings.WEATHER_RETRY_ATTEMPTS))
    backoff = float(settings.WEATHER_RETRY_BACKOFF_SECONDS)
    workers = max(1, int(settings.WEATHER_MAX_CONCURRENT_REQUESTS))
    collected = into if into is not None else Collected()
    jobs = []
    for provider in providers:
        served = [loc for loc in locations if provider.serves(loc)]
        for batch in _batches(served, provider.batch_size):
            jobs.append((provider, batch))
    place = {loc.key: index for index, loc in enumerate(locations)}
    jobs_of: dict[str, list[int]] = defaultdict(list)
    for index, (_provider, batch) in enumerate(jobs):
        for loc in batch:
            jobs_of[loc.key].append(index)
    outstanding = {key: len(indexes) for key, indexes in jobs_of.items()}
    for loc in locations:
        if loc.key not in outstanding and on_location is not None:
            on_location(loc.key)  # no provider serves it: nothing to wait for
    if not jobs:
        return collected
    results: list[tuple | None] = [None] * len(jobs)

    def location_done(key: str) -> None:
        for index in jobs_of[key]:
            provider = jobs[index][0]
            result, call = results[index]
            if result is None:
                collected.failures[provider.name][key] = call["error"]
                continue
            hours = result.hours.get(key)
            if hours is None:
                continue
            collected.answers[provider.name][key] = hours
            for sample in hours:
                collected.samples[(key, sample.valid_at)].append(sample)
        if on_location is not None:
            on_location(key)

    # Location by location (a batch at its first location), so that locations complete all through the fetch.
    order = sorted(range(len(jobs)), key=lambda index: place.get(jobs[index][1][0].key, 0))
    with ThreadPoolExecutor(max_workers=min(workers, len(jobs)), thread_name_prefix="weather") as pool:
        futures = {pool.submit(_call_with_retries, jobs[index][0], jobs[index][1], now=now, attempts=attempts,
                               backoff=backoff, sleep=sleep): index for index in order}
        for future in as_completed(futures):
            index = futures[future]
            results[index] = future.result()
            for loc in jobs[index][1]:
                outstanding[loc.key] -= 1
                if outstanding[loc.key] == 0:
                    location_done(loc.key)
    collected.calls.extend(call for _result, call in results)
    # Answers about keys nobody asked for (a provider's extras) are kept as before; every map in provider order.
    answers = defaultdict(dict)
    for index, (provider, _batch) in enumerate(jobs):
        result = results[index][0]
        if result is None:
            continue
        for key, hours in result.hours.items():
            answers[provider.name][key] = hours
            if key not in jobs_of:
                for sample in hours:
                    collected.samples[(key, sample.valid_at)].append(sample)
    collected.answers = answers
    return collected
