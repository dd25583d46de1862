"""Actions operations staff run from the Django admin, added to the apps' own admin pages.

Each action goes through the owning app's job or service, so rules, audit and notifications apply exactly as
when the scheduler or a student does the same thing.
"""

import math
from datetime import timedelta

from django.contrib import admin, messages
from django.utils import timezone

from bookings.models import ACTIVE_STATUSES, Booking, WeatherStatus
from config.exceptions import ApplicationError
from rescheduling.models import RescheduleRequest
from rescheduling.services import reschedule_request_open
from weather.selectors import latest_check


@admin.action(description="Run the weather check now for the selected flights")
def check_weather_now(modeladmin, request, queryset):
    """Judge exactly the chosen flights now, as the scheduled monitor would, and act on the result."""
    # Imported here: jobs modules set Django up for scheduled events, which must not happen while apps load.
    from weather.jobs import run_monitor

    now = timezone.now()
    chosen = list(queryset.filter(status__in=ACTIVE_STATUSES, start__gte=now).order_by("start"))
    skipped = queryset.count() - len(chosen)
    if skipped:
        modeladmin.message_user(request, f"{skipped} selected flight(s) skipped: already started or not active.",
                                messages.WARNING)
    if not chosen:
        return
    hours = max(1, math.ceil((chosen[-1].start - now) / timedelta(hours=1)) + 1)
    summary = run_monitor(hours=hours, now=now, booking_ids=[booking.pk for booking in chosen])
    if summary.get("skipped"):
        modeladmin.message_user(request, "A weather check is already running; try again in a minute.",
                                messages.WARNING)
        return
    modeladmin.message_user(
        request,
        f"Weather checked for {summary['bookings']} selected flight(s): "
        f"{summary['conflict']} conflict, {summary['marginal']} marginal, {summary['ok']} ok, "
        f"{summary['unknown']} unknown; {summary['held']} put on hold, {summary['released']} released.",
        messages.ERROR if summary.get("errors") else messages.SUCCESS,
    )


def _regenerate(modeladmin, request, bookings) -> None:
    opened, problems = 0, []
    for booking in bookings:
        try:
            reschedule_request_open(booking=booking, actor=request.user, reasons=_latest_reasons(booking))
        except ApplicationError as exc:
            problems.append(f"Booking {booking.pk}: {exc.message}")
        else:
            opened += 1
    if opened:
        modeladmin.message_user(request, f"New options offered for {opened} flight(s); the people involved "
                                         "were notified.", messages.SUCCESS)
    for problem in problems:
        modeladmin.message_user(request, problem, messages.WARNING)


def _latest_reasons(booking) -> list[str]:
    check = latest_check(booking=booking)
    return list(check.reasons) if check is not None and check.status == WeatherStatus.CONFLICT else []


@admin.action(description="Regenerate reschedule options for the selected flights")
def regenerate_options_for_bookings(modeladmin, request, queryset):
    _regenerate(modeladmin, request, queryset.select_related("student", "departure_airport", "destination_airport"))


@admin.action(description="Regenerate options for the selected requests' flights")
def regenerate_options_for_requests(modeladmin, request, queryset):
    bookings = Booking.objects.filter(pk__in=queryset.values("booking_id")).select_related(
        "student", "departure_airport", "destination_airport")
    _regenerate(modeladmin, request, bookings)


def _add_actions(model, *actions) -> None:
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        return
    # A fresh list: the class attribute may be shared with a parent ModelAdmin.
    model_admin.actions = [*(model_admin.actions or []), *actions]


def register() -> None:
    _add_actions(Booking, check_weather_now, regenerate_options_for_bookings)
    _add_actions(RescheduleRequest, regenerate_options_for_requests)
