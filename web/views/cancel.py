"""Cancelling a flight from the pages, with a reason; a student's late cancellation is said before it is made."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from bookings.models import CancelReason
from bookings.selectors import booking_get
from bookings.services import booking_cancel, cancellation_cutoff, is_late_cancellation
from config.exceptions import ApplicationError
from web import timefmt
from web.forms import CancelForm
from web.views.common import login_required, not_found_as_404, render_page


def _hours(delta) -> int:
    return int(delta.total_seconds() // 3600)


@login_required
@require_http_methods(["GET", "POST"])
@not_found_as_404
def booking_cancel_page(request, booking_id: int):
    booking = booking_get(actor=request.user, booking_id=booking_id)
    now = timezone.now()
    initial = {"reason_code": CancelReason.STUDENT if request.user.is_student else ""}
    form = CancelForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                booking = booking_cancel(booking=booking, actor=request.user, now=now,
                                         reason_code=form.cleaned_data["reason_code"],
                                         reason=form.cleaned_data["reason"])
            except ApplicationError as exc:
                form.add_service_errors(exc.fields or {None: [exc.message]})
                status = exc.status_code
            else:
                when = timefmt.format_local_range(booking.start, booking.end, booking.departure_airport)
                late = " It was a late cancellation; the school has been told." if booking.late_cancellation else ""
                messages.success(request, f"The flight on {when} is cancelled.{late}")
                return redirect(reverse("web:booking_detail", args=[booking.id]))
    return render_page(request, "web/booking_cancel.html", {
        "booking": booking,
        "form": form,
        "cancellable": booking.is_active,
        "late": booking.is_active and is_late_cancellation(booking=booking, actor=request.user, now=now),
        "cutoff_hours": _hours(cancellation_cutoff()),
    }, status=status)
