from datetime import datetime, timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Role
from accounts.selectors import users_with_role
from availability.selectors import free_slots
from bookings.selectors import active_bookings_for_parties, aircraft_list, booking_get, booking_list
from bookings.services import airport_get_or_create, booking_create
from bookings.services.standby import standby_create
from config.exceptions import ApplicationError, ConflictError
from rescheduling.models import RequestStatus
from rescheduling.selectors import request_list
from weather.selectors import latest_check
from web import selectors, timefmt
from web.forms import BookingForm
from web.views.common import login_required, not_found_as_404, render_page

SLOT_STEP = timedelta(minutes=30)
PREFILLED = ("student", "instructor", "aircraft", "departure_airport", "destination_airport", "date", "start_time",
             "duration_minutes", "lesson_type")
NEEDED_FOR_SLOTS = {"instructor": "an instructor (or make it solo)", "aircraft": "an aircraft",
                    "departure_airport": "the departure airport", "date": "a day"}


def _and_join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@login_required
@require_GET
@not_found_as_404
def booking_detail(request, booking_id: int):
    booking = booking_get(actor=request.user, booking_id=booking_id)
    check = latest_check(booking=booking)
    requests = list(request_list(actor=request.user, filters={"booking": booking.id}))
    return render_page(request, "web/booking_detail.html", {
        "booking": booking,
        "check": check,
        "reasons": selectors.check_reasons(check),
        "timeline": selectors.weather_timeline(booking=booking, check=check),
        "pending_request": next((r for r in requests if r.status == RequestStatus.PENDING), None),
        "requests": requests,
        "providers": selectors.provider_names(check),
        "rules": selectors.rules_applied(booking=booking, check=check),
        "replacement": _replacement(request.user, booking),
    })


def _replacement(actor, booking):
    """The booking that replaced this one, when the actor may see it."""
    if not getattr(booking, "replacement_id", None):
        return None
    return booking_list(actor=actor).filter(pk=booking.replacement_id).first()


def _choices(actor):
    """Who and what the form may offer: a student books for themself; staff and instructors for students."""
    students = users_with_role(Role.STUDENT) if not actor.is_student else users_with_role(Role.STUDENT).none()
    return {"students": students, "instructors": users_with_role(Role.INSTRUCTOR),
            "aircraft": aircraft_list(filters={"status": "available"})}


def _start_in_airport_zone(form, airport) -> datetime | None:
    start_time = form.cleaned_data.get("start_time")
    if start_time is None:
        return None
    naive = datetime.combine(form.cleaned_data["date"], start_time)
    return naive.replace(tzinfo=timefmt.zone_of(airport))


def _slots(form, *, airport, student):
    """Free slots on the chosen day for the chosen instructor, aircraft and student."""
    zone = timefmt.zone_of(airport)
    day_start = datetime.combine(form.cleaned_data["date"], datetime.min.time(), tzinfo=zone)
    now = timezone.now()
    return free_slots(
        start=max(day_start, now), end=day_start + timedelta(days=1), duration=form.duration,
        instructor=form.cleaned_data.get("instructor"), aircraft=form.cleaned_data.get("aircraft"),
        student=student, step=SLOT_STEP,
    )


@login_required
@require_GET
def booking_slots(request):
    """The free slots for what the form has so far; the form asks for these as the choices change."""
    form = BookingForm(request.GET, actor=request.user, **_choices(request.user))
    context = {"slots": [], "problem": ""}
    if not form.is_valid():
        missing = [words for name, words in NEEDED_FOR_SLOTS.items() if name in form.errors]
        context["problem"] = (f"Choose {_and_join(missing)} to see free times." if missing
                              else "Fill in the flight details to see free times.")
    else:
        try:
            airport = airport_get_or_create(form.cleaned_data["departure_airport"])
        except ApplicationError as exc:
            context["problem"] = exc.message
        else:
            student = form.cleaned_data.get("student") or request.user
            context.update(slots=_slots(form, airport=airport, student=student), airport=airport)
    return render(request, "web/partials/slots.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def booking_new(request):
    choices = _choices(request.user)
    initial = {"date": timezone.now().astimezone(timefmt.school_zone()).date(), "duration_minutes": 120}
    if request.user.is_instructor:
        initial["instructor"] = request.user  # instructors book the lessons they teach
    if request.method == "GET":
        # The day grid opens the form on the place clicked: the aircraft or instructor, the day and the start.
        initial.update({name: value for name, value in request.GET.items() if name in PREFILLED and value})
    form = BookingForm(request.POST if request.method == "POST" else None, actor=request.user, initial=initial,
                       **choices)
    status = 200
    conflict_ids = []
    offer_standby = False
    if request.method == "POST":
        status = 400
        if form.is_valid() and not form.cleaned_data.get("start_time"):
            form.add_service_errors({"start_time": ["Pick one of the free times or type a start time."]})
        elif form.is_valid():
            airports = _resolve_airports(form)
            if airports:
                departure, destination = airports
                start = _start_in_airport_zone(form, departure)
                if request.POST.get("standby") in STANDBY_CHOICES:
                    return _join_standby(request, form, departure=departure, destination=destination, start=start)
                try:
                    booking = booking_create(
                        actor=request.user,
                        student=form.cleaned_data.get("student") or request.user,
                        instructor=form.cleaned_data.get("instructor"),
                        aircraft=form.cleaned_data["aircraft"],
                        departure_airport=departure, destination_airport=destination,
                        start=start, end=start + form.duration,
                        lesson_type=form.cleaned_data["lesson_type"],
                        override_availability=form.cleaned_data.get("override_availability", False),
                        notes=form.cleaned_data.get("notes", ""),
                    )
                except ConflictError as exc:
                    conflict_ids = exc.extra.get("conflicting_booking_ids", [])
                    form.add_service_errors({None: [_conflict_message(exc, conflict_ids)]})
                    status = exc.status_code
                    offer_standby = active_bookings_for_parties(
                        start=start, end=start + form.duration,
                        aircraft_ids=[form.cleaned_data["aircraft"].pk]).exists()
                except ApplicationError as exc:
                    form.add_service_errors({None: [exc.message], **_form_fields(exc.fields)})
                    status = exc.status_code
                else:
                    messages.success(request, "Flight booked for "
                                     + timefmt.format_local_range(booking.start, booking.end, departure) + ".")
                    return redirect(reverse("web:booking_detail", args=[booking.id]))
    return render_page(request, "web/booking_form.html", {
        "form": form, "conflict_ids": conflict_ids, "offer_standby": offer_standby,
        "aircraft": getattr(form, "cleaned_data", {}).get("aircraft"),
    }, status=status)


# The booking form's standby buttons: wait for the chosen aircraft, or for any aircraft of its model.
STANDBY_CHOICES = {"aircraft": False, "model": True}


def _join_standby(request, form, *, departure, destination, start):
    """The slot on the form is taken: put the student on standby for it instead of booking."""
    try:
        standby = standby_create(
            actor=request.user, student=form.cleaned_data.get("student") or request.user,
            instructor=form.cleaned_data.get("instructor"), aircraft=form.cleaned_data["aircraft"],
            any_of_model=STANDBY_CHOICES[request.POST["standby"]], departure_airport=departure,
            destination_airport=destination, start=start, end=start + form.duration,
            lesson_type=form.cleaned_data["lesson_type"], notes=form.cleaned_data.get("notes", ""))
    except ApplicationError as exc:
        form.add_service_errors({None: [exc.message]})
        return render_page(request, "web/booking_form.html", {"form": form, "conflict_ids": [],
                                                              "offer_standby": False}, status=exc.status_code)
    messages.success(request, f"On standby for {standby.when_local} ({standby.what}). If the slot opens up, "
                              "you are booked into it and told.")
    return redirect(reverse("web:standby"))


def _conflict_message(exc, conflict_ids) -> str:
    if not conflict_ids:
        return exc.message
    listed = ", ".join(f"#{i}" for i in conflict_ids)
    return (f"That time overlaps another flight ({listed}) for the same student, instructor or aircraft. "
            "Choose one of the free times instead.")


def _resolve_airports(form):
    """Both airports from the bundled database, or the form marked where a code is unknown."""
    airports = []
    for name in ("departure_airport", "destination_airport"):
        try:
            airports.append(airport_get_or_create(form.cleaned_data[name]))
        except ApplicationError as exc:
            form.add_service_errors({name: [exc.message]})
    return airports if len(airports) == 2 else None


# The services name fields the way the API does; the form asks for the same things under its own names.
FIELD_ALIASES = {"start": "start_time", "end": "duration_minutes"}


def _form_fields(fields: dict) -> dict:
    return {FIELD_ALIASES.get(name, name): errors for name, errors in (fields or {}).items()}
