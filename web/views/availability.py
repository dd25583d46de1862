"""An instructor's own availability in the pages: weekly windows and time off, in the school's local time.

Only their own: every object is looked up through the availability selectors scoped to the actor and checked
to be theirs before it is changed. Operations staff keep using the API and the admin for everyone's.
"""

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from availability.selectors import exception_list, pattern_list
from availability.services import exception_create, exception_delete, pattern_create, pattern_delete
from config.exceptions import ApplicationError
from web import timefmt
from web.forms import WEEKDAYS, TimeOffForm, WeeklyWindowForm
from web.views.common import login_required, render_page


def _instructors_only(user) -> None:
    if not user.is_instructor:
        raise PermissionDenied("This page is for instructors: staff manage availability in the admin.")


def _own(queryset, user, object_id: int):
    found = queryset.filter(pk=object_id, instructor=user).first()
    if found is None:
        raise Http404("Not found")
    return found


@login_required
@require_http_methods(["GET", "POST"])
def my_availability(request):
    _instructors_only(request.user)
    zone = timefmt.school_zone()
    window_form = WeeklyWindowForm(request.POST if request.POST.get("form") == "window" else None,
                                   prefix="window")
    time_off_form = TimeOffForm(request.POST if request.POST.get("form") == "time_off" else None, prefix="off")
    status = 200
    if request.method == "POST":
        status = 400
        try:
            if request.POST.get("form") == "window" and window_form.is_valid():
                data = window_form.cleaned_data
                pattern_create(actor=request.user, instructor=request.user, weekday=data["weekday"],
                               start_time=data["start_time"], end_time=data["end_time"])
                messages.success(request, "Weekly window added.")
                return redirect(reverse("web:my_availability"))
            if request.POST.get("form") == "time_off" and time_off_form.is_valid():
                data = time_off_form.cleaned_data
                start = datetime.combine(data["start_date"], data["start_time"], tzinfo=zone)
                end = datetime.combine(data["end_date"], data["end_time"], tzinfo=zone)
                exception_create(actor=request.user, instructor=request.user, start=start, end=end,
                                 reason=data["reason"])
                messages.success(request, f"Time off added: {timefmt.format_local_range(start, end, zone)}.")
                return redirect(reverse("web:my_availability"))
        except ApplicationError as exc:
            target = window_form if request.POST.get("form") == "window" else time_off_form
            fields = {("end_date" if name == "end" and target is time_off_form else name): errors
                      for name, errors in exc.fields.items()}
            target.add_service_errors(fields or {None: [exc.message]})
    now = timezone.now()
    days = dict(WEEKDAYS)
    patterns = [(pattern, days[pattern.weekday])
                for pattern in pattern_list(actor=request.user).filter(instructor=request.user)]
    time_off = exception_list(actor=request.user).filter(instructor=request.user, end__gt=now)
    return render_page(request, "web/availability.html", {
        "patterns": patterns, "time_off": time_off, "window_form": window_form, "time_off_form": time_off_form,
        "zone": zone.key,
    }, status=status)


@login_required
@require_POST
def my_window_delete(request, pattern_id: int):
    _instructors_only(request.user)
    pattern_delete(pattern=_own(pattern_list(actor=request.user), request.user, pattern_id), actor=request.user)
    messages.success(request, "Weekly window removed. Lessons already booked in it stay booked.")
    return redirect(reverse("web:my_availability"))


@login_required
@require_POST
def my_time_off_delete(request, exception_id: int):
    _instructors_only(request.user)
    exception_delete(exception=_own(exception_list(actor=request.user), request.user, exception_id),
                     actor=request.user)
    messages.success(request, "Time off removed.")
    return redirect(reverse("web:my_availability"))
