"""The rules every booking write applies: input checks, who may act, party locks, overlaps, availability."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Role
from bookings.models import (
    Aircraft,
    AircraftStatus,
    Airport,
    Booking,
    BookingStatus,
    LessonType,
)
from bookings.selectors import overlapping_booking_ids
from bookings.services.fleet import airport_get_or_create
from bookings.signals import booking_availability_checking, booking_daylight_checking
from config.exceptions import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from config.sql import insert_instance

MIN_DURATION = timedelta(minutes=15)
MAX_DURATION = timedelta(hours=12)
# Far enough for any lesson plan; further out, availability and the forecast mean nothing.
MAX_ADVANCE = timedelta(days=730)
# Statuses a booking may be created in; the others are reached through the services below.
CREATABLE_STATUSES = (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED, BookingStatus.COMPLETED)
BOOKING_AUDIT_FIELDS = ("student_id", "instructor_id", "aircraft_id", "departure_airport_id",
                        "destination_airport_id", "start", "end", "lesson_type", "status", "status_before_hold",
                        "hold_reason", "weather_status", "rescheduled_from_id", "notes", "cancel_reason",
                        "cancel_reason_code", "late_cancellation", "cancelled_by_id")
EDITABLE_FIELDS = {"student", "instructor", "aircraft", "departure_airport", "destination_airport", "start", "end",
                   "lesson_type", "notes", "status", "override_availability"}
# Advisory lock namespaces, one per kind of party, so student 7 and aircraft 7 are different locks.
LOCK_NAMESPACES = {"aircraft": 7301, "instructor": 7302, "student": 7303}

class BookingBusy(ConflictError):
    """Another booking for the same people or aircraft is being written; trying again shortly will work."""

    default_code = "booking_busy"


def booking_snapshot(booking: Booking) -> dict:
    return {field: getattr(booking, field) for field in BOOKING_AUDIT_FIELDS}


# --- booking rules -----------------------------------------------------------------------------

def resolve_airport(value, field: str, errors: dict) -> Airport | None:
    if isinstance(value, Airport):
        return value
    try:
        return airport_get_or_create(value or "")
    except ApplicationError as exc:
        errors[field] = exc.fields["icao"]
        return None


def clean_times(*, start, end, actor, now, errors: dict) -> None:
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


def clean_people(*, student, instructor, lesson_type, errors: dict) -> None:
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


def check_actor_may_book(*, actor, student, instructor, override_availability: bool,
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


def lock_parties(*, student_id, instructor_id, aircraft_id) -> None:
    """Serialise writers for the same student, instructor or aircraft until the transaction ends."""
    if connection.vendor != "postgresql":
        # SQLite: any write takes the database's single write lock, so checks and inserts cannot interleave.
        Aircraft.objects.filter(pk=aircraft_id).update(status=F("status"))
        return
    keys = sorted((LOCK_NAMESPACES[kind], int(pk)) for kind, pk in (
        ("student", student_id), ("instructor", instructor_id), ("aircraft", aircraft_id)) if pk)
    timeout_ms = int(settings.BOOKING_LOCK_TIMEOUT_SECONDS * 1000)
    # One statement, one round trip: read the session's lock timeout, set the booking one, take the locks in
    # sorted order (no two writers can deadlock), put the timeout back. Each step is a subquery of the next, and
    # PostgreSQL never flattens a subquery calling volatile functions (set_config, pg_advisory_xact_lock), so
    # the steps run innermost first, in exactly that order.
    sql = "SELECT current_setting('lock_timeout') AS previous, set_config('lock_timeout', %s, true) AS step"
    params: list = [f"{timeout_ms}ms"]
    for namespace, pk in keys:
        sql = f"SELECT previous, pg_advisory_xact_lock(%s, %s)::text AS step FROM ({sql}) AS locked"  # noqa: S608
        params = [namespace, pk, *params]  # this step's placeholders come before the inner ones in the text
    sql = f"SELECT set_config('lock_timeout', previous, true) FROM ({sql}) AS locked"  # noqa: S608
    with connection.cursor() as cursor:
        try:
            cursor.execute(sql, params)
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", "") == "55P03":
                raise BookingBusy("Another booking for the same people or aircraft is being saved; try again.",
                                  extra={"retry_after_seconds": 1}, retryable=True)
            raise


def overlap_conflict(ids: list[int]) -> ConflictError:
    return ConflictError(
        "This overlaps another booking for the same student, instructor or aircraft.",
        code="booking_conflict", extra={"conflicting_booking_ids": ids},
    )


def raise_conflict(ids: list[int]) -> None:
    raise overlap_conflict(ids)


def conflict_from_integrity_error(exc: IntegrityError, *, start, end, student_id, instructor_id, aircraft_id,
                                  exclude_ids=()) -> ConflictError | None:
    """The 409 for an exclusion-constraint violation, naming the bookings it collided with; None otherwise."""
    if "_overlap" not in str(exc):
        return None
    ids = overlapping_booking_ids(start=start, end=end, student_id=student_id, instructor_id=instructor_id,
                                  aircraft_id=aircraft_id, exclude_booking_ids=exclude_ids)
    return overlap_conflict(ids)


def check_availability(*, start, end, instructor, aircraft, override_availability: bool) -> None:
    if aircraft.status == AircraftStatus.MAINTENANCE:
        raise ApplicationError(f"{aircraft.tail_number} is in maintenance.", code="aircraft_unavailable",
                               fields={"aircraft": ["This aircraft is in maintenance."]})
    booking_availability_checking.send(sender=Booking, start=start, end=end, instructor=instructor,
                                       aircraft=aircraft, override_availability=override_availability)


def check_daylight(*, start, end, student, departure, override_availability: bool) -> None:
    """A student whose level may not fly at night (and who has no night endorsement) is not booked into it:
    the lesson must end by evening civil twilight and start after morning civil twilight at the departure.
    Operations staff may book it anyway with the same override as availability (dual night training)."""
    if override_availability:
        return
    booking_daylight_checking.send(sender=Booking, start=start, end=end, student=student, departure=departure)


class InsertLost(Exception):
    """The insert lost on a constraint inside a transaction that now can only roll back; `conflict()`, called
    after the rollback, says which error that is."""

    def __init__(self, error: IntegrityError, booking: Booking, exclude_ids):
        super().__init__(str(error))
        self.error, self.booking, self.exclude_ids = error, booking, list(exclude_ids)

    def conflict(self) -> Exception:
        booking = self.booking
        found = conflict_from_integrity_error(
            self.error, start=booking.start, end=booking.end, student_id=booking.student_id,
            instructor_id=booking.instructor_id, aircraft_id=booking.aircraft_id, exclude_ids=self.exclude_ids)
        return found if found is not None else self.error


def insert_or_conflict(booking: Booking, *, exclude_ids=(), savepoint: bool = True) -> None:
    """Insert a new `booking` (`config.sql.insert_instance`: its INSERT built once) or save a changed one; an
    exclusion-constraint violation becomes the 409 naming what it collided with.

    With savepoint=False (the caller's transaction is the outermost one and ends with this failure anyway) the
    insert goes without its own savepoint, two round trips fewer, and a violation raises `InsertLost` for the
    caller to turn into its error once the transaction has rolled back."""
    write = insert_instance if booking._state.adding else Booking.save
    if not savepoint:
        try:
            write(booking)
        except IntegrityError as exc:
            raise InsertLost(exc, booking, exclude_ids) from exc
        return
    try:
        with transaction.atomic():
            write(booking)
    except IntegrityError as exc:
        conflict = conflict_from_integrity_error(
            exc, start=booking.start, end=booking.end, student_id=booking.student_id,
            instructor_id=booking.instructor_id, aircraft_id=booking.aircraft_id, exclude_ids=exclude_ids)
        if conflict is None:
            raise
        raise conflict


# --- bookings ----------------------------------------------------------------------------------


def error_messages(errors: dict):
    for name, messages in errors.items():
        yield f"{name}: {messages[0]}"


def check_actor_may_change(*, booking: Booking, actor) -> None:
    if actor is None or actor.is_admin:
        return
    if actor.is_instructor and booking.instructor_id == actor.pk:
        return
    if actor.is_student and booking.student_id == actor.pk:
        return
    raise NotFoundError("No such booking.")


def check_status_change(*, booking: Booking, new_status: str, actor) -> None:
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
