"""The weather monitor fanned out: shards of departure airports, each swept in its own invocation or task.

A sweep of 10,000 bookings at 200 airports does not fit one small Lambda invocation (512 MB buys about a third
of a vCPU; the timeout is 30 s). `run_monitor` then plans shards of at most WEATHER_SHARD_AIRPORTS departure
airports and about WEATHER_SHARD_MAX_BOOKINGS bookings, writes one `MonitorShard` row each and dispatches them:

- `lambda`: an asynchronous invocation (InvocationType Event) of this very function whose event is a Zappa
  command, `{"command": "weather.shards.shard_event", "run_id", "index"}`: Zappa's handler runs
  `shard_event(event, context)`, so the shard budgets by its own invocation's remaining time;
- `celery`: the task `weather.tasks.run_shard` on the broker;
- `inline`: one after another in this process (a machine with no workers, the benchmark).

A shard sweeps as the monitor does (fetch, judge, store) for the bookings departing from its airports; then,
on Lambda and Celery, each booking whose verdict calls for a reaction (a hold with its options, Claude and
messages; a release; an alert) becomes a task of its own (`outcome_event`, `weather.tasks.act_on_verdict`),
acted on after the verdict's commit with no transaction open; inline, the shard acts one booking at a time.

A shard is claimed with a conditional UPDATE, so a retry (Lambda retries a failed asynchronous invocation twice,
Celery retries the task) takes over only a shard that failed or whose claim lapsed (its invocation timed out),
never one that finished; one whose verdicts were already stored acts on them without fetching again. Two runs
overlapping on the same airports act once: each shard holds a PostgreSQL advisory lock on its first airport
while it runs, acting claims every row with a conditional UPDATE, and notifications carry idempotency keys.
"""

from config.bootstrap import ensure_django

ensure_django()

import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F, Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from bookings.selectors import bookings_for_weather_monitor  # noqa: E402
from config.request_context import job_context  # noqa: E402
from weather.jobs import act_on_verdict, announce_verdicts, emit_monitor_metrics, outcome_deadline, sweep  # noqa: E402
from weather.models import MonitorShard, ShardStatus  # noqa: E402
from weather.selectors import latest_checks  # noqa: E402

logger = logging.getLogger(__name__)

# pg_try_advisory_lock(namespace, first airport id) while a shard runs; any constant no other lock uses.
SHARD_LOCK_NAMESPACE = 875_877_780
# Counts a fanned-out run adds up from its inline shards, as an unsharded run reports them.
SUMMED = ("bookings", "locations", "provider_calls", "provider_successes", "ok", "marginal", "conflict", "unknown",
          "held", "released", "unknown_alerts", "errors", "deferred", "handed_off", "verdicts_changed")


def shard_airports(routes) -> list[list[int]]:
    """Departure airport ids of `routes` (`bookings.selectors.flight_routes`), in shards: consecutive airports
    (by id) until a shard has WEATHER_SHARD_AIRPORTS of them or about WEATHER_SHARD_MAX_BOOKINGS bookings.
    WEATHER_SHARD_AIRPORTS = 0 keeps every sweep in one piece."""
    counts: dict[int, int] = {}
    for departure, _destination, bookings in routes:
        counts[departure.pk] = counts.get(departure.pk, 0) + bookings
    per_airport = sorted(counts.items())
    limit_airports, limit_bookings = settings.WEATHER_SHARD_AIRPORTS, settings.WEATHER_SHARD_MAX_BOOKINGS
    if limit_airports <= 0:
        return [[airport for airport, _ in per_airport]] if per_airport else []
    shards: list[list[int]] = []
    size = 0
    for airport, bookings in per_airport:
        if not shards or len(shards[-1]) >= limit_airports or (size and size + bookings > limit_bookings):
            shards.append([])
            size = 0
        shards[-1].append(airport)
        size += bookings
    return shards


def dispatch_mode() -> str:
    configured = settings.WEATHER_SHARD_DISPATCH
    if configured:
        if configured not in DISPATCHERS:
            raise ValueError(f"WEATHER_SHARD_DISPATCH={configured!r}: choose one of {', '.join(DISPATCHERS)}")
        if configured == "celery" and not settings.CELERY_BROKER_URL:
            raise ValueError("WEATHER_SHARD_DISPATCH=celery needs CELERY_BROKER_URL")
        return configured
    if settings.CELERY_BROKER_URL:
        return "celery"
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return "lambda"
    return "inline"


def fan_out(*, run_id: str, plan: list[list[int]], start: datetime, end: datetime, now: datetime,
            progress: Callable[[int], None] | None = None) -> dict:
    """Write the run's shards and dispatch them. Inline, the summary adds up the shards' own; otherwise it says
    what was dispatched, and each shard reports (logs, metrics, its row) when it ends."""
    mode = dispatch_mode()
    MonitorShard.objects.bulk_create([
        MonitorShard(run_id=run_id, index=index, airport_ids=airports, window_start=start, window_end=end,
                     created_at=now)
        for index, airports in enumerate(plan)])
    summary = {"run_id": run_id, "sharded": True, "dispatch": mode, "shards": len(plan), "dispatched": 0,
               "dispatch_failures": 0}
    summaries = []
    for index in range(len(plan)):
        try:
            answer = DISPATCHERS[mode](run_id=run_id, index=index, now=now, progress=progress)
        except Exception as exc:
            # The shard stays pending with the reason; the next scheduled run sweeps its airports again.
            logger.exception("weather shard %s of %s could not be dispatched", index, run_id)
            MonitorShard.objects.filter(run_id=run_id, index=index).update(error=f"dispatch: {exc!r}"[:2000])
            summary["dispatch_failures"] += 1
            continue
        summary["dispatched"] += 1
        if isinstance(answer, dict):
            summaries.append(answer)
    if mode == "inline":
        # As Lambda and Celery retry a failed shard, so does a run that sweeps them itself: once, at the end,
        # and only the shards that failed.
        summaries = [_run_inline(run_id=run_id, index=s["shard"], now=now, progress=progress) if s.get("failed")
                     else s for s in summaries]
        summary["shard_failures"] = sum(1 for s in summaries if s.get("failed"))
    if summaries:
        for key in SUMMED:
            summary[key] = sum(s.get(key) or 0 for s in summaries)
        calls = summary["provider_calls"]
        summary["provider_success_rate"] = round(summary["provider_successes"] / calls, 4) if calls else None
        summary["shard_summaries"] = summaries
    return summary


def _run_inline(*, run_id: str, index: int, now: datetime, progress=None) -> dict:
    """The shard here and now; one that fails is reported (its row says failed) so the others still run."""
    try:
        return run_shard(run_id=run_id, index=index, progress=progress)
    except Exception as exc:
        return {"shard": index, "failed": True, "error": repr(exc)[:500]}


def _send_to_celery(*, run_id: str, index: int, now: datetime, progress=None) -> None:
    """The task `weather.tasks.run_shard` on the broker, sent by name through the configured app."""
    from config.celery_app import app

    app.send_task("weather.tasks.run_shard", kwargs={"run_id": run_id, "index": index})


def _invoke_lambda(*, run_id: str, index: int, now: datetime, progress=None) -> None:
    _invoke({"command": "weather.shards.shard_event", "run_id": run_id, "index": index})


DISPATCHERS = {"inline": _run_inline, "celery": _send_to_celery, "lambda": _invoke_lambda}


def _invoke(payload: dict) -> None:
    """An asynchronous invocation of this function with a Zappa command event (Lambda answers 202)."""
    import boto3

    answer = boto3.client("lambda").invoke(FunctionName=os.environ["AWS_LAMBDA_FUNCTION_NAME"],
                                          InvocationType="Event", Payload=json.dumps(payload).encode())
    if answer.get("StatusCode") != 202:
        raise RuntimeError(f"Lambda answered {answer.get('StatusCode')} to the invocation")


def _outcome_to_lambda(booking_id: int, check_id: int) -> None:
    _invoke({"command": "weather.shards.outcome_event", "booking_id": booking_id, "check_id": check_id})


def _outcome_to_celery(booking_id: int, check_id: int) -> None:
    from config.celery_app import app

    app.send_task("weather.tasks.act_on_verdict", kwargs={"booking_id": booking_id, "check_id": check_id})


# Where a shard hands each booking's reaction (hold, options, Claude, messages) as a task of its own.
OUTCOME_DISPATCHERS = {"inline": None, "celery": _outcome_to_celery, "lambda": _outcome_to_lambda}


def _event_fields(event, **kinds) -> dict:
    """The named fields of a command event, each converted by its kind (int, str); ValueError naming what is
    missing or unreadable."""
    if not isinstance(event, dict):
        raise ValueError(f"the event is a {type(event).__name__}, not an object")
    fields, problems = {}, []
    for name, kind in kinds.items():
        value = event.get(name)
        try:
            if value is None or isinstance(value, (bool, dict, list)):
                raise ValueError
            fields[name] = kind(value)
        except (TypeError, ValueError):
            problems.append(f"{name} {'missing' if value is None else f'unreadable ({value!r:.40})'}")
    if problems:
        raise ValueError(", ".join(problems))
    return fields


def outcome_event(event, context=None) -> str:
    """Zappa's handler calls this for one booking's reaction to its committed verdict.

    An event without a readable booking and check is refused with a logged error and no exception: Lambda
    would only retry the same event, twice, to the same end."""
    try:
        fields = _event_fields(event, booking_id=int, check_id=int)
    except ValueError as exc:
        logger.error("weather outcome event refused: %s", exc)
        return f"refused: {exc}"
    try:
        return act_on_verdict(**fields)
    except TypeError as exc:
        raise RuntimeError(f"weather outcome failed: {exc!r}") from exc


def shard_event(event, context=None) -> dict:
    """Zappa's handler calls this for the shard's asynchronous invocation, with the invocation's context.

    An event without a readable run id and shard index is refused as `outcome_event` refuses one."""
    try:
        fields = _event_fields(event, run_id=str, index=int)
    except ValueError as exc:
        logger.error("weather shard event refused: %s", exc)
        return {"refused": str(exc)}
    try:
        return run_shard(**fields, context=context)
    except TypeError as exc:
        # Zappa's handler calls a command again with fewer arguments when it raises TypeError: never run twice.
        raise RuntimeError(f"weather shard failed: {exc!r}") from exc


def _claim(*, run_id: str, index: int, now: datetime, until: datetime) -> MonitorShard | None:
    claimable = Q(status__in=[ShardStatus.PENDING, ShardStatus.FAILED]) | Q(status=ShardStatus.RUNNING,
                                                                             claimed_until__lt=now)
    won = MonitorShard.objects.filter(claimable, run_id=run_id, index=index).update(
        status=ShardStatus.RUNNING, attempts=F("attempts") + 1, claimed_until=until, error="")
    return MonitorShard.objects.get(run_id=run_id, index=index) if won else None


@contextmanager
def _shard_lock(shard: MonitorShard):
    if connection.vendor != "postgresql" or not shard.airport_ids:
        yield True
        return
    key = int(min(shard.airport_ids))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [SHARD_LOCK_NAMESPACE, key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [SHARD_LOCK_NAMESPACE, key])


def run_shard(*, run_id: str, index: int, context=None, now: datetime | None = None,
              progress: Callable[[int], None] | None = None) -> dict:
    """Sweep one shard of a run, once: a shard already done, or running under a live claim, is skipped."""
    now = now or timezone.now()
    clock, cpu = time.monotonic(), time.process_time()
    deadline = outcome_deadline(context, started=clock)
    until = now + timedelta(seconds=max(deadline - clock, 0) + 5 if context is not None
                            else settings.WEATHER_SHARD_CLAIM_SECONDS)
    shard = _claim(run_id=run_id, index=index, now=now, until=until)
    if shard is None:
        return {"shard": index, "skipped": True, "reason": "already done, or running under another claim"}
    with job_context("weather-shard") as shard_run_id, _shard_lock(shard) as acquired:
        if not acquired:
            # Another run is sweeping these airports right now: it acts for them, this run need not.
            MonitorShard.objects.filter(pk=shard.pk).update(status=ShardStatus.DONE, finished_at=timezone.now(),
                                                            summary={"skipped": "airports locked by another run"})
            return {"shard": index, "skipped": True, "reason": "another run is sweeping these airports"}
        hand_off = OUTCOME_DISPATCHERS[dispatch_mode()]
        try:
            upcoming = (bookings_for_weather_monitor(start=shard.window_start, end=shard.window_end)
                        .filter(departure_airport_id__in=shard.airport_ids))
            if shard.verdicts_stored_at is not None:
                bookings = list(upcoming)
                # A retry after the verdicts were committed: act on them, do not fetch and store again.
                checks = latest_checks(booking_ids=[b.pk for b in bookings])
                summary = {"bookings": len(bookings), "resumed": True,
                           **announce_verdicts([b for b in bookings if b.pk in checks], checks=checks, now=now,
                                               deadline=deadline, hand_off=hand_off)}
            else:
                def stored():
                    MonitorShard.objects.filter(pk=shard.pk).update(verdicts_stored_at=timezone.now())

                summary = sweep(upcoming, run_id=run_id, now=now, dry_run=False, deadline=deadline, clock=clock,
                                progress=progress, on_stored=stored, hand_off=hand_off)
                emit_monitor_metrics(summary)
        except Exception as exc:
            MonitorShard.objects.filter(pk=shard.pk).update(status=ShardStatus.FAILED, error=repr(exc)[:2000])
            logger.exception("weather shard %s of %s failed (attempt %s)", index, run_id, shard.attempts)
            raise
        summary.update(shard=index, airports=len(shard.airport_ids), attempt=shard.attempts,
                       shard_run_id=shard_run_id, cpu_seconds=round(time.process_time() - cpu, 2),
                       wall_seconds=round(time.monotonic() - clock, 2))
        MonitorShard.objects.filter(pk=shard.pk).update(status=ShardStatus.DONE, finished_at=timezone.now(),
                                                        summary={k: v for k, v in summary.items() if k != "verdicts"})
        logger.info("weather shard finished", extra={"summary": summary})
        return summary
