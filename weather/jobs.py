"""The weather monitor: what the Zappa event, the Celery beat entry and `manage.py run_weather_monitor` run."""

from config.bootstrap import ensure_django

ensure_django()

import gc  # noqa: E402
import logging  # noqa: E402
import queue  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from collections.abc import Callable  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import timedelta  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from audit.metrics import emit  # noqa: E402
from bookings.selectors import (  # noqa: E402
    booking_for_weather_monitor,
    bookings_for_weather_monitor,
    bookings_with_parties,
    flight_routes,
)
from config.request_context import job_context  # noqa: E402
from weather import services  # noqa: E402
from weather.fetching import Collected, collect_forecasts  # noqa: E402
from weather.judging import PRE_FLIGHT, judge_window, route_points, window_hours  # noqa: E402
from weather.models import WeatherCheck  # noqa: E402
from weather.providers import configured_providers  # noqa: E402
from weather.selectors import booking_minimums, latest_checks, minimums_by_level  # noqa: E402
from weather.signals import verdict_committed  # noqa: E402

logger = logging.getLogger(__name__)

# pg_try_advisory_lock key: "WX" + "MON" as digits, any constant no other job uses.
MONITOR_LOCK_KEY = 875_877_779
# Kept free at the end of a Lambda invocation for storing the summary and emitting metrics.
LAMBDA_MARGIN_SECONDS = 3.0


@contextmanager
def _single_run():
    """On PostgreSQL, a session advisory lock: a second run started meanwhile skips instead of acting twice."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [MONITOR_LOCK_KEY])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MONITOR_LOCK_KEY])


def run_monitor(event=None, context=None, *, hours=None, dry_run=False, now=None, booking_ids=None,
                progress: Callable[[int], None] | None = None) -> dict:
    """Judge every active booking starting within the lookahead (or only `booking_ids` among them, for an
    operator's "check now"), store the verdicts, then let rescheduling act on the ones that call for it.

    A lookahead larger than one shard (WEATHER_SHARD_AIRPORTS, WEATHER_SHARD_MAX_BOOKINGS) fans out in shards of
    departure airports (`weather.shards`), each swept the same way in its own invocation or task.

    Safe to run twice and concurrently: a second run with the same weather changes nothing and sends
    nothing. With dry_run, judges and reports without writing anything or notifying anyone.
    """
    now = now or timezone.now()
    hours = int(hours or settings.WEATHER_LOOKAHEAD_HOURS)
    clock = time.monotonic()
    deadline = outcome_deadline(context, started=clock)
    with job_context("weather-monitor") as run_id, _single_run() as acquired:
        if not acquired:
            logger.info("weather monitor skipped: another run holds the lock")
            return {"skipped": True, "reason": "another weather monitor run is in progress"}
        upcoming = upcoming_bookings(now=now, hours=hours, booking_ids=booking_ids)
        routes = None
        if booking_ids is None and not dry_run:
            from weather import shards  # the shards sweep through this module's steps

            routes = flight_routes(upcoming)
            plan = shards.shard_airports(routes)
            if len(plan) > 1:
                summary = shards.fan_out(run_id=run_id, plan=plan, start=now, end=now + timedelta(hours=hours),
                                         now=now, progress=progress)
                summary["seconds"] = round(time.monotonic() - clock, 2)
                logger.info("weather monitor fanned out", extra={"summary": {k: v for k, v in summary.items()
                                                                             if k != "shard_summaries"}})
                return summary
        summary = sweep(upcoming, run_id=run_id, now=now, dry_run=dry_run, deadline=deadline, clock=clock,
                        progress=progress, routes=routes)
        if not dry_run:
            emit_monitor_metrics(summary)
            logger.info("weather monitor finished", extra={"summary": {k: v for k, v in summary.items()
                                                                       if k != "verdicts"}})
        return summary


class collector_paused:
    """Python's cyclic garbage collector held off while a sweep builds and drops its objects (a context manager).
    Every model instance, forecast hour and judged point a sweep allocates counts towards the collector's next
    pass, and 10,000 bookings set off about 630 passes, five of them over the whole heap: 0.7-1.0 s of CPU per
    sweep here, a quarter of it. The sweep leaves no reference cycles behind (gc.collect() after one finds
    none), so nothing waits for the collector meanwhile. The pause is the process's: threads of the same
    process running meanwhile (a web worker's) go without it for those seconds too.

    `resume()` starts the collector again before the sweep acts on its verdicts, with what exists then frozen
    (gc.freeze): everything the sweep built is still in the collector's youngest generation, and the pass
    that follows at once would traverse all of it while the sweep still holds it (0.13-0.23 s after 10,000
    bookings). Leaving unfreezes them into the oldest generation, by which time the sweep drops them. When the
    collector was off already, it stays off and nothing is frozen; when something else froze objects before,
    nothing more is frozen or unfrozen."""

    def __enter__(self):
        self._was_enabled, self._frozen = gc.isenabled(), False
        gc.disable()
        return self

    def resume(self) -> None:
        if self._was_enabled and not gc.isenabled():
            # Only where nothing else froze objects (a pre-forking server may): unfreezing is all or nothing.
            if gc.get_freeze_count() == 0:
                gc.freeze()
                self._frozen = True
            gc.enable()

    def __exit__(self, *exc) -> None:
        self.resume()
        if self._frozen:
            gc.unfreeze()


def sweep(upcoming, *, run_id, now, dry_run: bool, deadline: float, clock: float,
          progress: Callable[[int], None] | None = None, on_stored: Callable[[], None] | None = None,
          hand_off: Callable[[int, int], None] | None = None, routes: list | None = None) -> dict:
    """Fetch, judge, store and act for the bookings of `upcoming` (a queryset of
    `bookings_for_weather_monitor`): the whole monitor for one run or one shard of it.
    `on_stored` is called once the verdicts are committed, before anything acts on them.

    The locations come from the bookings' routes (`flight_routes(upcoming)`, or `routes` when the caller has
    read them), so the providers are asked while the bookings themselves are read (`bookings_with_parties`:
    their people, aircraft and the routes' airports shared), time the fetch spends waiting on the providers.
    """
    providers = configured_providers()
    table = minimums_by_level()
    pairs = [(departure, destination) for departure, destination, _count
             in (routes if routes is not None else flight_routes(upcoming))]
    routes, locations = plan_routes(pairs)
    collected, answered = Collected(), queue.SimpleQueue()
    with collector_paused() as collector:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="weather-fetch") as fetcher:
            fetching = fetcher.submit(collect_forecasts, list(locations.values()), providers, now=now,
                                      into=collected, on_location=answered.put)
            # A booking moved to a route planned after the airports were read waits for the next run.
            airports = {airport.pk: airport for pair in pairs for airport in pair}
            bookings = [b for b in bookings_with_parties(upcoming, airports=airports)
                        if (b.departure_airport_id, b.destination_airport_id) in routes]
            # From here until the checks are stored this thread judges and leaves the database to the writer.
            writer = None if dry_run else services.CheckWriter(booking_ids=[b.pk for b in bookings], now=now,
                                                               run_id=run_id)
            try:
                judged = judge_as_answered(bookings, routes=routes, collected=collected, providers=providers,
                                           table=table, answered=answered, fetching=fetching, progress=progress,
                                           on_judged=writer.add if writer is not None else None)
                summary = summarise(run_id=run_id, dry_run=dry_run, bookings=bookings, locations=locations,
                                    calls=collected.calls, judged=judged)
                if writer is not None:
                    current, summary["verdicts_changed"] = store_verdicts(
                        collected=collected, writer=writer, bookings=bookings, run_id=run_id, now=now)
            finally:
                if writer is not None:
                    writer.abandon()  # nothing left to abandon once stored: a failure before rolls the checks back
        collector.resume()
        if dry_run:
            summary["verdicts"] = [
                {"booking": item.booking_id, "status": item.judgement.status, "reasons": item.judgement.reasons}
                for item in judged
            ]
            summary["seconds"] = round(time.monotonic() - clock, 2)
            return summary

        if on_stored is not None:
            on_stored()
        # The sweep (fetch, judge, store) apart from acting on it: first detections open reschedule requests.
        summary["sweep_seconds"] = round(time.monotonic() - clock, 2)
        summary.update(announce_verdicts(bookings, checks=current, now=now, deadline=deadline, hand_off=hand_off))
        summary["seconds"] = round(time.monotonic() - clock, 2)
        return summary


def upcoming_bookings(*, now, hours: int, booking_ids=None):
    """The active bookings starting within `hours` of `now` (or only `booking_ids` among them), with everything
    judging reads: a queryset, read by `sweep`."""
    upcoming = bookings_for_weather_monitor(start=now, end=now + timedelta(hours=hours))
    if booking_ids is not None:
        upcoming = upcoming.filter(id__in=list(booking_ids))
    return upcoming


def plan_routes(pairs) -> tuple[dict[tuple[int, int], list], dict]:
    """The points judged for each (departure, destination) pair of airports, and every location to fetch, each
    once."""
    routes: dict[tuple[int, int], list] = {}
    locations = {}
    for departure, destination in pairs:
        pair = (departure.pk, destination.pk)
        if pair not in routes:
            routes[pair] = route_points(departure, destination)
            for point in routes[pair]:
                locations[point.location.key] = point.location
    return routes, locations


class BookingJudge:
    """Judges one booking after another against its student's minimums, sharing across bookings what many have
    in common: a kind of flight's minimums (level, solo, aircraft, endorsement), a route's provider report, and
    each place and hour's verdict (the checks store them as they are; nobody changes them)."""

    def __init__(self, *, routes, collected, providers, table):
        self.routes, self.collected, self.providers, self.table = routes, collected, providers, table
        self.memo: dict = {}
        self.encoded: dict = {}  # the JSON of parts that checks share, for their fingerprints
        self.flight_kinds: dict[tuple, tuple] = {}
        self.reports: dict[tuple[int, int], list[dict]] = {}

    def __call__(self, booking) -> services.CheckInput:
        pair = (booking.departure_airport_id, booking.destination_airport_id)
        points = self.routes[pair]
        kind = (booking.student.training_level, booking.lesson_type, booking.aircraft_id,
                booking.student.night_endorsement)
        if kind not in self.flight_kinds:
            minimums = booking_minimums(self.table, booking)
            self.flight_kinds[kind] = (minimums, minimums.as_dict())
        minimums, applied = self.flight_kinds[kind]
        if pair not in self.reports:
            self.reports[pair] = self.collected.provider_report([p.location.key for p in points], self.providers)
        judgement = judge_window(points=points, hours=window_hours(booking.start, booking.end),
                                 samples_for=self.collected.samples_for, minimums=minimums, memo=self.memo,
                                 flight=(booking.departure_airport, booking.start, booking.end))
        return services.CheckInput(
            booking_id=booking.pk, window_start=booking.start - PRE_FLIGHT, window_end=booking.end,
            training_level=booking.student.training_level, judgement=judgement, minimums=applied,
            providers=self.reports[pair],
            fingerprint=services.check_fingerprint(judgement=judgement, minimums=applied,
                                                   providers=self.reports[pair], encoded=self.encoded),
        )


def judge_as_answered(bookings, *, routes, collected, providers, table, answered: queue.SimpleQueue, fetching,
                      progress: Callable[[int], None] | None = None,
                      on_judged: Callable[[services.CheckInput], None] | None = None) -> list[services.CheckInput]:
    """Each booking's window judged against its student's minimums (`BookingJudge`) while the forecasts are
    still being fetched: a route's bookings are judged as soon as every location on it has its answers
    (`answered` receives each location's key from `collect_forecasts`), so judging fills the time the fetch
    spends waiting on the providers. The checks come back in booking order, the same as judging each booking
    once the fetch is over; `on_judged` receives each as it is judged (a `CheckWriter` stores them meanwhile),
    and `progress` hears of them by hundreds."""
    judge = BookingJudge(routes=routes, collected=collected, providers=providers, table=table)
    done = 0
    by_route: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, booking in enumerate(bookings):
        by_route[(booking.departure_airport_id, booking.destination_airport_id)].append(index)
    waiting = {pair: {p.location.key for p in routes[pair]} for pair in by_route}
    routes_at: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for pair, keys in waiting.items():
        for key in keys:
            routes_at[key].append(pair)
    judged: list = [None] * len(bookings)

    def judge_route(pair) -> None:
        nonlocal done
        for index in by_route[pair]:
            judged[index] = judge(bookings[index])
            if on_judged is not None:
                on_judged(judged[index])
            done += 1
            if progress and (done % 100 == 0 or done == len(bookings)):
                progress(done % 100 or 100)

    while waiting:
        try:
            key = answered.get(timeout=0.05)
        except queue.Empty:
            if fetching.done():
                break  # the fetch ended (or failed): whatever is left is judged below or the error raised
            continue
        for pair in routes_at.get(key, ()):
            keys = waiting.get(pair)
            if keys is None:
                continue
            keys.discard(key)
            if not keys:
                del waiting[pair]
                judge_route(pair)
    fetching.result()  # a failed fetch raises here, before anything is judged from half the answers
    for pair in list(waiting):
        judge_route(pair)
    return judged


def summarise(*, run_id, dry_run: bool, bookings, locations, calls, judged) -> dict:
    """The run's counts before anything is stored; the acting step adds what it did."""
    successes = sum(1 for c in calls if c["ok"])
    statuses = Counter(item.judgement.status for item in judged)
    return {
        "run_id": run_id, "dry_run": bool(dry_run), "bookings": len(bookings), "locations": len(locations),
        "provider_calls": len(calls), "provider_successes": successes,
        "provider_success_rate": round(successes / len(calls), 4) if calls else None,
        "ok": statuses["ok"], "marginal": statuses["marginal"], "conflict": statuses["conflict"],
        "unknown": statuses["unknown"], "held": 0, "released": 0, "unknown_alerts": 0, "errors": 0,
    }


def store_verdicts(*, collected, writer: services.CheckWriter, bookings, run_id, now) -> tuple[dict, int]:
    """Commit one check per booking (what `writer` was given while judging), the forecasts and the provider
    calls. Returns the current check per booking id and how many bookings changed verdict."""
    current = writer.finish()
    services.forecasts_store(answers=collected.answers, fetched_at=now)
    services.provider_calls_record(calls=collected.calls, run_id=run_id)
    # Verdict changes (mostly unknown -> ok on first sight) are set-based; only the few bookings whose
    # verdict calls for a hold, a release or an alert are announced one by one afterwards.
    return current, services.weather_statuses_record(bookings=bookings, checks=current, now=now)


OUTCOME_COUNTS = {"held": "held", "released": "released", "unknown_alert": "unknown_alerts"}


def announce_verdicts(bookings, *, checks, now, deadline: float,
                      hand_off: Callable[[int, int], None] | None = None) -> dict:
    """Send `verdict_committed` for each booking whose committed check calls for a reaction, one at a time with
    no transaction open, and count what the receivers did. With `hand_off(booking_id, check_id)`, each such
    booking becomes its own task instead (a shard on Lambda or Celery), acted on by `act_on_verdict`."""
    counts = {"held": 0, "released": 0, "unknown_alerts": 0, "errors": 0, "deferred": 0, "handed_off": 0}
    for booking in bookings:
        if not services.outcome_needs_action(booking=booking, check=checks[booking.pk]):
            continue
        if hand_off is not None:
            try:
                hand_off(booking.pk, checks[booking.pk].pk)
            except Exception:
                # Not handed off: the booking is still not held (or released), so the next run acts on it.
                logger.exception("could not hand off the weather outcome of booking %s", booking.pk)
                counts["errors"] += 1
            else:
                counts["handed_off"] += 1
            continue
        if time.monotonic() > deadline:
            # A burst of first detections (each opens a reschedule request) must not outlive the
            # scheduler's time limit; the next run finds these bookings not yet held and acts then.
            counts["deferred"] += 1
            continue
        try:
            answers = verdict_committed.send(sender=WeatherCheck, booking=booking, check=checks[booking.pk], now=now)
        except Exception:
            # One booking's failure (a notification bug, a solver error) must not stop the others;
            # nothing of it was committed, so the next run tries again.
            logger.exception("weather outcome failed for booking %s", booking.pk)
            counts["errors"] += 1
            continue
        for _receiver, outcome in answers:
            if outcome in OUTCOME_COUNTS:
                counts[OUTCOME_COUNTS[outcome]] += 1
    return counts


def act_on_verdict(*, booking_id: int, check_id: int, now=None) -> str:
    """One booking's reaction to a committed check, as its own task: held, released, an alert, or nothing when
    the booking changed meanwhile or a later check superseded this one (so a retried task acts once)."""
    now = now or timezone.now()
    booking = booking_for_weather_monitor(booking_id=booking_id)
    check = WeatherCheck.objects.filter(pk=check_id).first()
    if booking is None or check is None:
        return "gone"
    latest = latest_checks(booking_ids=[booking_id], fields=("id",)).get(booking_id)
    if latest is not None and latest.pk != check.pk:
        return "superseded"
    if not services.outcome_needs_action(booking=booking, check=check):
        return "nothing to do"
    answers = verdict_committed.send(sender=WeatherCheck, booking=booking, check=check, now=now)
    return next((outcome for _receiver, outcome in answers if outcome), "nothing to do")


def outcome_deadline(context, *, started: float) -> float:
    """The monotonic time after which the run stops acting on verdicts and leaves the rest to the next run.

    On Lambda the invocation's own remaining time decides (Zappa passes the context to the job), less a
    margin for reporting; elsewhere WEATHER_OUTCOME_BUDGET_SECONDS after the start.
    """
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        return started + max(0.0, remaining() / 1000 - LAMBDA_MARGIN_SECONDS)
    return started + float(settings.WEATHER_OUTCOME_BUDGET_SECONDS)


def emit_monitor_metrics(summary: dict) -> None:
    """The sweep's figures as metrics under Job=weather-monitor (the provider-failure alarm watches them): once
    per run swept in one piece, once per shard of a fanned-out run."""
    metrics = {
        "WeatherBookingsChecked": summary["bookings"],
        "WeatherConflicts": summary["conflict"],
        "WeatherUnknown": summary["unknown"],
        "WeatherMonitorSeconds": summary["seconds"],
    }
    units = {"WeatherBookingsChecked": "Count", "WeatherConflicts": "Count", "WeatherUnknown": "Count",
             "WeatherMonitorSeconds": "Seconds"}
    if summary["provider_success_rate"] is not None:
        metrics["WeatherProviderSuccessRate"] = round(summary["provider_success_rate"] * 100, 2)
        units["WeatherProviderSuccessRate"] = "Percent"
    emit(metrics, units=units, dimensions={"Job": "weather-monitor"})
