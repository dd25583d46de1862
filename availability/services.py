"""Writes for availability: weekly patterns and dated exceptions, kept by operations staff."""

import zoneinfo
from datetime import date, datetime, time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from audit.services import audit_record
from availability.models import AvailabilityException, AvailabilityPattern
from config.exceptions import ApplicationError

PATTERN_FIELDS = ("instructor", "aircraft", "weekday", "start_time", "end_time", "valid_from", "valid_until")
EXCEPTION_FIELDS = ("instructor", "aircraft", "start", "end", "reason")


def _snapshot(obj, fields) -> dict:
    out = {}
    for field in fields:
        value = getattr(obj, field)
        out[field] = value.pk if hasattr(value, "pk") else value
    return out


def _clean_owner(*, instructor, aircraft, errors: dict) -> None:
    if (instructor is None) == (aircraft is None):
        errors["non_field_errors"] = ["Give either an instructor or an aircraft, not both."]
    elif instructor is not None and instructor.role != Role.INSTRUCTOR:
        errors["instructor"] = ["Choose an instructor."]


def _clean_pattern(values: dict) -> None:
    errors: dict = {}
    _clean_owner(instructor=values.get("instructor"), aircraft=values.get("aircraft"), errors=errors)
    weekday = values.get("weekday")
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        errors["weekday"] = ["A weekday is 0 (Monday) to 6 (Sunday)."]
    start_time, end_time = values.get("start_time"), values.get("end_time")
    if not isinstance(start_time, time) or not isinstance(end_time, time):
        errors["start_time"] = ["Start and end times are required."]
    elif end_time <= start_time:
        errors["end_time"] = ["The end must be after the start; split a window that crosses midnight in two."]
    valid_from, valid_until = values.get("valid_from"), values.get("valid_until")
    if not isinstance(valid_from, date):
        errors["valid_from"] = ["A first valid date is required."]
    elif valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = ["The last valid date cannot be before the first."]
    if errors:
        raise ApplicationError("The availability pattern is not valid.", fields=errors)


def _clean_exception(values: dict) -> None:
    errors: dict = {}
    _clean_owner(instructor=values.get("instructor"), aircraft=values.get("aircraft"), errors=errors)
    start, end = values.get("start"), values.get("end")
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime):
            errors[name] = ["A date and time is required."]
        elif timezone.is_naive(value):
            errors[name] = ["Give the time with its UTC offset, e.g. 2026-05-01T14:00:00Z."]
    if "start" not in errors and "end" not in errors and end <= start:
        errors["end"] = ["The end must be after the start."]
    if errors:
        raise ApplicationError("The availability exception is not valid.", fields=errors)


@transaction.atomic
def pattern_create(*, actor, weekday: int, start_time: time, end_time: time, valid_from: date | None = None,
                   valid_until: date | None = None, instructor=None, aircraft=None,
                   now: datetime | None = None) -> AvailabilityPattern:
    """A weekly window; without `valid_from` it holds from today, as the school's clock reads it."""
    if valid_from is None:
        valid_from = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(settings.SCHOOL_TIME_ZONE)).date()
    values = {"instructor": instructor, "aircraft": aircraft, "weekday": weekday, "start_time": start_time,
              "end_time": end_time, "valid_from": valid_from, "valid_until": valid_until}
    _clean_pattern(values)
    pattern = AvailabilityPattern.objects.create(**values)
    audit_record(action="availability_pattern.created", object_type="availability_pattern", object_id=pattern.pk,
                 actor=actor, after=_snapshot(pattern, PATTERN_FIELDS))
    return pattern


def _update(obj, *, fields: tuple, clean, object_type: str, noun: str, actor, changes: dict):
    """Apply `changes` to a pattern or an exception after the same checks as creating one; audit what moved."""
    unknown = set(changes) - set(fields)
    if unknown:
        raise ApplicationError("Unknown fields.", fields={n: [f"Not {noun} field."] for n in unknown})
    before = _snapshot(obj, fields)
    values = {field: changes.get(field, getattr(obj, field)) for field in fields}
    clean(values)
    for field, value in values.items():
        setattr(obj, field, value)
    obj.save()
    after = _snapshot(obj, fields)
    if before != after:
        audit_record(action=f"{object_type}.updated", object_type=object_type, object_id=obj.pk, actor=actor,
                     before=before, after=after)
    return obj


def _delete(obj, *, fields: tuple, object_type: str, actor) -> None:
    before = _snapshot(obj, fields)
    pk = obj.pk
    obj.delete()
    audit_record(action=f"{object_type}.deleted", object_type=object_type, object_id=pk, actor=actor, before=before)


@transaction.atomic
def pattern_update(*, pattern: AvailabilityPattern, actor, **changes) -> AvailabilityPattern:
    return _update(pattern, fields=PATTERN_FIELDS, clean=_clean_pattern, object_type="availability_pattern",
                   noun="a pattern", actor=actor, changes=changes)


@transaction.atomic
def pattern_delete(*, pattern: AvailabilityPattern, actor) -> None:
    _delete(pattern, fields=PATTERN_FIELDS, object_type="availability_pattern", actor=actor)


@transaction.atomic
def exception_create(*, actor, start: datetime, end: datetime, reason: str = "", instructor=None,
                     aircraft=None) -> AvailabilityException:
    """Block time off or maintenance. Bookings already inside the block stay: staff see them in the admin."""
    values = {"instructor": instructor, "aircraft": aircraft, "start": start, "end": end, "reason": reason or ""}
    _clean_exception(values)
    exception = AvailabilityException.objects.create(**values)
    audit_record(action="availability_exception.created", object_type="availability_exception",
                 object_id=exception.pk, actor=actor, after=_snapshot(exception, EXCEPTION_FIELDS))
    return exception


@transaction.atomic
def exception_update(*, exception: AvailabilityException, actor, **changes) -> AvailabilityException:
    return _update(exception, fields=EXCEPTION_FIELDS, clean=_clean_exception, object_type="availability_exception",
                   noun="an exception", actor=actor, changes=changes)


@transaction.atomic
def exception_delete(*, exception: AvailabilityException, actor) -> None:
    _delete(exception, fields=EXCEPTION_FIELDS, object_type="availability_exception", actor=actor)
