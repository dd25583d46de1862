"""Reads for rescheduling, scoped by the person asking, and the figures the metrics endpoint reports."""

from datetime import datetime

import django_filters
from django.db.models import Prefetch

from config.exceptions import ApplicationError, NotFoundError
from rescheduling.models import RequestStatus, RescheduleOption, RescheduleRequest


class RequestFilter(django_filters.FilterSet):
    booking = django_filters.NumberFilter(field_name="booking_id")
    status = django_filters.MultipleChoiceFilter(choices=RequestStatus.choices)

    class Meta:
        model = RescheduleRequest
        fields = ["booking", "status"]


def visible_requests(*, actor):
    """Students see requests for their own bookings, instructors for the bookings they teach, admins all."""
    requests = RescheduleRequest.objects.all()
    if actor.is_admin:
        return requests
    if actor.is_instructor:
        return requests.filter(booking__instructor=actor)
    return requests.filter(booking__student=actor)


def request_list(*, actor, filters=None):
    options = RescheduleOption.objects.select_related("instructor", "aircraft").order_by("rank")
    requests = (
        visible_requests(actor=actor)
        .select_related("booking", "booking__student", "booking__instructor", "booking__departure_airport")
        .prefetch_related(Prefetch("options", queryset=options))
        .order_by("-created_at", "-id")
    )
    if filters:
        filterset = RequestFilter(filters, queryset=requests)
        if not filterset.is_valid():
            fields = {name: [str(m) for m in messages] for name, messages in filterset.errors.items()}
            raise ApplicationError("Some filters are not valid.", code="invalid", fields=fields)
        requests = filterset.qs
    return requests


def request_get(*, actor, request_id) -> RescheduleRequest:
    try:
        return request_list(actor=actor).get(pk=request_id)
    except (RescheduleRequest.DoesNotExist, ValueError, TypeError):
        raise NotFoundError("No such reschedule request.")


def option_get(*, actor, request_id, option_id) -> RescheduleOption:
    request = request_get(actor=actor, request_id=request_id)
    option = next((o for o in request.options.all() if str(o.pk) == str(option_id)), None)
    if option is None:
        raise NotFoundError("No such option.")
    option.request = request
    return option


def pending_request_for_booking(*, booking) -> RescheduleRequest | None:
    return RescheduleRequest.objects.filter(booking=booking, status=RequestStatus.PENDING).first()


def reschedule_stats(*, since: datetime, until: datetime) -> dict:
    """Requests opened in [since, until), how many were accepted, and conflict-to-confirmation time.

    A request superseded by fresh options or by clearing weather never put a decision to anyone, so it counts
    in neither the requests nor the acceptance rate.
    """
    decided = (
        RescheduleRequest.objects.filter(created_at__gte=since, created_at__lt=until)
        .exclude(status=RequestStatus.SUPERSEDED)
        .values_list("status", "detected_at", "decided_at")
    )
    requests = accepted = 0
    waits = []
    for status, detected_at, decided_at in decided:
        requests += 1
        if status == RequestStatus.ACCEPTED:
            accepted += 1
            if decided_at and detected_at:
                waits.append((decided_at - detected_at).total_seconds())
    return {
        "requests": requests,
        "accepted": accepted,
        "acceptance_rate": accepted / requests if requests else None,
        "avg_seconds_conflict_to_confirmed": sum(waits) / len(waits) if waits else None,
    }


def latest_request_statuses(*, booking_ids) -> dict[int, str]:
    """The status of each booking's most recent reschedule request (bookings without one are left out)."""
    latest: dict[int, str] = {}
    rows = (RescheduleRequest.objects.filter(booking_id__in=list(booking_ids))
            .order_by("booking_id", "-created_at", "-id").values_list("booking_id", "status"))
    for booking_id, status in rows:
        latest.setdefault(booking_id, status)
    return latest
