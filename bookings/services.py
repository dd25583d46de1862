"""Writes for airports, aircraft and bookings.

Double-booking is prevented twice over. The service takes a transaction-scoped lock per party (student,
instructor, aircraft), always in the same order, then looks for overlapping active bookings and answers
409 `booking_conflict` naming them. On PostgreSQL exclusion constraints are the last guard: if anything
slips past the check, the IntegrityError becomes the same 409.
"""

from datetime import datetime, timedelta

import airportsdata
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Role
from audit.services import audit_record
from availability import selectors as availability_selectors
from bookings.models import (
    ACTIVE_STATUSES,
    Aircraft,
    AircraftStatus,
    Airport,
    Booking,
    BookingStatus,
    LessonType,
    WeatherStatus,
    validate_runway_headings,
)
from bookings.selectors import active_bookings_for_parties
from config.exceptions import ApplicationError, ConflictError, ForbiddenError, NotFoundError

MIN_DURATION = timedelta(minutes=15)
MAX_DURATION = timedelta(hours=12)
# Far enough for any lesson plan; further out, availability and the forecast mean nothing.
MAX_ADVANCE = timedelta(days=730)
# Statuses a booking may be created in; the others are reached through the services below.
CREATABLE_STATUSES = (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED, BookingStatus.COMPLETED)
BOOKING_AUDIT_FIELDS = ("student_id", "instructor_id", "aircraft_id", "departure_airport_id",
                        "destination_airport_id", "start", "end", "lesson_type", "status", "status_before_hold",
                        "weather_status", "rescheduled_from_id", "notes", "cancel_reason", "cancelled_by_id")
EDITABLE_FIELDS = {"student", "instructor", "aircraft", "departure_airport", "destination_airport", "start", "end",
                   "lesson_type", "notes", "status", "override_availability"}
# Advisory lock namespaces, one per kind of party, so student 7 and aircraft 7 are different locks.
LOCK_NAMESPACES = {"aircraft": 7301, "instructor": 7302, "student": 7303}

_airport_database = None


class BookingBusy(ConflictError):
    """Another booking for the same people or aircraft is being written; trying again shortly will work."""

    default_code = "booking_busy"


def _airports() -> dict:
    global _airport_database
    if _airport_database is None:
        _airport_database = airportsdata.load("ICAO")
    return _airport_database


def booking_snapshot(booking: Booking) -> dict:
    return {field: getattr(booking, field) for field in BOOKING_AUDIT_FIELDS}


# --- airports ----------------------------------------------------------------------------------

def airport_get_or_create(icao: str) -> Airport:
    """The airport for an ICAO code, created from the bundled airport database the first time it is named."""
    code = (icao or "").strip().upper()
    existing = Airport.objects.filter(icao=code).first()
    if existing:
        return existing
    data = _airports().get(code)
    if data is None:
        raise ApplicationError(f"{code or 'An empty code'} is not an ICAO airport code we know.",
                               code="unknown_airport", fields={"icao": [f"Unknown ICAO code {code!r}."]})
    with transaction.atomic():
        airport, created = Airport.objects.get_or_create(icao=code, defaults={
            "name": data["name"], "city": data.get("city", ""), "country": data.get("country", ""),
            "latitude": data["lat"], "longitude": data["lon"], "elevation_ft": data.get("elevation") or 0,
            "time_zone": data["tz"],
        })
        if created:
            audit_record(action="airport.created", object_type="airport", object_id=airport.pk,
                         after={"icao": airport.icao, "name": airport.name, "time_zone": airport.time_zone})
    return airport


@transaction.atomic
def airport_update(*, airport: Airport, actor, runway_headings: list[int] | None = None,
                   name: str | None = None) -> Airport:
    before = {"runway_headings": airport.runway_headings, "name": airport.name}
    if runway_headings is not None:
        try:
            validate_runway_headings(runway_headings)
        except Exception as exc:
            raise ApplicationError("Runway headings are not valid.", fields={"runway_headings": exc.messages})
        airport.runway_headings = sorted(set(runway_headings))
    if name is not None:
        airport.name = name
    airport.save()
    after = {"runway_headings": airport.runway_headings, "name": airport.name}
    if before != after:
        audit_record(action="airport.updated", object_type="airport", object_id=airport.pk, actor=actor,
                     before=before, after=after)
    return airport


# --- aircraft ----------------------------------------------------------------------------------

def _aircraft_snapshot(aircraft: Aircraft) -> dict:
    return {"tail_number": aircraft.tail_number, "model": aircraft.model,
            "home_airport": aircraft.home_airport.icao, "status": aircraft.status}


def _clean_aircraft(*, tail_number, status, exclude_pk=None) -> dict:
    errors = {}
    if tail_number is not None:
        if not tail_number.strip():
            errors["tail_number"] = ["A tail number is required."]
        elif Aircraft.objects.filter(tail_number__iexact=tail_number.strip()).exclude(pk=exclude_pk).exists():
            errors["tail_number"] = ["Another aircraft already has this tail number."]
    if status is not None and status not in AircraftStatus.values:
        errors["status"] = [f"Choose one of: {', '.join(AircraftStatus.values)}."]
    return errors


@transaction.atomic
def aircraft_create(*, actor, tail_number: str, model: str, home_airport: Airport | str,
                    status: str = AircraftStatus.AVAILABLE) -> Aircraft:
    if isinstance(home_airport, str):
        home_airport = airport_get_or_create(home_airport)
    errors = _clean_aircraft(tail_number=tail_number, status=status)
    if errors:
        raise ApplicationError("The aircraft could not be added.", fields=errors)
    aircraft = Aircraft.objects.create(tail_number=tail_number.strip().upper(), model=model.strip(),
                                       home_airport=home_airport, status=status)
    audit_record(action="aircraft.created", object_type="aircraft", object_id=aircraft.pk, actor=actor,
                 after=_aircraft_snapshot(aircraft))
    return aircraft


@transaction.atomic
def aircraft_update(*, aircraft: Aircraft, actor, **changes) -> Aircraft:
    unknown = set(changes) - {"tail_number", "model", "home_airport", "status"}
    if unknown:
        raise ApplicationError("Unknown fields.", fields={name: ["Not an aircraft field."] for name in unknown})
    before = _aircraft_snapshot(aircraft)
    errors = _clean_aircraft(tail_number=changes.get("tail_number"), status=changes.get("status"),
                             exclude_pk=aircraft.pk)
    if errors:
        raise ApplicationError("The aircraft could not be updated.", fields=errors)
    if isinstance(changes.get("home_airport"), str):
        changes["home_airport"] = airport_get_or_create(changes["home_airport"])
    if "tail_number" in changes:
        changes["tail_number"] = changes["tail_number"].strip().upper()
    for field, value in changes.items():
        setattr(aircraft, field, value)
    aircraft.save()
    after = _aircraft_snapshot(aircraft)
    if before != after:
        audit_record(action="aircraft.updated", object_type="aircraft", object_id=aircraft.pk, actor=actor,
                     before=before, after=after)
    return aircraft


# --- booking rules -----------------------------------------------------------------------------

def _resolve_airport(value, field: str, errors: dict) -> Airport | None:
    if isinstance(value, Airport):
        return value
    try:
        return airport_get_or_create(value or "")
    except ApplicationError as exc:
        errors[field] = exc.fields["icao"]
        return None


def _clean_times(*, start, end, actor, now, errors: dict) -> None:
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime):
            errors[name] = ["A date and time is required."]
        elif timezone.is_naive(value):
            errors[name] = ["Give the time with its UTC offset, e.g. 2026-05-01T14:00:00Z."]
    if errors.keys() & {"start", "end"}:
        return
    if end <= start:
        errors["end"] = ["The end must be after the start."]
    elif not MIN_DURATION <= end - start <= MAX_DURATION:
        errors["end"] = ["A booking lasts from 15 minutes to 12 hours."]
    if start < now and not (actor is not None and actor.is_admin):
        errors["start"] = ["The start is in the past; only operations staff record past flights."]
    elif start - now > MAX_ADVANCE:
        errors["start"] = ["Bookings open at most two years ahead."]


def _clean_people(*, student, instructor, lesson_type, errors: dict) -> None:
    if student is None or student.role != Role.STUDENT:
        errors["student"] = ["Choose a student."]
    if lesson_type not in LessonType.values:
        errors["lesson_type"] = [f"Choose one of: {', '.join(LessonType.values)}."]
    elif lesson_type == LessonType.SOLO and instructor is not None:
        errors["instructor"] = ["A solo lesson has no instructor."]
    elif lesson_type != LessonType.SOLO and instructor is None:
        errors["instructor"] = ["This lesson needs an instructor."]
    if instructor is not None and instructor.role != Role.INSTRUCTOR:
        errors["instructor"] = ["Choose an instructor."]


def _check_actor_may_book(*, actor, student, instructor, override_availability: bool,
                          replacing: bool = False) -> None:
    if actor is None or actor.is_admin:
        return
    if override_availability:
        raise ForbiddenError("Only operations staff may book outside availability.",
                             code="override_not_allowed")
    if replacing:
        return
    if actor.is_student and student is not None and student.pk != actor.pk:
        raise ForbiddenError("Students book only for themselves.", code="permission_denied")
    if actor.is_instructor and (instructor is None or instructor.pk != actor.pk):
        raise ForbiddenError("Instructors book only lessons they teach.", code="permission_denied")


def _lock_parties(*, student_id, instructor_id, aircraft_id) -> None:
    """Serialise writers for the same student, instructor or aircraft until the transaction ends."""
    if connection.vendor != "postgresql":
        # SQLite: any write takes the database's single write lock, so checks and inserts cannot interleave.
        Aircraft.objects.filter(pk=aircraft_id).update(status=F("status"))
        return
    keys = sorted((LOCK_NAMESPACES[kind], int(pk)) for kind, pk in (
        ("student", student_id), ("instructor", instructor_id), ("aircraft", aircraft_id)) if pk)
    timeout_ms = int(getattr(settings, "BOOKING_LOCK_TIMEOUT_SECONDS", 5) * 1000)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        previous = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{timeout_ms}ms"])
        try:
            for namespace, pk in keys:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [namespace, pk])
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", "") == "55P03":
                raise BookingBusy("Another booking for the same people or aircraft is being saved; try again.",
                                  extra={"retry_after_seconds": 1}, retryable=True)
            raise
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def _overlapping_ids(*, start, end, student_id, instructor_id, aircraft_id, exclude_ids=()) -> list[int]:
    bookings = active_bookings_for_parties(start=start, end=end, student_ids=[student_id],
                                           instructor_ids=[instructor_id] if instructor_id else [],
                                           aircraft_ids=[aircraft_id], exclude_booking_ids=exclude_ids)
    return sorted(b.pk for b in bookings)


def _raise_conflict(ids: list[int]) -> None:
    raise ConflictError(
        "This overlaps another booking for the same student, instructor or aircraft.",
        code="booking_conflict", extra={"conflicting_booking_ids": ids},
    )


def conflict_from_integrity_error(exc: IntegrityError, *, start, end, student_id, instructor_id, aircraft_id,
                                  exclude_ids=()) -> ConflictError | None:
    """The 409 for an exclusion-constraint violation, naming the bookings it collided with; None otherwise."""
    if "_overlap" not in str(exc):
        return None
    ids = _overlapping_ids(start=start, end=end, student_id=student_id, instructor_id=instructor_id,
                           aircraft_id=aircraft_id, exclude_ids=exclude_ids)
    return ConflictError("This overlaps another booking for the same student, instructor or aircraft.",
                         code="booking_conflict", extra={"conflicting_booking_ids": ids})


def _check_availability(*, start, end, instructor, aircraft, override_availability: bool) -> None:
    if aircraft.status == AircraftStatus.MAINTENANCE:
        raise ApplicationError(f"{aircraft.tail_number} is in maintenance.", code="aircraft_unavailable",
                               fields={"aircraft": ["This aircraft is in maintenance."]})
    blocked = availability_selectors.overlapping_exceptions(start=start, end=end, aircraft=aircraft).first()
    if blocked is not None:
        raise ApplicationError(f"{aircraft.tail_number} is unavailable then: {blocked.reason or 'blocked'}.",
                               code="aircraft_unavailable",
                               fields={"aircraft": ["This aircraft is unavailable at that time."]})
    if override_availability:
        return
    scheduled = availability_selectors.scheduled_intervals(
        start=start, end=end, instructor_ids=[instructor.pk] if instructor else [], aircraft_ids=[aircraft.pk])
    fields = {}
    if not availability_selectors.covers(scheduled[("aircraft", aircraft.pk)], start, end):
        fields["aircraft"] = ["The aircraft is not available for the whole booking."]
    if instructor and not availability_selectors.covers(scheduled[("instructor", instructor.pk)], start, end):
        fields["instructor"] = ["The instructor is not available for the whole booking."]
    if fields:
        raise ApplicationError("The booking is outside availability.", code="outside_availability", fields=fields)


def _insert_or_conflict(booking: Booking, *, exclude_ids=()) -> None:
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError as exc:
        conflict = conflict_from_integrity_error(
            exc, start=booking.start, end=booking.end, student_id=booking.student_id,
            instructor_id=booking.instructor_id, aircraft_id=booking.aircraft_id, exclude_ids=exclude_ids)
        if conflict is None:
            raise
        raise conflict


# --- bookings ----------------------------------------------------------------------------------

@transaction.atomic
def booking_create(*, actor, student, aircraft, departure_airport, destination_airport, start: datetime,
                   end: datetime, lesson_type: str, instructor=None, override_availability: bool = False,
                   status: str = BookingStatus.SCHEDULED, rescheduled_from: Booking | None = None, notes: str = "",
                   now: datetime | None = None) -> Booking:
    """Book a lesson. With `rescheduled_from`, the new booking replaces that one, which becomes `rescheduled`."""
    now = now or timezone.now()
    if rescheduled_from is not None:
        # Whoever may change the old booking may put its replacement in place (an accepted option may
        # name another instructor), but the replacement keeps the old booking's student.
        _check_actor_may_change(booking=rescheduled_from, actor=actor)
        _check_actor_may_book(actor=actor, student=None, instructor=None, override_availability=override_availability,
                              replacing=True)
        if student is not None and student.pk != rescheduled_from.student_id:
            raise ApplicationError("A replacement is for the same student.", code="invalid",
                                   fields={"student": ["A replacement is for the same student."]})
    else:
        _check_actor_may_book(actor=actor, student=student, instructor=instructor,
                              override_availability=override_availability)
    errors: dict = {}
    _clean_times(start=start, end=end, actor=actor, now=now, errors=errors)
    _clean_people(student=student, instructor=instructor, lesson_type=lesson_type, errors=errors)
    if aircraft is None:
        errors["aircraft"] = ["Choose an aircraft."]
    departure = _resolve_airport(departure_airport, "departure_airport", errors)
    destination = _resolve_airport(destination_airport or departure_airport, "destination_airport", errors)
    if status not in CREATABLE_STATUSES:
        errors["status"] = [f"A new booking is one of: {', '.join(CREATABLE_STATUSES)}."]
    elif status == BookingStatus.COMPLETED and not (actor is None or actor.is_admin):
        errors["status"] = ["Only operations staff record completed flights."]
    if errors:
        raise ApplicationError(next(iter(_messages(errors))), code="invalid", fields=errors)

    active = status in ACTIVE_STATUSES
    replaced_ids = [rescheduled_from.pk] if rescheduled_from else []
    _lock_parties(student_id=student.pk, instructor_id=instructor.pk if instructor else None,
                  aircraft_id=aircraft.pk)
    if rescheduled_from is not None:
        rescheduled_from = _retire_replaced(booking=rescheduled_from, actor=actor, now=now)
    if active:
        conflicts = _overlapping_ids(start=start, end=end, student_id=student.pk,
                                     instructor_id=instructor.pk if instructor else None,
                                     aircraft_id=aircraft.pk, exclude_ids=replaced_ids)
        if conflicts:
            _raise_conflict(conflicts)
        _check_availability(start=start, end=end, instructor=instructor, aircraft=aircraft,
                            override_availability=override_availability)
    booking = Booking(student=student, instructor=instructor, aircraft=aircraft, departure_airport=departure,
                      destination_airport=destination, start=start, end=end, lesson_type=lesson_type, status=status,
                      rescheduled_from=rescheduled_from, notes=notes or "",
                      created_by=actor if getattr(actor, "is_authenticated", False) else None)
    _insert_or_conflict(booking)
    audit_record(action="booking.created", object_type="booking", object_id=booking.pk, actor=actor,
                 after={**booking_snapshot(booking), "override_availability": override_availability})
    return booking


def _messages(errors: dict):
    for name, messages in errors.items():
        yield f"{name}: {messages[0]}"


def _retire_replaced(*, booking: Booking, actor, now) -> Booking:
    """Take the replaced booking out of the active set first, so its replacement may overlap its old slot."""
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    if booking.status == BookingStatus.RESCHEDULED:
        if Booking.objects.filter(rescheduled_from=booking).exists():
            raise ConflictError("This booking was already rescheduled.", code="already_rescheduled")
        return booking
    if booking.status not in ACTIVE_STATUSES:
        raise ApplicationError("Only a scheduled, confirmed or held booking can be rescheduled.",
                               code="booking_not_reschedulable")
    before = booking_snapshot(booking)
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.RESCHEDULED, status_before_hold="",
                                                 updated_at=now)
    booking.refresh_from_db()
    audit_record(action="booking.rescheduled", object_type="booking", object_id=booking.pk, actor=actor,
                 before=before, after=booking_snapshot(booking))
    return booking


def _check_actor_may_change(*, booking: Booking, actor) -> None:
    if actor is None or actor.is_admin:
        return
    if actor.is_instructor and booking.instructor_id == actor.pk:
        return
    if actor.is_student and booking.student_id == actor.pk:
        return
    raise NotFoundError("No such booking.")


@transaction.atomic
def booking_update(*, booking: Booking, actor, now: datetime | None = None, **changes) -> Booking:
    """Change a scheduled or confirmed booking; the same rules as booking_create apply to the result.

    `status` may move scheduled -> confirmed (instructor or staff) or to completed (staff only); holds,
    cancellations and reschedules have their own services.
    """
    now = now or timezone.now()
    _check_actor_may_change(booking=booking, actor=actor)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ApplicationError("Unknown fields.", fields={name: ["This field cannot be changed."] for name in unknown})
    override = bool(changes.pop("override_availability", False))
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    before = booking_snapshot(booking)
    new_status = changes.pop("status", booking.status)
    if booking.status not in (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED):
        raise ApplicationError(f"A {booking.get_status_display().lower()} booking cannot be changed.",
                               code="booking_not_editable")
    _check_status_change(booking=booking, new_status=new_status, actor=actor)

    student = changes.get("student", booking.student)
    instructor = changes.get("instructor", booking.instructor)
    aircraft = changes.get("aircraft", booking.aircraft)
    lesson_type = changes.get("lesson_type", booking.lesson_type)
    start, end = changes.get("start", booking.start), changes.get("end", booking.end)
    _check_actor_may_book(actor=actor, student=student, instructor=instructor, override_availability=override)
    errors: dict = {}
    moved = {"start", "end"} & changes.keys() and (start != booking.start or end != booking.end)
    if moved:
        _clean_times(start=start, end=end, actor=actor, now=now, errors=errors)
    _clean_people(student=student, instructor=instructor, lesson_type=lesson_type, errors=errors)
    departure = _resolve_airport(changes.get("departure_airport", booking.departure_airport), "departure_airport",
                                 errors)
    destination = _resolve_airport(changes.get("destination_airport", booking.destination_airport),
                                   "destination_airport", errors)
    if errors:
        raise ApplicationError(next(iter(_messages(errors))), code="invalid", fields=errors)

    reassigned = (moved or student.pk != booking.student_id or aircraft.pk != booking.aircraft_id
                  or (instructor.pk if instructor else None) != booking.instructor_id)
    if reassigned and new_status in ACTIVE_STATUSES:
        _lock_parties(student_id=student.pk, instructor_id=instructor.pk if instructor else None,
                      aircraft_id=aircraft.pk)
        conflicts = _overlapping_ids(start=start, end=end, student_id=student.pk,
                                     instructor_id=instructor.pk if instructor else None, aircraft_id=aircraft.pk,
                                     exclude_ids=[booking.pk])
        if conflicts:
            _raise_conflict(conflicts)
        _check_availability(start=start, end=end, instructor=instructor, aircraft=aircraft,
                            override_availability=override)

    booking.student, booking.instructor, booking.aircraft = student, instructor, aircraft
    booking.departure_airport, booking.destination_airport = departure, destination
    booking.start, booking.end, booking.lesson_type, booking.status = start, end, lesson_type, new_status
    if "notes" in changes:
        booking.notes = changes["notes"] or ""
    if moved or departure.pk != before["departure_airport_id"] or destination.pk != before["destination_airport_id"]:
        # The last verdict judged another window or route; the monitor will judge this one afresh.
        booking.weather_status, booking.weather_checked_at = WeatherStatus.UNKNOWN, None
    _insert_or_conflict(booking, exclude_ids=[booking.pk])
    after = booking_snapshot(booking)
    if after != before:
        audit_record(action="booking.updated", object_type="booking", object_id=booking.pk, actor=actor,
                     before=before, after={**after, "override_availability": override})
    return booking


def _check_status_change(*, booking: Booking, new_status: str, actor) -> None:
    if new_status == booking.status:
        return
    allowed = {
        (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED): actor is None or actor.is_admin or actor.is_instructor,
        (BookingStatus.SCHEDULED, BookingStatus.COMPLETED): actor is None or actor.is_admin,
        (BookingStatus.CONFIRMED, BookingStatus.COMPLETED): actor is None or actor.is_admin,
    }
    if (booking.status, new_status) not in allowed:
        raise ApplicationError(
            f"A booking cannot go from {booking.status} to {new_status} here.", code="invalid_status_change",
            fields={"status": ["Use the cancel action to cancel; weather holds and reschedules are automatic."]})
    if not allowed[(booking.status, new_status)]:
        raise ForbiddenError("You may not make this status change.", code="permission_denied")


@transaction.atomic
def booking_cancel(*, booking: Booking, actor, reason: str, now: datetime | None = None) -> Booking:
    """Cancel an active booking, recording who and why. Pending reschedule offers for it are withdrawn."""
    now = now or timezone.now()
    _check_actor_may_change(booking=booking, actor=actor)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the booking is cancelled.", fields={"reason": ["A reason is required."]})
    before = booking_snapshot(Booking.objects.get(pk=booking.pk))
    claimed = Booking.objects.filter(pk=booking.pk, status__in=ACTIVE_STATUSES).update(
        status=BookingStatus.CANCELLED, status_before_hold="", cancelled_at=now, cancel_reason=reason,
        cancelled_by=actor if getattr(actor, "is_authenticated", False) else None, updated_at=now)
    if not claimed:
        raise ConflictError("Only a scheduled, confirmed or held booking can be cancelled.",
                            code="booking_not_cancellable")
    booking.refresh_from_db()
    audit_record(action="booking.cancelled", object_type="booking", object_id=booking.pk, actor=actor,
                 before=before, after=booking_snapshot(booking))
    if before["status"] == BookingStatus.WEATHER_HOLD:
        from rescheduling.services import reschedule_requests_supersede

        reschedule_requests_supersede(booking=booking, reason="booking_cancelled", now=now, actor=actor)
    return booking


def booking_place_on_weather_hold(*, booking: Booking, actor=None, now: datetime | None = None) -> bool:
    """Hold a scheduled or confirmed booking for weather; False when it was not in either state."""
    now = now or timezone.now()
    with transaction.atomic():
        for previous in (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED):
            claimed = Booking.objects.filter(pk=booking.pk, status=previous).update(
                status=BookingStatus.WEATHER_HOLD, status_before_hold=previous, updated_at=now)
            if claimed:
                booking.status, booking.status_before_hold = BookingStatus.WEATHER_HOLD, previous
                audit_record(action="booking.weather_hold", object_type="booking", object_id=booking.pk,
                             actor=actor, before={"status": previous},
                             after={"status": BookingStatus.WEATHER_HOLD, "status_before_hold": previous})
                return True
    return False


def booking_release_weather_hold(*, booking: Booking, actor=None, now: datetime | None = None) -> bool:
    """Put a held booking back to the status the hold interrupted; False when it is not on hold."""
    now = now or timezone.now()
    with transaction.atomic():
        current = Booking.objects.filter(pk=booking.pk).values("status", "status_before_hold").first()
        if not current or current["status"] != BookingStatus.WEATHER_HOLD:
            return False
        restored = current["status_before_hold"] or BookingStatus.SCHEDULED
        claimed = Booking.objects.filter(
            pk=booking.pk, status=BookingStatus.WEATHER_HOLD, status_before_hold=current["status_before_hold"],
        ).update(status=restored, status_before_hold="", updated_at=now)
        if not claimed:
            return False
        booking.status, booking.status_before_hold = restored, ""
        audit_record(action="booking.weather_hold_released", object_type="booking", object_id=booking.pk,
                     actor=actor, before={"status": BookingStatus.WEATHER_HOLD}, after={"status": restored})
        return True


def booking_record_weather(*, booking: Booking, weather_status: str, checked_at: datetime) -> None:
    """Store the latest verdict on the booking; a change of verdict is audited."""
    if weather_status not in WeatherStatus.values:
        raise ApplicationError(f"Unknown weather status {weather_status!r}.", code="invalid",
                               fields={"weather_status": [f"Choose one of: {', '.join(WeatherStatus.values)}."]})
    with transaction.atomic():
        previous = Booking.objects.filter(pk=booking.pk).values_list("weather_status", flat=True).first()
        Booking.objects.filter(pk=booking.pk).update(weather_status=weather_status, weather_checked_at=checked_at)
        booking.weather_status, booking.weather_checked_at = weather_status, checked_at
        if previous != weather_status:
            audit_record(action="booking.weather_changed", object_type="booking", object_id=booking.pk,
                         before={"weather_status": previous},
                         after={"weather_status": weather_status, "checked_at": checked_at})


@transaction.atomic
def booking_mark_rescheduled(*, booking: Booking, replacement: Booking, actor=None,
                             now: datetime | None = None) -> Booking:
    """Link `replacement` to the booking it replaces, which becomes `rescheduled`. Safe to call twice."""
    now = now or timezone.now()
    if replacement.pk == booking.pk:
        raise ApplicationError("A booking cannot replace itself.", code="invalid")
    booking = _retire_replaced(booking=booking, actor=actor, now=now) if (
        Booking.objects.filter(pk=booking.pk).exclude(status=BookingStatus.RESCHEDULED).exists()
    ) else Booking.objects.get(pk=booking.pk)
    linked = Booking.objects.filter(pk=replacement.pk).values_list("rescheduled_from_id", flat=True).first()
    if linked != booking.pk:
        if linked is not None:
            raise ConflictError("The replacement already replaces another booking.", code="already_rescheduled")
        Booking.objects.filter(pk=replacement.pk).update(rescheduled_from=booking, updated_at=now)
        replacement.rescheduled_from = booking
        audit_record(action="booking.replaces", object_type="booking", object_id=replacement.pk, actor=actor,
                     before={"rescheduled_from_id": None}, after={"rescheduled_from_id": booking.pk})
    return booking
