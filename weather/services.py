"""Writes: stored forecasts, provider call records, weather checks, minimums, and a check's consequences."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import OuterRef, Subquery

from audit.services import audit_record
from config.exceptions import ApplicationError
from weather import forecasts
from weather.judging import CONFLICT, OK, UNKNOWN, WindowJudgement
from weather.models import ForecastSeries, ProviderCall, WeatherCheck, WeatherMinimums
from weather.providers.base import HourlyWeather

FORECAST_KEEP_PAST = timedelta(hours=6)


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


def check_fingerprint(*, judgement: WindowJudgement, minimums: dict, providers: list) -> str:
    payload = json.dumps([judgement.status, judgement.reasons, judgement.points, minimums, providers],
                         sort_keys=True, default=str)
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


@transaction.atomic
def checks_record(*, checks: Sequence[CheckInput], now: datetime, run_id: str) -> dict[int, WeatherCheck]:
    """One check per booking. The same judgement as the booking's latest check only moves its `checked_at`,
    so repeated runs with the same weather add no rows. Returns the current check per booking id."""
    if not checks:
        return {}
    booking_ids = [c.booking_id for c in checks]
    latest_ids = (WeatherCheck.objects.filter(booking_id=OuterRef("booking_id"))
                  .order_by("-checked_at", "-id").values("id")[:1])
    latest = {}
    for chunk_start in range(0, len(booking_ids), 5000):
        chunk = booking_ids[chunk_start:chunk_start + 5000]
        ids = (WeatherCheck.objects.filter(booking_id__in=chunk).annotate(latest_id=Subquery(latest_ids))
               .values_list("latest_id", flat=True).distinct())
        for check in WeatherCheck.objects.filter(id__in=list(ids)).only("id", "booking_id", "fingerprint"):
            latest[check.booking_id] = check
    unchanged, new_rows, current = [], [], {}
    for c in checks:
        fingerprint = check_fingerprint(judgement=c.judgement, minimums=c.minimums, providers=c.providers)
        previous = latest.get(c.booking_id)
        if previous is not None and previous.fingerprint == fingerprint:
            unchanged.append(previous.id)
            current[c.booking_id] = previous
            continue
        new_rows.append(WeatherCheck(
            booking_id=c.booking_id, status=c.judgement.status, reasons=c.judgement.reasons,
            window_start=c.window_start, window_end=c.window_end, training_level=c.training_level,
            minimums=c.minimums, providers=c.providers, agreement=c.judgement.agreement, points=c.judgement.points,
            fingerprint=fingerprint, run_id=run_id, created_at=now, checked_at=now,
        ))
    for start in range(0, len(unchanged), 5000):
        WeatherCheck.objects.filter(id__in=unchanged[start:start + 5000]).update(checked_at=now)
    for check in WeatherCheck.objects.bulk_create(new_rows, batch_size=1000):
        current[check.booking_id] = check
    return current


@transaction.atomic
def minimums_update(*, minimums: WeatherMinimums, actor, **changes) -> WeatherMinimums:
    """Change one training level's minimums; later checks apply them, earlier checks keep what they applied."""
    allowed = {"ceiling_ft", "visibility_sm", "wind_kt", "gust_kt", "crosswind_kt", "imc_allowed"}
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


def _recipients(booking) -> list:
    return [booking.student, booking.instructor]


@transaction.atomic
def weather_outcome_apply(*, booking, check: WeatherCheck, now: datetime) -> str | None:
    """What a check means for its booking. Returns what happened: held, released, unknown_alert or None.

    The booking's hold and release are conditional updates in the bookings service, so of two monitor
    runs judging the same booking only one acts; notifications carry idempotency keys on top.
    """
    from bookings.models import BookingStatus
    from bookings.services import (
        booking_place_on_weather_hold,
        booking_record_weather,
        booking_release_weather_hold,
    )
    from notifications.services import notify
    from rescheduling.services import reschedule_request_open, reschedule_requests_supersede

    status = check.status
    if status == UNKNOWN:
        return _unknown_alert(booking=booking, check=check, now=now)
    if booking.weather_status != status:
        booking_record_weather(booking=booking, weather_status=status, checked_at=now)
    if status == CONFLICT and booking.status in (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED):
        if not booking_place_on_weather_hold(booking=booking, now=now):
            return None
        audit_record(action="weather.conflict", object_type="booking", object_id=booking.pk,
                     before={"weather_status": booking.weather_status},
                     after={"weather_status": CONFLICT, "reasons": check.reasons, "check_id": check.pk})
        request = reschedule_request_open(booking=booking, now=now, reasons=list(check.reasons))
        notify(kind="weather_conflict", recipients=_recipients(booking), booking=booking,
               reschedule_request=request, reasons=list(check.reasons),
               idempotency_key=f"weather_conflict:{booking.pk}:{check.pk}", event_at=now)
        return "held"
    if status == OK and booking.status == BookingStatus.WEATHER_HOLD:
        if not booking_release_weather_hold(booking=booking, now=now):
            return None
        audit_record(action="weather.cleared", object_type="booking", object_id=booking.pk,
                     before={"status": BookingStatus.WEATHER_HOLD}, after={"check_id": check.pk})
        reschedule_requests_supersede(booking=booking, reason="weather_cleared", now=now)
        notify(kind="weather_cleared", recipients=_recipients(booking), booking=booking,
               idempotency_key=f"weather_cleared:{booking.pk}:{check.pk}", event_at=now)
        return "released"
    return None


def _unknown_alert(*, booking, check: WeatherCheck, now: datetime) -> str | None:
    """No usable forecast never changes a booking; operations staff hear about it once per booking per day."""
    from accounts.selectors import operations_staff
    from notifications.services import notify

    created = notify(kind="weather_unknown", recipients=list(operations_staff()), booking=booking,
                     reasons=list(check.reasons), idempotency_key=f"weather_unknown:{booking.pk}:{now.date():%Y-%m-%d}",
                     event_at=now)
    return "unknown_alert" if created else None
