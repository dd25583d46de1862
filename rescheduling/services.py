"""Writes for rescheduling: opening requests with ranked options, accepting, declining, closing them.

The solver and Claude run before the write transaction opens, so no row stays locked while Claude thinks.
"""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from accounts.selectors import operations_staff
from audit.services import audit_record
from bookings.models import ACTIVE_STATUSES, Booking, BookingStatus, HoldReason, WeatherStatus
from bookings.services import booking_create, booking_mark_rescheduled
from config.exceptions import ApplicationError, ConflictError, ForbiddenError
from notifications.services import notify
from rescheduling import ranking, solver
from rescheduling.models import (
    DECIDE_BEFORE_DEPARTURE,
    ON_DEMAND_COOLDOWN,
    REQUEST_MAX_AGE,
    RequestStatus,
    RescheduleOption,
    RescheduleRequest,
)
from weather import selectors as weather_selectors

logger = logging.getLogger(__name__)

BOOKING_PARTS = ("student", "instructor", "aircraft", "departure_airport", "destination_airport")
# Errors from booking_create that mean "the slot went away meanwhile", not "the request was malformed".
SLOT_LOST_CODES = {"booking_conflict", "outside_availability", "aircraft_unavailable"}


class OptionUnavailable(Exception):
    """The chosen slot no longer holds; the words say why, for the person who chose it."""


def request_snapshot(request: RescheduleRequest) -> dict:
    return {
        "booking": request.booking_id, "status": request.status, "expires_at": request.expires_at,
        "decided_by": request.decided_by_id, "closed_reason": request.closed_reason,
        "replacement_booking": request.replacement_booking_id,
    }


def _reload_booking(booking):
    return Booking.objects.select_related(*BOOKING_PARTS).get(pk=booking.pk)


def _parts_loaded(booking):
    return (Booking._meta.get_field(part).is_cached(booking) for part in BOOKING_PARTS)


def _declined_slots(booking) -> frozenset:
    """Slots an instructor marked unavailable on any earlier request for this booking: never offer them again."""
    marked = RescheduleOption.objects.filter(request__booking=booking, unavailable_at__isnull=False)
    return frozenset(marked.values_list("start", "instructor_id"))


def may_decide(*, reschedule_request: RescheduleRequest, actor) -> bool:
    """The student decides (or staff for them); the instructor sees the options but does not choose."""
    return bool(actor.is_admin or reschedule_request.booking.student_id == actor.pk)


def _may_decide(request: RescheduleRequest, actor) -> None:
    if may_decide(reschedule_request=request, actor=actor):
        return
    raise ForbiddenError("Only the student or operations staff can decide on these options.")


def request_expiry(*, booking, now: datetime) -> datetime:
    return min(booking.start - DECIDE_BEFORE_DEPARTURE, now + REQUEST_MAX_AGE)


def reschedule_request_open(*, booking, now: datetime | None = None, reasons=(), actor=None,
                            booking_is_fresh: bool = False) -> RescheduleRequest:
    """Offer up to three ranked options for `booking`, superseding any pending request for it.

    The booking is read again with its people, aircraft and airports unless the caller has just read it so
    (`booking_is_fresh`)."""
    now = now or timezone.now()
    if not booking_is_fresh:
        booking = _reload_booking(booking)
    if booking.status not in ACTIVE_STATUSES:
        raise ApplicationError(
            f"A {booking.get_status_display().lower()} booking cannot be rescheduled.",
            code="booking_not_reschedulable", fields={"booking": ["This booking is no longer active."]},
        )
    options = reschedule_options_find(booking=booking, now=now)
    return reschedule_request_store(booking=booking, now=now, reasons=list(reasons), actor=actor, options=options)


def reschedule_options_find(*, booking, now: datetime) -> list[ranking.RankedCandidate]:
    """The solver's candidates for `booking`, ranked (by Claude when configured). Call it with no transaction
    open: Claude may take its whole timeout, and no row should stay locked meanwhile."""
    grounded = booking.hold_reason == HoldReason.MAINTENANCE
    candidates = solver.find_candidates(booking=booking, now=now, unavailable=_declined_slots(booking),
                                        same_time_first=grounded)
    return ranking.rank_options(booking=booking, candidates=candidates,
                                pinned_start=booking.start if grounded else None)


class RescheduleThrottled(ApplicationError):
    status_code = 429
    default_code = "throttled"


def reschedule_request_open_on_demand(*, booking, actor, now: datetime | None = None) -> RescheduleRequest:
    """Someone asks for fresh options now. At most one request per booking per ON_DEMAND_COOLDOWN, counted from
    the stored requests (so the limit holds across processes): every request emails both people.

    `booking` is the one `bookings.selectors.booking_get` has just read for the actor (with its parts), so it
    is not read again."""
    now = now or timezone.now()
    latest = (RescheduleRequest.objects.filter(booking=booking).order_by("-created_at")
              .values_list("created_at", flat=True).first())
    if latest is not None and latest > now - ON_DEMAND_COOLDOWN:
        wait = max(1, int((latest + ON_DEMAND_COOLDOWN - now).total_seconds()))
        raise RescheduleThrottled(
            "New options were generated for this booking a moment ago; look at those, or ask again later.",
            extra={"retry_after_seconds": wait}, retryable=True)
    return reschedule_request_open(booking=booking, now=now, actor=actor,
                                   booking_is_fresh=all(_parts_loaded(booking)))


@transaction.atomic
def reschedule_request_store(*, booking, now: datetime, reasons: list[str], actor,
                   options: list[ranking.RankedCandidate]) -> RescheduleRequest:
    # One opener at a time per booking, so two monitors racing cannot leave two pending requests.
    Booking.objects.select_for_update().filter(pk=booking.pk).first()
    pending = list(RescheduleRequest.objects.filter(booking=booking, status=RequestStatus.PENDING))
    detected_at = min((p.detected_at for p in pending), default=now)
    if not reasons and pending:
        reasons = list(pending[0].reasons)
    for previous in pending:
        _close(request=previous, status=RequestStatus.SUPERSEDED, reason="new_options", now=now, actor=actor)

    request = RescheduleRequest.objects.create(
        booking=booking, status=RequestStatus.PENDING, reasons=reasons, detected_at=detected_at, created_at=now,
        expires_at=request_expiry(booking=booking, now=now),
    )
    RescheduleOption.objects.bulk_create([
        RescheduleOption(
            request=request, rank=rank, candidate_id=o.candidate.candidate_id, start=o.candidate.start,
            end=o.candidate.end, instructor_id=o.candidate.instructor_id, aircraft_id=o.candidate.aircraft_id,
            source=o.source, rationale=o.rationale, weather_status=o.candidate.weather_status,
            weather_reasons=list(o.candidate.weather_reasons), forecast_known=o.candidate.forecast_known,
            confidence=o.candidate.confidence, score=o.candidate.score,
        )
        for rank, o in enumerate(options, start=1)
    ])
    audit_record(
        action="reschedule_request.opened", object_type="reschedule_request", object_id=request.pk, actor=actor,
        after={**request_snapshot(request), "reasons": reasons,
               "options": [{"candidate_id": o.candidate.candidate_id, "source": o.source} for o in options]},
    )
    if options:
        # Both people's emails and the on-demand answer list the options with their instructors and aircraft:
        # read them once for all three.
        prefetch_related_objects([request], Prefetch("options", queryset=RescheduleOption.objects.select_related(
            "instructor", "aircraft").order_by("rank")))
        notify(kind="options_ready", recipients=[booking.student, booking.instructor], booking=booking,
               reschedule_request=request, reasons=reasons, idempotency_key=f"options_ready:{request.pk}",
               event_at=detected_at)
    else:
        # Nobody can choose among nothing: operations staff arrange a time by hand.

        logger.warning("No reschedule options found for booking %s", booking.pk)
        notify(kind="no_options", recipients=list(operations_staff()), booking=booking,
               reschedule_request=request, reasons=reasons, idempotency_key=f"no_options:{request.pk}",
               event_at=detected_at)
    return request


def _close(*, request: RescheduleRequest, status: str, reason: str, now: datetime, actor) -> bool:
    """Move a pending request to `status`; False when someone else already closed it."""
    won = RescheduleRequest.objects.filter(pk=request.pk, status=RequestStatus.PENDING).update(
        status=status, closed_reason=reason, decided_at=now,
        decided_by=actor if actor is not None and actor.is_authenticated else None,
    )
    if won:
        before = request_snapshot(request)
        request.refresh_from_db()
        audit_record(action=f"reschedule_request.{status}", object_type="reschedule_request", object_id=request.pk,
                     actor=actor, before=before, after=request_snapshot(request))
    return bool(won)


@transaction.atomic
def reschedule_requests_supersede(*, booking, reason: str, now: datetime | None = None, actor=None) -> int:
    """Close every pending request of `booking` (the weather cleared, or it was rescheduled another way)."""
    now = now or timezone.now()
    pending = RescheduleRequest.objects.filter(booking=booking, status=RequestStatus.PENDING)
    return sum(_close(request=r, status=RequestStatus.SUPERSEDED, reason=reason, now=now, actor=actor)
               for r in pending)


def _slot_problem(*, option: RescheduleOption, booking, now: datetime) -> str | None:
    """What only this app knows against the slot (an instructor's mark, the clock, the weather); None when it
    still holds. Maintenance, availability and overlaps are checked by `booking_create` under its locks."""
    if option.unavailable_at is not None:
        return "The instructor marked this option unavailable."
    if option.start <= now:
        return "This slot has already started."
    verdict = weather_selectors.window_verdicts(
        departure=booking.departure_airport, destination=booking.destination_airport,
        training_level=booking.student.training_level, windows=[(option.start, option.end)], now=now,
        lesson_type=booking.lesson_type, aircraft=option.aircraft, night_endorsed=booking.student.night_endorsement,
    )[0]
    if verdict.status == WeatherStatus.CONFLICT:
        return "This slot now fails your minimums: " + "; ".join(verdict.reasons)
    return None


def reschedule_request_accept(*, request: RescheduleRequest, option_id, actor, now: datetime | None = None):
    """Book the chosen option: a confirmed booking replaces the held one, all in one transaction.

    When the slot went away meanwhile nothing about the bookings changes, fresh options are offered in a new
    request, and ConflictError `option_unavailable` names it.
    """
    now = now or timezone.now()
    _may_decide(request, actor)
    try:
        return _accept(request=request, option_id=option_id, actor=actor, now=now)
    except OptionUnavailable as exc:
        fresh = reschedule_request_open(booking=request.booking, now=now, reasons=request.reasons, actor=actor)
        raise ConflictError(
            f"That option is no longer available. {exc} New options are ready.",
            code="option_unavailable", extra={"reason": str(exc), "new_request_id": fresh.pk},
        )


@transaction.atomic
def _accept(*, request: RescheduleRequest, option_id, actor, now: datetime):

    # The request row is the lock: a second accept waits here, then finds it no longer pending.
    locked = RescheduleRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != RequestStatus.PENDING:
        raise ConflictError(f"This request is already {locked.status}.", code="request_not_pending",
                            extra={"status": locked.status})
    if locked.expires_at <= now:
        raise ConflictError("This request has expired.", code="request_expired", extra={"status": locked.status})
    try:
        option = locked.options.select_related("instructor", "aircraft").get(pk=option_id)
    except (RescheduleOption.DoesNotExist, ValueError, TypeError):
        raise ApplicationError("Choose one of this request's options.", code="invalid",
                               fields={"option": ["Not an option of this request."]})
    old = Booking.objects.select_related(*BOOKING_PARTS).get(pk=locked.booking_id)
    problem = _slot_problem(option=option, booking=old, now=now)
    if problem:
        raise OptionUnavailable(problem)
    try:
        with transaction.atomic():
            replacement = booking_create(
                actor=actor, student=old.student, aircraft=option.aircraft,
                departure_airport=old.departure_airport, destination_airport=old.destination_airport,
                start=option.start, end=option.end, lesson_type=old.lesson_type, instructor=option.instructor,
                status=BookingStatus.CONFIRMED, rescheduled_from=old, notes=old.notes, now=now,
            )
    except ApplicationError as exc:
        if exc.code in SLOT_LOST_CODES:
            raise OptionUnavailable(exc.message)
        raise
    except IntegrityError:
        # The database's overlap constraint caught a booking made between our check and our insert.
        raise OptionUnavailable("Someone else booked this slot a moment ago.")
    booking_mark_rescheduled(booking=old, replacement=replacement, actor=actor, now=now)

    before = request_snapshot(locked)
    locked.status = RequestStatus.ACCEPTED
    locked.decided_at = now
    locked.decided_by = actor
    locked.replacement_booking = replacement
    locked.closed_reason = "accepted"
    locked.save(update_fields=["status", "decided_at", "decided_by", "replacement_booking", "closed_reason"])
    audit_record(action="reschedule_request.accepted", object_type="reschedule_request", object_id=locked.pk,
                 actor=actor, before=before, after={**request_snapshot(locked), "option": option.pk,
                                                    "candidate_id": option.candidate_id})
    recipients = [old.student, replacement.instructor]
    if old.instructor_id and old.instructor_id != replacement.instructor_id:
        recipients.append(old.instructor)  # the instructor who lost the lesson hears about it too
    notify(kind="reschedule_confirmed", recipients=recipients, booking=replacement, reschedule_request=locked,
           idempotency_key=f"reschedule_confirmed:{locked.pk}", event_at=now)
    return replacement


@transaction.atomic
def reschedule_request_decline(*, request: RescheduleRequest, actor, now: datetime | None = None) -> RescheduleRequest:
    """The student turns every option down; operations staff are alerted to sort it out by hand."""
    now = now or timezone.now()
    _may_decide(request, actor)
    if not _close(request=request, status=RequestStatus.DECLINED, reason="declined", now=now, actor=actor):
        request.refresh_from_db()
        raise ConflictError(f"This request is already {request.status}.", code="request_not_pending",
                            extra={"status": request.status})
    notify(kind="request_declined", recipients=list(operations_staff()), booking=request.booking,
           reschedule_request=request, reasons=request.reasons,
           idempotency_key=f"request_declined:{request.pk}", event_at=now)
    return request


def reschedule_option_mark_unavailable(*, option: RescheduleOption, actor,
                                       now: datetime | None = None) -> RescheduleRequest:
    """The option's instructor cannot fly it. When no option is left, fresh ones are generated.

    Returns the request the people should now look at: the same one, or the new one.
    """
    now = now or timezone.now()
    request = option.request
    if not (actor.is_admin or (option.instructor_id is not None and option.instructor_id == actor.pk)):
        raise ForbiddenError("Only the option's instructor or operations staff can mark it unavailable.")
    with transaction.atomic():
        locked = RescheduleRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != RequestStatus.PENDING:
            raise ConflictError(f"This request is already {locked.status}.", code="request_not_pending",
                                extra={"status": locked.status})
        marked = RescheduleOption.objects.filter(pk=option.pk, unavailable_at__isnull=True).update(
            unavailable_at=now, unavailable_by=actor)
        if marked:
            audit_record(action="reschedule_option.marked_unavailable", object_type="reschedule_option",
                         object_id=option.pk, actor=actor, before={"unavailable_at": None},
                         after={"unavailable_at": now, "request": locked.pk, "candidate_id": option.candidate_id})
        remaining = locked.options.filter(unavailable_at__isnull=True).exists()
    if remaining:
        return locked
    return reschedule_request_open(booking=locked.booking, now=now, reasons=locked.reasons, actor=actor)
