"""Standby: a student waiting for a taken slot, and booked into it when it frees up.

A slot frees up when a booking is cancelled or moved by an accepted reschedule. Once that is committed,
`standby_fill` offers the freed slot to the waiting requests for that aircraft, or for any aircraft of its model,
whose times overlap it, oldest first. Each is tried as an ordinary booking through `booking_create`, with every
rule it applies (overlaps, availability, daylight, the student's own other flights): the first that passes
becomes the booking and its student and instructor are told; one that does not keeps waiting. A request is
claimed with a conditional UPDATE in the same transaction as its booking, so two fills running at once (or one
running twice) book it once. Requests expire at the slot's start (`standby_expire_due`, run with the deadlines).
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from bookings.models import ACTIVE_STATUSES, Aircraft, AircraftStatus, Booking, StandbyRequest, StandbyStatus
from bookings.selectors import active_bookings_for_parties, standby_waiting_for
from bookings.services.lifecycle import booking_create
from bookings.services.rules import (
    check_actor_may_book,
    clean_people,
    clean_times,
    error_messages,
    resolve_airport,
)
from config.exceptions import ApplicationError, ConflictError, NotFoundError
from notifications.services import notify

logger = logging.getLogger(__name__)

STANDBY_AUDIT_FIELDS = ("student_id", "instructor_id", "aircraft_id", "aircraft_model", "departure_airport_id",
                        "destination_airport_id", "start", "end", "lesson_type", "status", "booking_id")


def standby_snapshot(standby: StandbyRequest) -> dict:
    return {field: getattr(standby, field) for field in STANDBY_AUDIT_FIELDS}


@transaction.atomic
def standby_create(*, actor, student, aircraft: Aircraft | None, instructor=None, any_of_model: bool = False,
                   departure_airport=None, destination_airport=None, start: datetime, end: datetime,
                   lesson_type: str, notes: str = "", now: datetime | None = None) -> StandbyRequest:
    """Put `student` on standby for [start, end) on `aircraft`, or on any aircraft of its model.

    Who may: the same people who could book the flight (a student for themself, an instructor for a lesson they
    teach, staff for anyone). Refused when the slot is free after all (book it instead), when the student is
    already flying or waiting then, and with the booking form's own messages for bad times, people or airports.
    """
    now = now or timezone.now()
    check_actor_may_book(actor=actor, student=student, instructor=instructor, override_availability=False)
    errors: dict = {}
    clean_times(start=start, end=end, actor=None, now=now, errors=errors)
    clean_people(student=student, instructor=instructor, lesson_type=lesson_type, errors=errors)
    if aircraft is None:
        errors["aircraft"] = ["Choose the aircraft (or its model) to wait for."]
    departure = resolve_airport(departure_airport or getattr(aircraft, "home_airport", None), "departure_airport",
                                errors)
    destination = (departure if not destination_airport or destination_airport == departure_airport
                   else resolve_airport(destination_airport, "destination_airport", errors))
    if errors:
        raise ApplicationError(next(iter(error_messages(errors))), code="invalid", fields=errors)

    fleet = ([aircraft] if not any_of_model else
             list(Aircraft.objects.filter(model=aircraft.model, status=AircraftStatus.AVAILABLE)) or [aircraft])
    taken = set(active_bookings_for_parties(start=start, end=end, aircraft_ids=[a.pk for a in fleet])
                .values_list("aircraft_id", flat=True))
    free = [a for a in fleet if a.pk not in taken and a.status == AircraftStatus.AVAILABLE]
    if free:
        raise ApplicationError(f"{free[0].tail_number} is free at that time: book it instead of waiting.",
                               code="slot_free", fields={"aircraft": [f"{free[0].tail_number} is free then."]})
    if active_bookings_for_parties(start=start, end=end, student_ids=[student.pk]).exists():
        raise ConflictError("You already fly at that time." if actor == student
                            else "The student already flies at that time.", code="booking_conflict")
    if StandbyRequest.objects.filter(student=student, status=StandbyStatus.WAITING, start__lt=end,
                                     end__gt=start).exists():
        raise ConflictError("Already on standby for that time.", code="standby_exists")

    standby = StandbyRequest.objects.create(
        student=student, instructor=instructor, aircraft=None if any_of_model else aircraft,
        aircraft_model=aircraft.model, departure_airport=departure, destination_airport=destination, start=start,
        end=end, lesson_type=lesson_type, notes=notes or "",
        created_by=actor if getattr(actor, "is_authenticated", False) else None)
    audit_record(action="standby.created", object_type="standby_request", object_id=standby.pk, actor=actor,
                 after=standby_snapshot(standby))
    return standby


def check_actor_may_change_standby(*, standby: StandbyRequest, actor) -> None:
    """Staff, the student waiting, or the instructor named; to anyone else the request does not exist."""
    if actor is None or actor.is_admin or standby.student_id == actor.pk or (
            actor.is_instructor and standby.instructor_id == actor.pk):
        return
    raise NotFoundError("No such standby request.")


@transaction.atomic
def standby_withdraw(*, standby: StandbyRequest, actor, now: datetime | None = None) -> StandbyRequest:
    now = now or timezone.now()
    check_actor_may_change_standby(standby=standby, actor=actor)
    claimed = StandbyRequest.objects.filter(pk=standby.pk, status=StandbyStatus.WAITING).update(
        status=StandbyStatus.WITHDRAWN, resolved_at=now)
    standby.refresh_from_db()
    if not claimed:
        raise ConflictError(f"This standby request is {standby.get_status_display().lower()}, not waiting.",
                            code="standby_not_waiting")
    audit_record(action="standby.withdrawn", object_type="standby_request", object_id=standby.pk, actor=actor,
                 before={"status": StandbyStatus.WAITING}, after={"status": StandbyStatus.WITHDRAWN})
    return standby


def standby_fill(*, freed_booking_id: int, now: datetime | None = None) -> list[StandbyRequest]:
    """Offer the slot of a cancelled or moved booking to the standby list; returns the requests booked.

    Every request is tried in its own transaction, so one that no longer fits (the student booked elsewhere,
    the instructor is away) leaves the others their chance. Safe to run twice: a booked request is no longer
    waiting, and the next one would overlap the booking just made.
    """
    now = now or timezone.now()
    freed = Booking.objects.select_related("aircraft").filter(pk=freed_booking_id).first()
    if freed is None or freed.status in ACTIVE_STATUSES:
        return []
    booked = []
    for standby in standby_waiting_for(booking=freed, now=now):
        aircraft = standby.aircraft or freed.aircraft
        try:
            with transaction.atomic():
                claimed = StandbyRequest.objects.filter(pk=standby.pk, status=StandbyStatus.WAITING).update(
                    status=StandbyStatus.BOOKED, resolved_at=now)
                if not claimed:
                    continue
                booking = booking_create(
                    actor=standby.student, student=standby.student, instructor=standby.instructor,
                    aircraft=aircraft, departure_airport=standby.departure_airport,
                    destination_airport=standby.destination_airport, start=standby.start, end=standby.end,
                    lesson_type=standby.lesson_type, notes=standby.notes, now=now)
                StandbyRequest.objects.filter(pk=standby.pk).update(booking=booking)
                standby.status, standby.booking, standby.resolved_at = StandbyStatus.BOOKED, booking, now
                audit_record(action="standby.booked", object_type="standby_request", object_id=standby.pk,
                             before={"status": StandbyStatus.WAITING},
                             after={"status": StandbyStatus.BOOKED, "booking_id": booking.pk,
                                    "freed_booking_id": freed.pk})
                notify(kind="standby_booked", recipients=[standby.student, standby.instructor], booking=booking,
                       idempotency_key=f"standby_booked:{standby.pk}", event_at=now)
        except ApplicationError as exc:
            logger.info("Standby %s does not fit the slot of booking %s: %s", standby.pk, freed.pk, exc.message)
            continue
        booked.append(standby)
    return booked


def standby_expire_due(*, now: datetime | None = None) -> int:
    """Requests still waiting when their slot starts are expired. Returns how many; a second run finds none."""
    now = now or timezone.now()
    expired = 0
    for standby_id in StandbyRequest.objects.filter(status=StandbyStatus.WAITING, start__lte=now).values_list(
            "pk", flat=True):
        with transaction.atomic():
            if StandbyRequest.objects.filter(pk=standby_id, status=StandbyStatus.WAITING).update(
                    status=StandbyStatus.EXPIRED, resolved_at=now):
                audit_record(action="standby.expired", object_type="standby_request", object_id=standby_id,
                             before={"status": StandbyStatus.WAITING}, after={"status": StandbyStatus.EXPIRED})
                expired += 1
    return expired
