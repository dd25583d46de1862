"""What an instructor does from the pages: confirm a lesson they teach, and say they cannot fly an option."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from bookings.models import BookingStatus
from bookings.selectors import booking_get
from bookings.services import booking_update
from config.exceptions import ApplicationError
from rescheduling.selectors import option_get
from rescheduling.services import reschedule_option_mark_unavailable
from web import timefmt
from web.views.common import login_required, not_found_as_404


@login_required
@require_POST
@not_found_as_404
def booking_confirm(request, booking_id: int):
    """The instructor's word that the lesson will happen (staff may give it too)."""
    booking = booking_get(actor=request.user, booking_id=booking_id)
    try:
        booking = booking_update(booking=booking, actor=request.user, status=BookingStatus.CONFIRMED)
    except ApplicationError as exc:
        messages.error(request, f"Not confirmed: {exc.message}")
    else:
        messages.success(request, "Confirmed: "
                         + timefmt.format_local_range(booking.start, booking.end, booking.departure_airport) + ".")
    return redirect(reverse("web:booking_detail", args=[booking.id]))


@login_required
@require_POST
@not_found_as_404
def option_unavailable(request, request_id: int, option_id: int):
    """The option's instructor cannot fly it: it is withdrawn, and when none is left fresh options are offered."""
    option = option_get(actor=request.user, request_id=request_id, option_id=option_id)
    try:
        current = reschedule_option_mark_unavailable(option=option, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("web:reschedule", args=[request_id]))
    when = timefmt.format_local_range(option.start, option.end, option.request.booking.departure_airport)
    if current.pk != request_id:
        messages.info(request, f"Marked {when} as one you cannot make. No option was left, so new ones are offered.")
    else:
        messages.info(request, f"Marked {when} as one you cannot make; the student can no longer choose it.")
    return redirect(reverse("web:reschedule", args=[current.pk]))
