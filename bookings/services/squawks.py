"""Squawks and grounding: a defect written up against an aircraft, and what grounding it means for its flights.

Grounding has one way in, `aircraft_ground`, whether a grounding squawk is opened or staff set the aircraft to
maintenance: every upcoming flight of the aircraft goes on hold with the reason `maintenance`, and a reschedule
request offers options the same way a weather hold does (another aircraft at the same time first). The holds
are committed before any options are worked out, so no row stays locked while the solver and Claude run.
`aircraft_return_to_service` is the one way out: it releases the holds whose request is still open.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from bookings.models import (
    Aircraft,
    AircraftStatus,
    Booking,
    BookingStatus,
    HoldReason,
    Squawk,
)
from bookings.signals import aircraft_grounded, aircraft_returned_to_service
from config.exceptions import ApplicationError, ConflictError, ForbiddenError

logger = logging.getLogger(__name__)

MAX_SQUAWK_TEXT = 2000
# A flight that has started is in the air or on the ramp: grounding is for the ones still to come.
HOLDABLE_STATUSES = (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED, BookingStatus.WEATHER_HOLD)


def squawk_snapshot(squawk: Squawk) -> dict:
    return {"aircraft_id": squawk.aircraft_id, "text": squawk.text, "grounding": squawk.grounding,
            "opened_by_id": squawk.opened_by_id, "opened_at": squawk.opened_at,
            "cleared_by_id": squawk.cleared_by_id, "cleared_at": squawk.cleared_at,
            "clearing_note": squawk.clearing_note}


def _check_may_write_squawks(actor) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or not (actor.is_admin or actor.is_instructor):
        raise ForbiddenError("Only instructors and operations staff write up or clear squawks.")


def _lock_aircraft(aircraft: Aircraft) -> Aircraft:
    return Aircraft.objects.select_for_update().select_related("home_airport").get(pk=aircraft.pk)


def _open_grounding_squawks(aircraft_id: int):
    return Squawk.objects.filter(aircraft_id=aircraft_id, grounding=True, cleared_at__isnull=True)


def squawk_open(*, aircraft: Aircraft, by, text: str, grounding: bool, now: datetime | None = None) -> Squawk:
    """Write up a squawk; a grounding one grounds the aircraft (see `aircraft_ground`)."""
    now = now or timezone.now()
    _check_may_write_squawks(by)
    text = (text or "").strip()
    errors = {}
    if not text:
        errors["text"] = ["Describe the defect."]
    elif len(text) > MAX_SQUAWK_TEXT:
        errors["text"] = [f"At most {MAX_SQUAWK_TEXT} characters."]
    if not isinstance(grounding, bool):
        errors["grounding"] = ["true or false."]
    if errors:
        raise ApplicationError("The squawk could not be written up.", code="invalid", fields=errors)
    with transaction.atomic():
        locked = _lock_aircraft(aircraft)
        squawk = Squawk.objects.create(aircraft=locked, text=text, grounding=grounding, opened_by=by, opened_at=now)
        audit_record(action="squawk.opened", object_type="squawk", object_id=squawk.pk, actor=by,
                     after=squawk_snapshot(squawk))
        if grounding:
            aircraft_ground(aircraft=locked, by=by, reason=f"{locked.tail_number} is grounded: {text}", now=now)
    aircraft.status = Aircraft.objects.filter(pk=aircraft.pk).values_list("status", flat=True).first()
    return squawk


def squawk_clear(*, squawk: Squawk, by, note: str, now: datetime | None = None) -> Squawk:
    """Close a squawk. Clearing the last open grounding squawk returns the aircraft to service."""
    now = now or timezone.now()
    _check_may_write_squawks(by)
    note = (note or "").strip()
    if not note:
        raise ApplicationError("Say what was done to clear the squawk.", code="invalid",
                               fields={"note": ["A clearing note is required."]})
    with transaction.atomic():
        locked = _lock_aircraft(squawk.aircraft)
        before = squawk_snapshot(Squawk.objects.get(pk=squawk.pk))
        cleared = Squawk.objects.filter(pk=squawk.pk, cleared_at__isnull=True).update(
            cleared_at=now, cleared_by=by, clearing_note=note)
        if not cleared:
            raise ConflictError("This squawk is already cleared.", code="squawk_already_cleared")
        squawk.refresh_from_db()
        audit_record(action="squawk.cleared", object_type="squawk", object_id=squawk.pk, actor=by, before=before,
                     after=squawk_snapshot(squawk))
        if squawk.grounding and not _open_grounding_squawks(locked.pk).exists():
            aircraft_return_to_service(aircraft=locked, by=by, now=now)
    return squawk


def aircraft_ground(*, aircraft: Aircraft, by, reason: str, now: datetime | None = None) -> list[int]:
    """Put the aircraft in maintenance and every upcoming flight of it on a maintenance hold.

    Safe to call twice: a flight already held for maintenance is not held again, and options are opened
    only for the flights this call held. Returns their ids. The options are worked out once the holds are
    committed (at once when there is no transaction open).
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_aircraft(aircraft)
        if locked.status != AircraftStatus.MAINTENANCE:
            Aircraft.objects.filter(pk=locked.pk).update(status=AircraftStatus.MAINTENANCE)
            audit_record(action="aircraft.grounded", object_type="aircraft", object_id=locked.pk, actor=by,
                         before={"status": locked.status},
                         after={"status": AircraftStatus.MAINTENANCE, "reason": reason})
        aircraft.status = AircraftStatus.MAINTENANCE
        upcoming = (Booking.objects.select_for_update()
                    .filter(aircraft_id=locked.pk, status__in=HOLDABLE_STATUSES, start__gt=now)
                    .exclude(hold_reason=HoldReason.MAINTENANCE).order_by("pk"))
        held = [booking.pk for booking in upcoming if _hold_for_maintenance(booking=booking, by=by, reason=reason,
                                                                             now=now)]
        if held:
            transaction.on_commit(lambda: aircraft_grounded.send(sender=Aircraft, booking_ids=held, reason=reason,
                                                                 now=now))
    return held


def _hold_for_maintenance(*, booking: Booking, by, reason: str, now: datetime) -> bool:
    previous = booking.status
    before = {"status": previous, "hold_reason": booking.hold_reason}
    if previous == BookingStatus.WEATHER_HOLD:
        # Already held for weather: its options may name this aircraft, so it is held again, for maintenance,
        # and offered new options without it. It keeps the status the weather hold interrupted.
        claimed = Booking.objects.filter(pk=booking.pk, status=previous).exclude(
            hold_reason=HoldReason.MAINTENANCE).update(hold_reason=HoldReason.MAINTENANCE, updated_at=now)
    else:
        claimed = Booking.objects.filter(pk=booking.pk, status=previous).update(
            status=BookingStatus.WEATHER_HOLD, status_before_hold=previous, hold_reason=HoldReason.MAINTENANCE,
            updated_at=now)
    if claimed:
        audit_record(action="booking.maintenance_hold", object_type="booking", object_id=booking.pk, actor=by,
                     before=before, after={"status": BookingStatus.WEATHER_HOLD,
                                           "hold_reason": HoldReason.MAINTENANCE, "reason": reason})
    return bool(claimed)


def grounding_reason(aircraft: Aircraft) -> str:
    """What a maintenance hold tells people: the latest open grounding squawk, or that staff set maintenance."""
    squawk = _open_grounding_squawks(aircraft.pk).order_by("-opened_at", "-id").first()
    if squawk is not None:
        return f"{aircraft.tail_number} is grounded: {squawk.text}"
    return f"{aircraft.tail_number} is in maintenance."


def aircraft_return_to_service(*, aircraft: Aircraft, by, now: datetime | None = None) -> list[int]:
    """Put the aircraft back in service; rescheduling releases the maintenance holds whose request is still open
    (see `aircraft_returned_to_service`). Returns the released booking ids. Refused while a grounding squawk is
    open."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_aircraft(aircraft)
        open_squawks = list(_open_grounding_squawks(locked.pk).values_list("pk", flat=True))
        if open_squawks:
            raise ConflictError(
                f"{locked.tail_number} has {len(open_squawks)} open grounding squawk(s); clear them to return it "
                "to service.", code="aircraft_grounded", extra={"squawks": open_squawks},
                fields={"status": ["Clear the open grounding squawks first."]})
        if locked.status != AircraftStatus.AVAILABLE:
            Aircraft.objects.filter(pk=locked.pk).update(status=AircraftStatus.AVAILABLE)
            audit_record(action="aircraft.returned_to_service", object_type="aircraft", object_id=locked.pk,
                         actor=by, before={"status": locked.status}, after={"status": AircraftStatus.AVAILABLE})
        aircraft.status = AircraftStatus.AVAILABLE
        released = [pk for _receiver, ids in aircraft_returned_to_service.send(sender=Aircraft, aircraft=locked,
                                                                                by=by, now=now) for pk in ids]
    return released


def booking_release_maintenance_hold(*, booking: Booking, by, now: datetime) -> bool:
    """Put a flight held for maintenance back as it was before the hold. False when it is no longer held."""
    restored = booking.status_before_hold or BookingStatus.SCHEDULED
    claimed = Booking.objects.filter(pk=booking.pk, status=BookingStatus.WEATHER_HOLD,
                                     hold_reason=HoldReason.MAINTENANCE).update(
        status=restored, status_before_hold="", hold_reason="", updated_at=now)
    if not claimed:
        return False
    booking.status, booking.status_before_hold, booking.hold_reason = restored, "", ""
    audit_record(action="booking.maintenance_hold_released", object_type="booking", object_id=booking.pk,
                 actor=by, before={"status": BookingStatus.WEATHER_HOLD, "hold_reason": HoldReason.MAINTENANCE},
                 after={"status": restored})
    return True
