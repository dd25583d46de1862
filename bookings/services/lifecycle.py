"""Creating, changing, cancelling and replacing bookings."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    CancelReason,
    WeatherStatus,
)
from bookings.selectors import overlapping_booking_ids
from bookings.services.rules import (
    CREATABLE_STATUSES,
    EDITABLE_FIELDS,
    InsertLost,
    booking_snapshot,
    check_actor_may_book,
    check_actor_may_change,
    check_availability,
    check_daylight,
    check_status_change,
    clean_people,
    clean_times,
    error_messages,
    insert_or_conflict,
    lock_parties,
    raise_conflict,
    resolve_airport,
)
from bookings.signals import booking_cancelled, booking_rejudging
from config.exceptions import ApplicationError, ConflictError, ForbiddenError


def booking_create(**kwargs) -> Booking:
    """Book a lesson. With `rescheduled_from`, the new booking replaces that one, which becomes `rescheduled`.

    Takes the keywords of `_booking_create`. Inside a caller's transaction the insert has a savepoint of its own,
    so a lost race is an error the caller may handle and go on; as the outermost transaction (a request) the
    insert needs none: the whole transaction rolls back, and the same 409 is worked out after it."""
    if transaction.get_connection().in_atomic_block:
        return _booking_create(**kwargs, savepoint=True)
    try:
        return _booking_create(**kwargs, savepoint=False)
    except InsertLost as lost:
        raise lost.conflict() from lost.error


@transaction.atomic
def _booking_create(*, actor, student, aircraft, departure_airport, destination_airport, start: datetime,
                    end: datetime, lesson_type: str, instructor=None, override_availability: bool = False,
                    status: str = BookingStatus.SCHEDULED, rescheduled_from: Booking | None = None, notes: str = "",
                    now: datetime | None = None, savepoint: bool = True) -> Booking:
    now = now or timezone.now()
    if rescheduled_from is not None:
        # Whoever may change the old booking may put its replacement in place (an accepted option may
        # name another instructor), but the replacement keeps the old booking's student.
        check_actor_may_change(booking=rescheduled_from, actor=actor)
        check_actor_may_book(actor=actor, student=None, instructor=None, override_availability=override_availability,
                              replacing=True)
        if student is not None and student.pk != rescheduled_from.student_id:
            raise ApplicationError("A replacement is for the same student.", code="invalid",
                                   fields={"student": ["A replacement is for the same student."]})
    else:
        check_actor_may_book(actor=actor, student=student, instructor=instructor,
                              override_availability=override_availability)
    errors: dict = {}
    clean_times(start=start, end=end, actor=actor, now=now, errors=errors)
    clean_people(student=student, instructor=instructor, lesson_type=lesson_type, errors=errors)
    if aircraft is None:
        errors["aircraft"] = ["Choose an aircraft."]
    departure = resolve_airport(departure_airport, "departure_airport", errors)
    destination_airport = destination_airport or departure_airport
    # A local flight (most lessons) names one airport twice: read it once.
    destination = (departure if departure is not None and destination_airport == departure_airport
                   else resolve_airport(destination_airport, "destination_airport", errors))
    if status not in CREATABLE_STATUSES:
        errors["status"] = [f"A new booking is one of: {', '.join(CREATABLE_STATUSES)}."]
    elif status == BookingStatus.COMPLETED and not (actor is None or actor.is_admin):
        errors["status"] = ["Only operations staff record completed flights."]
    if (rescheduled_from is None and status != BookingStatus.SCHEDULED and actor is not None
            and not (actor.is_admin or actor.is_instructor)):
        # Confirming is the instructor's word that the lesson will happen, exactly as on an update; a replacement
        # from an accepted option is confirmed by the choosing itself, so it is not asked here.
        raise ForbiddenError("Only instructors and operations staff confirm a booking; a new booking of yours "
                             "starts as scheduled.", code="permission_denied",
                             fields={"status": ["Leave status out: a new booking starts as scheduled."]})
    if errors:
        raise ApplicationError(next(iter(error_messages(errors))), code="invalid", fields=errors)

    active = status in ACTIVE_STATUSES
    replaced_ids = [rescheduled_from.pk] if rescheduled_from else []
    lock_parties(student_id=student.pk, instructor_id=instructor.pk if instructor else None,
                  aircraft_id=aircraft.pk)
    if rescheduled_from is not None:
        rescheduled_from = _retire_replaced(booking=rescheduled_from, actor=actor, now=now)
    if active:
        conflicts = overlapping_booking_ids(start=start, end=end, student_id=student.pk,
                                            instructor_id=instructor.pk if instructor else None,
                                            aircraft_id=aircraft.pk, exclude_booking_ids=replaced_ids)
        if conflicts:
            raise_conflict(conflicts)
        check_availability(start=start, end=end, instructor=instructor, aircraft=aircraft,
                            override_availability=override_availability)
        check_daylight(start=start, end=end, student=student, departure=departure,
                       override_availability=override_availability)
    booking = Booking(student=student, instructor=instructor, aircraft=aircraft, departure_airport=departure,
                      destination_airport=destination, start=start, end=end, lesson_type=lesson_type, status=status,
                      rescheduled_from=rescheduled_from, notes=notes or "",
                      created_by=actor if getattr(actor, "is_authenticated", False) else None)
    if active:
        # Judged at once from the forecasts the monitor already stored, so a new flight (or an accepted option's
        # replacement) shows its weather straight away; `unknown` until the monitor's next run when they do not
        # reach its window.
        booking_rejudging.send(sender=Booking, booking=booking, now=now)
    insert_or_conflict(booking, savepoint=savepoint)
    audit_record(action="booking.created", object_type="booking", object_id=booking.pk, actor=actor,
                 after={**booking_snapshot(booking), "override_availability": override_availability})
    return booking


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
    offer_freed_slot(booking)
    return booking


@transaction.atomic
def booking_update(*, booking: Booking, actor, now: datetime | None = None, **changes) -> Booking:
    """Change a scheduled or confirmed booking; the same rules as booking_create apply to the result.

    `status` may move scheduled -> confirmed (instructor or staff) or to completed (staff only); holds,
    cancellations and reschedules have their own services.
    """
    now = now or timezone.now()
    check_actor_may_change(booking=booking, actor=actor)
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
    check_status_change(booking=booking, new_status=new_status, actor=actor)

    student = changes.get("student", booking.student)
    instructor = changes.get("instructor", booking.instructor)
    aircraft = changes.get("aircraft", booking.aircraft)
    lesson_type = changes.get("lesson_type", booking.lesson_type)
    start, end = changes.get("start", booking.start), changes.get("end", booking.end)
    check_actor_may_book(actor=actor, student=student, instructor=instructor, override_availability=override)
    errors: dict = {}
    moved = {"start", "end"} & changes.keys() and (start != booking.start or end != booking.end)
    if moved:
        clean_times(start=start, end=end, actor=actor, now=now, errors=errors)
    clean_people(student=student, instructor=instructor, lesson_type=lesson_type, errors=errors)
    departure = resolve_airport(changes.get("departure_airport", booking.departure_airport), "departure_airport",
                                 errors)
    destination = resolve_airport(changes.get("destination_airport", booking.destination_airport),
                                   "destination_airport", errors)
    if errors:
        raise ApplicationError(next(iter(error_messages(errors))), code="invalid", fields=errors)

    reassigned = (moved or student.pk != booking.student_id or aircraft.pk != booking.aircraft_id
                  or (instructor.pk if instructor else None) != booking.instructor_id)
    if reassigned and new_status in ACTIVE_STATUSES:
        lock_parties(student_id=student.pk, instructor_id=instructor.pk if instructor else None,
                      aircraft_id=aircraft.pk)
        conflicts = overlapping_booking_ids(start=start, end=end, student_id=student.pk,
                                            instructor_id=instructor.pk if instructor else None,
                                            aircraft_id=aircraft.pk, exclude_booking_ids=[booking.pk])
        if conflicts:
            raise_conflict(conflicts)
        check_availability(start=start, end=end, instructor=instructor, aircraft=aircraft,
                            override_availability=override)
    if new_status in ACTIVE_STATUSES and (moved or student.pk != booking.student_id
                                          or departure.pk != booking.departure_airport_id):
        check_daylight(start=start, end=end, student=student, departure=departure, override_availability=override)

    booking.student, booking.instructor, booking.aircraft = student, instructor, aircraft
    booking.departure_airport, booking.destination_airport = departure, destination
    booking.start, booking.end, booking.lesson_type, booking.status = start, end, lesson_type, new_status
    if "notes" in changes:
        booking.notes = changes["notes"] or ""
    rejudge = (moved or departure.pk != before["departure_airport_id"]
               or destination.pk != before["destination_airport_id"] or student.pk != before["student_id"]
               or lesson_type != before["lesson_type"] or aircraft.pk != before["aircraft_id"])
    if rejudge:
        # The last verdict judged another window, route or pilot: judge this one now from the stored forecasts,
        # so a badge never shows a verdict that belongs to another flight. Where they do not reach its window it
        # stays `unknown` (not yet checked) until the monitor's next run records the full check.
        booking.weather_status, booking.weather_checked_at = WeatherStatus.UNKNOWN, None
        booking_rejudging.send(sender=Booking, booking=booking, now=now)
    insert_or_conflict(booking, exclude_ids=[booking.pk])
    after = booking_snapshot(booking)
    if after != before:
        audit_record(action="booking.updated", object_type="booking", object_id=booking.pk, actor=actor,
                     before=before, after={**after, "override_availability": override})
    return booking


def cancellation_cutoff() -> timedelta:
    return timedelta(hours=settings.CANCELLATION_CUTOFF_HOURS)


def is_late_cancellation(*, booking: Booking, actor, now: datetime) -> bool:
    """A student cancelling their own flight inside the school's cut-off. Staff and instructors cancelling
    are the school's own decision, never late."""
    return bool(getattr(actor, "is_student", False) and booking.student_id == actor.pk
                and booking.start - now < cancellation_cutoff())


def clean_cancel_reason(*, reason_code: str, reason: str) -> tuple[str, str]:
    """A known reason code, and words for `other`: a code alone says enough, `other` alone says nothing."""
    reason_code = (reason_code or CancelReason.OTHER).strip()
    reason = (reason or "").strip()
    if reason_code not in CancelReason.values:
        raise ApplicationError(f"Unknown reason code {reason_code!r}.", code="invalid",
                               fields={"reason_code": [f"Choose one of: {', '.join(CancelReason.values)}."]})
    if reason_code == CancelReason.OTHER and not reason:
        raise ApplicationError("Say why the booking is cancelled.", code="invalid",
                               fields={"reason": ["A reason is required."]})
    return reason_code, reason


@transaction.atomic
def booking_cancel(*, booking: Booking, actor, reason: str = "", reason_code: str = CancelReason.OTHER,
                   now: datetime | None = None) -> Booking:
    """Cancel an active booking, recording who, why (a reason code and free text) and whether a student did it
    inside the school's cut-off. Every pending reschedule request for it is withdrawn."""
    now = now or timezone.now()
    check_actor_may_change(booking=booking, actor=actor)
    reason_code, reason = clean_cancel_reason(reason_code=reason_code, reason=reason)
    current = Booking.objects.get(pk=booking.pk)
    before = booking_snapshot(current)
    claimed = Booking.objects.filter(pk=booking.pk, status__in=ACTIVE_STATUSES).update(
        status=BookingStatus.CANCELLED, status_before_hold="", cancelled_at=now, cancel_reason=reason,
        cancel_reason_code=reason_code, late_cancellation=is_late_cancellation(booking=current, actor=actor, now=now),
        cancelled_by=actor if getattr(actor, "is_authenticated", False) else None, updated_at=now)
    if not claimed:
        raise ConflictError("Only a scheduled, confirmed or held booking can be cancelled.",
                            code="booking_not_cancellable")
    booking.refresh_from_db()
    audit_record(action="booking.cancelled", object_type="booking", object_id=booking.pk, actor=actor,
                 before=before, after=booking_snapshot(booking))
    booking_cancelled.send(sender=Booking, booking=booking, actor=actor, now=now)
    offer_freed_slot(booking)
    return booking


def offer_freed_slot(booking: Booking) -> None:
    """Once the caller's transaction commits, offer the slot `booking` held to the standby list. A failure there
    is logged and never undoes the cancellation or reschedule that freed it."""
    from bookings.services.standby import standby_fill  # standby books through booking_create, defined here

    booking_id = booking.pk
    transaction.on_commit(lambda: standby_fill(freed_booking_id=booking_id), robust=True)


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
