"""Writes: stored forecasts, provider call records, weather checks, minimums, and a check's consequences."""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from audit.services import audit_record
from bookings.models import BookingStatus, HoldReason
from bookings.services import bookings_record_weather_bulk
from config.exceptions import ApplicationError
from config.memo import by_identity
from config.sql import id_set
from weather import forecasts
from weather.judging import CONFLICT, OK, UNKNOWN, WindowJudgement
from weather.models import ForecastSeries, ProviderCall, WeatherCheck, WeatherMinimums
from weather.providers.base import HourlyWeather
from weather.selectors import CHECK_CHUNK, latest_checks

FORECAST_KEEP_PAST = timedelta(hours=6)
# New check rows per INSERT: each carries its points and reasons as JSON, a few kB, so 10,000 is tens of MB.
CHECK_INSERT_BATCH = 10_000


@transaction.atomic
def forecasts_store(*, answers: Mapping[str, Mapping[str, Sequence[HourlyWeather]]], fetched_at: datetime) -> int:
    """Keep each answering provider's latest series per location; rewrite only the series that changed.

    A provider that failed this run keeps its previous series until they run out, so candidate slots can
    still be judged from the last forecast it gave. Returns how many series were written.
    """
    wanted = {}
    for provider, by_location in answers.items():
        for key, hours in by_location.items():
            if not hours:
                continue
            rows = [forecasts.encode(h) for h in sorted(hours, key=lambda h: h.valid_at)]
            digest = hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()
            wanted[(key, provider)] = (rows, digest, hours)
    existing = {}
    keys = sorted({key for key, _provider in wanted})
    for start in range(0, len(keys), 2000):
        for key, provider, digest in (ForecastSeries.objects.filter(location_key__in=keys[start:start + 2000])
                                      .values_list("location_key", "provider", "digest")):
            existing[(key, provider)] = digest
    changed = [
        ForecastSeries(location_key=key, provider=provider, valid_from=min(h.valid_at for h in hours),
                       valid_until=max(h.valid_at for h in hours), hours=rows, digest=digest, fetched_at=fetched_at)
        for (key, provider), (rows, digest, hours) in wanted.items() if existing.get((key, provider)) != digest
    ]
    if changed:
        ForecastSeries.objects.bulk_create(changed, batch_size=500, update_conflicts=True,
                                           unique_fields=["location_key", "provider"],
                                           update_fields=["valid_from", "valid_until", "hours", "digest",
                                                          "fetched_at"])
    ForecastSeries.objects.filter(valid_until__lt=fetched_at - FORECAST_KEEP_PAST).delete()
    return len(changed)


def provider_calls_record(*, calls: Iterable[dict], run_id: str) -> int:
    rows = [ProviderCall(run_id=run_id, **call) for call in calls]
    ProviderCall.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _fingerprint_json(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def check_fingerprint(*, judgement: WindowJudgement, minimums: dict, providers: list,
                      encoded: dict | None = None) -> str:
    """A digest of what a check says: its status, reasons, judged points, minimums and providers.

    With `encoded` (a dict kept for one batch of checks), the JSON of parts that checks share by identity (a
    point's values judged once for many windows, one minimums dict per kind of flight, one provider report per
    route) is encoded once. The digest is the same either way: a JSON list is its items' JSON joined by ", ".
    """
    if encoded is None:
        payload = _fingerprint_json([judgement.status, judgement.reasons, judgement.points, minimums, providers])
    else:
        def shared(value) -> str:
            return by_identity(encoded, value, _fingerprint_json)

        points = "[" + ", ".join(shared(point) for point in judgement.points) + "]"
        payload = "[" + ", ".join((_fingerprint_json(judgement.status), _fingerprint_json(judgement.reasons),
                                   points, shared(minimums), shared(providers))) + "]"
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class CheckInput:
    booking_id: int
    window_start: datetime
    window_end: datetime
    training_level: str
    judgement: WindowJudgement
    minimums: dict
    providers: list
    # `check_fingerprint` of the above, when the caller worked it out already (the monitor does while it waits
    # on the providers); checks_record works it out otherwise.
    fingerprint: str | None = None


@transaction.atomic
def checks_record(*, checks: Sequence[CheckInput], now: datetime, run_id: str) -> dict[int, WeatherCheck]:
    """One check per booking. The same judgement as the booking's latest check only moves its `checked_at`,
    so repeated runs with the same weather add no rows. Returns the current check per booking id, with
    `status` and `reasons` readable without another query.

    A fixed number of statements whatever the number of checks (up to 20,000 per statement).
    """
    if not checks:
        return {}
    latest = latest_checks(booking_ids=[c.booking_id for c in checks], fields=("id", "booking_id", "fingerprint"))
    return _store_checks(checks, latest=latest, now=now, run_id=run_id)


def _store_checks(checks: Sequence[CheckInput], *, latest: Mapping[int, WeatherCheck], now: datetime,
                  run_id: str, shared: dict | None = None) -> dict[int, WeatherCheck]:
    unchanged, new_rows, current = [], [], {}
    encoded: dict = {}
    for c in checks:
        fingerprint = c.fingerprint or check_fingerprint(judgement=c.judgement, minimums=c.minimums,
                                                         providers=c.providers, encoded=encoded)
        previous = latest.get(c.booking_id)
        if previous is not None and previous.fingerprint == fingerprint:
            # The fingerprint covers status and reasons: set them from the judgement rather than leaving
            # deferred fields that would each cost a query when the outcome is decided.
            previous.status, previous.reasons, previous.checked_at = c.judgement.status, c.judgement.reasons, now
            unchanged.append(previous.id)
            current[c.booking_id] = previous
            continue
        new_rows.append(WeatherCheck(
            booking_id=c.booking_id, status=c.judgement.status, reasons=c.judgement.reasons,
            window_start=c.window_start, window_end=c.window_end, training_level=c.training_level,
            minimums=c.minimums, providers=c.providers, agreement=c.judgement.agreement, points=c.judgement.points,
            confidence=c.judgement.confidence, fingerprint=fingerprint, run_id=run_id, created_at=now, checked_at=now,
        ))
    for start in range(0, len(unchanged), CHECK_CHUNK):
        WeatherCheck.objects.filter(id__in=id_set(unchanged[start:start + CHECK_CHUNK])).update(checked_at=now)
    _insert_checks(new_rows, shared=shared)
    for check in new_rows:
        current[check.booking_id] = check
    return current


# Checks per batch that a `CheckWriter` stores while the run goes on judging: a 10,000-booking sweep in ten. The
# last batch is what is left to store once judging ends: 2,500 checks took 0.5-0.9 s of a first sight there,
# 1,000 0.2-0.25 s.
CHECK_STREAM_BATCH = 1000
_DONE, _ABANDON = object(), object()


class _Abandoned(Exception):
    pass


class CheckWriter:
    """`checks_record` for a run that judges its bookings route by route while it still waits on the providers:
    each CHECK_STREAM_BATCH checks given to `add` are stored at once by a thread of its own, so PostgreSQL writes
    them on the other core meanwhile (a 10,000-booking first sight's checks take it more than a second), and
    `finish` has only the last batch left to store.

    The thread uses the caller's database connection, so its transaction (a test's too): from the writer's
    start to `finish` or `abandon`, the caller's thread must leave the database alone. All checks are stored in
    one transaction, committed by `finish` (which returns what `checks_record` returns) or rolled back by
    `abandon` (the fetch failed), which does nothing after `finish`. A run of at most one batch starts no
    thread: `finish` calls `checks_record`.
    """

    def __init__(self, *, booking_ids: Sequence[int], now: datetime, run_id: str):
        self._now, self._run_id, self._booking_ids = now, run_id, list(booking_ids)
        self._pending: list[CheckInput] = []
        self._current: dict[int, WeatherCheck] = {}
        self._error: BaseException | None = None
        self._thread = None
        if len(self._booking_ids) > CHECK_STREAM_BATCH:
            self._shared = connections[DEFAULT_DB_ALIAS]
            self._shared.ensure_connection()
            self._shared.inc_thread_sharing()
            self._batches: queue.SimpleQueue = queue.SimpleQueue()
            self._thread = threading.Thread(target=self._write, name="weather-checks", daemon=True)
            self._thread.start()

    def add(self, check: CheckInput) -> None:
        self._pending.append(check)
        if self._thread is not None and len(self._pending) >= CHECK_STREAM_BATCH:
            self._batches.put(self._pending)
            self._pending = []

    def finish(self) -> dict[int, WeatherCheck]:
        if self._thread is None:
            return checks_record(checks=self._pending, now=self._now, run_id=self._run_id)
        if self._pending:
            self._batches.put(self._pending)
            self._pending = []
        self._stop(_DONE)
        if self._error is not None:
            raise self._error
        return self._current

    def abandon(self) -> None:
        if self._thread is not None:
            self._stop(_ABANDON)

    def _stop(self, signal) -> None:
        self._batches.put(signal)
        self._thread.join()
        self._thread = None
        self._shared.dec_thread_sharing()

    def _write(self) -> None:
        connections[DEFAULT_DB_ALIAS] = self._shared
        try:
            with transaction.atomic():
                latest = latest_checks(booking_ids=self._booking_ids, fields=("id", "booking_id", "fingerprint"))
                shared: dict = {}  # the JSON of the checks' shared parts, for every batch
                while (batch := self._batches.get()) is not _DONE:
                    if batch is _ABANDON:
                        raise _Abandoned
                    self._current.update(_store_checks(batch, latest=latest, now=self._now, run_id=self._run_id,
                                                       shared=shared))
        except _Abandoned:
            pass
        except BaseException as exc:  # raised by finish, on the caller's thread
            self._error = exc
            while self._batches.get() not in (_DONE, _ABANDON):
                pass  # the caller still hands over its batches: take them until it stops


# The columns of weather_weathercheck as its migrations define them; a test compares this with the model.
_INSERT_CHECKS_SQL = """
    INSERT INTO weather_weathercheck (booking_id, status, reasons, window_start, window_end, training_level,
                                      minimums, providers, agreement, points, confidence, fingerprint, run_id,
                                      created_at, checked_at)
    SELECT booking_id, status, reasons, window_start, window_end, training_level, minimums, providers, agreement,
           points, confidence, fingerprint, run_id, created_at, checked_at
    FROM json_to_recordset(%s::json) AS r(booking_id bigint, status varchar(16), reasons jsonb,
                                          window_start timestamptz, window_end timestamptz,
                                          training_level varchar(32), minimums jsonb, providers jsonb,
                                          agreement jsonb, points jsonb, confidence jsonb, fingerprint varchar(64),
                                          run_id varchar(64), created_at timestamptz, checked_at timestamptz)
    RETURNING id, booking_id
"""


def _insert_checks(rows: list[WeatherCheck], *, shared: dict | None = None) -> None:
    """Insert new checks (at most one per booking) and set their ids.

    On PostgreSQL every row travels inside one JSON document expanded by json_to_recordset: the ORM's
    bulk insert spends about a millisecond per check compiling and quoting its JSON columns (10 s for a
    10,000-booking first sweep), while the server reads one document in a fraction of that. A check's points,
    minimums and provider report are objects that many checks share (a place and hour's verdict judged once,
    one minimums dict per kind of flight, one report per route): each is encoded once into `shared` (kept by a
    `CheckWriter` across its batches) and its JSON spliced into every row that holds it.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        WeatherCheck.objects.bulk_create(rows, batch_size=1000)
        return
    by_booking = {row.booking_id: row for row in rows}
    shared = {} if shared is None else shared
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHECK_INSERT_BATCH):
            cursor.execute(_INSERT_CHECKS_SQL, [_checks_document(rows[start:start + CHECK_INSERT_BATCH], shared)])
            for pk, booking_id in cursor.fetchall():
                check = by_booking[booking_id]
                check.pk = pk
                check._state.adding, check._state.db = False, connection.alias


def _document_json(value) -> str:
    return json.dumps(value, separators=(",", ":"), cls=DjangoJSONEncoder)


def _checks_document(rows: Sequence[WeatherCheck], shared: dict) -> str:
    """The JSON array `_INSERT_CHECKS_SQL` reads: each row's own fields encoded, its shared parts spliced in."""
    def encoded(value) -> str:
        return by_identity(shared, value, _document_json)

    items = []
    for r in rows:
        own = _document_json({
            "booking_id": r.booking_id, "status": r.status, "reasons": r.reasons,
            "window_start": r.window_start.isoformat(), "window_end": r.window_end.isoformat(),
            "training_level": r.training_level, "agreement": r.agreement, "confidence": r.confidence,
            "fingerprint": r.fingerprint, "run_id": r.run_id,
            "created_at": r.created_at.isoformat(), "checked_at": r.checked_at.isoformat()})
        points = ",".join(encoded(point) for point in r.points)
        items.append(f'{own[:-1]},"points":[{points}],"minimums":{encoded(r.minimums)},'
                     f'"providers":{encoded(r.providers)}}}')
    return "[" + ",".join(items) + "]"


@transaction.atomic
def minimums_update(*, minimums: WeatherMinimums, actor, **changes) -> WeatherMinimums:
    """Change one training level's minimums; later checks apply them, earlier checks keep what they applied."""
    allowed = {"ceiling_ft", "visibility_sm", "wind_kt", "gust_kt", "crosswind_kt", "imc_allowed", "night_allowed",
               "solo_visibility_margin_sm", "solo_ceiling_margin_ft", "solo_wind_margin_kt"}
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError("These minimums cannot be changed.", code="invalid",
                               fields={name: ["Unknown field."] for name in sorted(unknown)})
    before = minimums.as_dict()
    for name, value in changes.items():
        setattr(minimums, name, value)
    minimums.full_clean()
    minimums.save()
    audit_record(action="weather.minimums_changed", object_type="weather_minimums", object_id=minimums.pk,
                 actor=actor, before=before, after=minimums.as_dict())
    return minimums


def weather_statuses_record(*, bookings: Sequence, checks: Mapping[int, WeatherCheck], now: datetime) -> int:
    """Store every changed verdict on its booking in a few set-based statements (audited per booking).

    "unknown" is never stored on a booking: no usable data must not overwrite the last real verdict. The
    in-memory bookings are updated too, so deciding the outcomes afterwards sees what the database holds.
    Returns how many bookings changed verdict.
    """
    changed = [booking for booking in bookings
               if (check := checks.get(booking.pk)) is not None and check.status != UNKNOWN
               and booking.weather_status != check.status]
    if not changed:
        return 0
    count = bookings_record_weather_bulk(
        changes=[(b.pk, b.weather_status, checks[b.pk].status) for b in changed], checked_at=now)
    for booking in changed:
        booking.weather_status, booking.weather_checked_at = checks[booking.pk].status, now
    return count


def outcome_needs_action(*, booking, check: WeatherCheck) -> bool:
    """Whether rescheduling could do anything for this booking once its verdict is stored: a conflict on a
    flight still going ahead, an ok on a held one, or no usable data at all."""
    if check.status == UNKNOWN:
        return True
    if booking.weather_status != check.status:
        return True
    if check.status == CONFLICT:
        return booking.status in (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED)
    return (check.status == OK and booking.status == BookingStatus.WEATHER_HOLD
            and booking.hold_reason != HoldReason.MAINTENANCE)
