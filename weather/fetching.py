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
from concurrent.futures import ThreadPoolExecutor
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
                      sleep: Callable[[float], None] = time.sleep) -> Collected:
    attempts = max(1, int(settings.WEATHER_RETRY_ATTEMPTS))
    backoff = float(settings.WEATHER_RETRY_BACKOFF_SECONDS)
    workers = max(1, int(settings.WEATHER_MAX_CONCURRENT_REQUESTS))
    collected = Collected()
    jobs = []
    for provider in providers:
        served = [loc for loc in locations if provider.serves(loc)]
        for batch in _batches(served, provider.batch_size):
            jobs.append((provider, batch))
    if not jobs:
        return collected
    with ThreadPoolExecutor(max_workers=min(workers, len(jobs)), thread_name_prefix="weather") as pool:
        futures = [(provider, batch, pool.submit(_call_with_retries, provider, batch, now=now, attempts=attempts,
                                                 backoff=backoff, sleep=sleep))
                   for provider, batch in jobs]
        for provider, batch, future in futures:
            result, call = future.result()
            collected.calls.append(call)
            if result is None:
                for loc in batch:
                    collected.failures[provider.name][loc.key] = call["error"]
                continue
            for key, hours in result.hours.items():
                collected.answers[provider.name][key] = hours
                for sample in hours:
                    collected.samples[(key, sample.valid_at)].append(sample)
    return collected
