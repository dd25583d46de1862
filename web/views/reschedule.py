from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from config.exceptions import ApplicationError, ConflictError
from rescheduling.models import RequestStatus
from rescheduling.selectors import request_get
from rescheduling.services import may_decide, reschedule_request_accept, reschedule_request_decline
from web import timefmt
from web.views.common import login_required, not_found_as_404, render_page


def _request_page(request, reschedule_request, *, error: str = "", status: int = 200):
    options = list(reschedule_request.options.all())
    now = timezone.now()
    return render_page(request, "web/reschedule.html", {
        "reschedule_request": reschedule_request,
        "booking": reschedule_request.booking,
        "options": options,
        "error": error,
        "is_open": reschedule_request.status == RequestStatus.PENDING and reschedule_request.expires_at > now,
        "can_decide": may_decide(reschedule_request=reschedule_request, actor=request.user),
    }, status=status)


@login_required
@require_GET
@not_found_as_404
def reschedule_detail(request, request_id: int):
    return _request_page(request, request_get(actor=request.user, request_id=request_id))


def _option_id(request) -> int:
    try:
        return int(request.POST.get("option", ""))
    except ValueError:
        raise Http404("No such option")


@login_required
@require_POST
@not_found_as_404
def reschedule_accept(request, request_id: int):
    reschedule_request = request_get(actor=request.user, request_id=request_id)
    try:
        booking = reschedule_request_accept(request=reschedule_request, option_id=_option_id(request),
                                            actor=request.user)
    except ConflictError as exc:
        message = (
            f"That time is no longer available. {exc.extra.get('reason', '')} Nothing was changed. "
            "Here are fresh options."
            if exc.code == "option_unavailable" else exc.message
        )
        # The service has already offered fresh options in a new request: show those, with what happened.
        shown = exc.extra.get("new_request_id") or request_id
        return _request_page(request, request_get(actor=request.user, request_id=shown), error=message, status=409)
    except ApplicationError as exc:
        refreshed = request_get(actor=request.user, request_id=request_id)
        return _request_page(request, refreshed, error=exc.message, status=exc.status_code)
    messages.success(request, "Rescheduled. Your new flight is "
                     + timefmt.format_local_range(booking.start, booking.end, booking.departure_airport) + ".")
    return redirect(reverse("web:booking_detail", args=[booking.id]))


@login_required
@require_POST
@not_found_as_404
def reschedule_decline(request, request_id: int):
    reschedule_request = request_get(actor=request.user, request_id=request_id)
    try:
        reschedule_request_decline(request=reschedule_request, actor=request.user)
    except ApplicationError as exc:
        return _request_page(request, reschedule_request, error=exc.message, status=exc.status_code)
    messages.info(request, "You declined these options. The flight stays on weather hold; the school will be in touch.")
    return redirect(reverse("web:booking_detail", args=[reschedule_request.booking_id]))
