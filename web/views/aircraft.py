"""The aircraft's page: its status, its squawks open and closed, and a form to write one up or clear one.

Instructors and operations staff only, as for the squawks API: a student is refused (403).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from bookings.models import BookingStatus
from bookings.selectors import aircraft_get, booking_list, squawk_get, squawk_list
from bookings.services import squawk_clear, squawk_open
from config.exceptions import ApplicationError
from web.forms import SquawkClearForm, SquawkForm
from web.views.common import login_required, not_found_as_404, render_page


def _instructors_and_staff(user) -> None:
    if not (user.is_admin or user.is_instructor):
        raise PermissionDenied("Only instructors and operations staff can open an aircraft's squawks.")


def _page(request, aircraft, *, form=None, clear_forms=None, status: int = 200):
    squawks = list(squawk_list(aircraft=aircraft))
    clear_forms = clear_forms or {}
    held = (booking_list(actor=request.user).filter(aircraft=aircraft, status=BookingStatus.WEATHER_HOLD,
                                                    hold_reason="maintenance")
            .select_related("departure_airport", "student").order_by("start"))
    return render_page(request, "web/aircraft_detail.html", {
        "aircraft": aircraft,
        "open_squawks": [(s, clear_forms.get(s.pk) or SquawkClearForm(prefix=f"clear-{s.pk}"))
                         for s in squawks if s.is_open],
        "closed_squawks": [s for s in squawks if not s.is_open],
        "form": form or SquawkForm(),
        "held": list(held),
    }, status=status)


@login_required
@require_GET
@not_found_as_404
def aircraft_detail(request, aircraft_id: int):
    _instructors_and_staff(request.user)
    return _page(request, aircraft_get(aircraft_id=aircraft_id))


@login_required
@require_POST
@not_found_as_404
def aircraft_squawk_new(request, aircraft_id: int):
    _instructors_and_staff(request.user)
    aircraft = aircraft_get(aircraft_id=aircraft_id)
    form = SquawkForm(request.POST)
    if not form.is_valid():
        return _page(request, aircraft, form=form, status=400)
    try:
        squawk = squawk_open(aircraft=aircraft, by=request.user, text=form.cleaned_data["text"],
                             grounding=form.cleaned_data["grounding"])
    except ApplicationError as exc:
        form.add_service_errors(exc.fields or {None: [exc.message]})
        return _page(request, aircraft, form=form, status=exc.status_code)
    if squawk.grounding:
        messages.warning(request, f"{aircraft.tail_number} is grounded. Its upcoming flights are on hold and "
                                  "their students are offered new options.")
    else:
        messages.success(request, "Squawk written up.")
    return redirect(reverse("web:aircraft_detail", args=[aircraft.pk]))


@login_required
@require_POST
@not_found_as_404
def squawk_clear_view(request, squawk_id: int):
    _instructors_and_staff(request.user)
    squawk = squawk_get(squawk_id=squawk_id)
    aircraft = aircraft_get(aircraft_id=squawk.aircraft_id)
    form = SquawkClearForm(request.POST, prefix=f"clear-{squawk.pk}")
    if not form.is_valid():
        return _page(request, aircraft, clear_forms={squawk.pk: form}, status=400)
    try:
        squawk_clear(squawk=squawk, by=request.user, note=form.cleaned_data["note"])
    except ApplicationError as exc:
        form.add_service_errors(exc.fields or {None: [exc.message]})
        return _page(request, aircraft, clear_forms={squawk.pk: form}, status=exc.status_code)
    aircraft = aircraft_get(aircraft_id=squawk.aircraft_id)
    messages.success(request, "Squawk cleared." + (f" {aircraft.tail_number} is back in service."
                                                  if aircraft.status == "available" and squawk.grounding else ""))
    return redirect(reverse("web:aircraft_detail", args=[aircraft.pk]))
