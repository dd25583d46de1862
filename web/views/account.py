from datetime import date
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from accounts.selectors import users_with_role
from accounts.services import user_rotate_calendar_token, user_sign_out_everywhere, user_update
from bookings.selectors import aircraft_list
from config.exceptions import ApplicationError
from notifications.selectors import notification_get, notification_list
from notifications.services import notification_mark_read, notifications_mark_all_read
from web import selectors
from web.forms import ProfileForm
from web.views.common import login_required, not_found_as_404, render_page


@login_required
@require_GET
def notifications(request):
    items = list(notification_list(actor=request.user)[:100])
    return render_page(request, "web/notifications.html", {"items": items})


@login_required
@require_POST
@not_found_as_404
def notification_read(request, notification_id: int):
    notification = notification_mark_read(
        notification=notification_get(actor=request.user, notification_id=notification_id), actor=request.user,
    )
    if notification.link and request.POST.get("follow"):
        return redirect(_local_path(notification.link))
    return redirect(reverse("web:notifications"))


def _local_path(link: str) -> str:
    """Links in messages carry FRONTEND_URL; followed from this site, stay on it (and never leave it)."""
    parts = urlsplit(link)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


@login_required
@require_POST
def notifications_read_all(request):
    count = notifications_mark_all_read(actor=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return redirect(reverse("web:notifications"))


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(request.POST if request.method == "POST" else None,
                       initial={"email_notifications": request.user.email_notifications})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user_update(user=request.user, actor=request.user,
                            email_notifications=form.cleaned_data["email_notifications"])
            except ApplicationError as exc:
                form.add_service_errors({None: [exc.message], **exc.fields})
                status = 400
            else:
                state = "on" if form.cleaned_data["email_notifications"] else "off"
                messages.success(request, f"Email notifications are {state}.")
                return redirect(reverse("web:profile"))
        else:
            status = 400
    feed_url = request.build_absolute_uri(f"/calendar/{request.user.calendar_token}.ics")
    return render_page(request, "web/profile.html", {"form": form, "feed_url": feed_url}, status=status)


@login_required
@require_POST
def profile_calendar_rotate(request):
    user_rotate_calendar_token(user=request.user, actor=request.user)
    messages.success(request, "Your calendar feed has a new address; the old one no longer works.")
    return redirect(reverse("web:profile"))


@login_required
@require_POST
def profile_sign_out_everywhere(request):
    user_sign_out_everywhere(user=request.user, actor=request.user)
    logout(request)
    return redirect(settings.LOGIN_URL)


@login_required
@require_GET
def calendar(request):
    zone = selectors.school_zone()
    try:
        week_of = date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        week_of = timezone.now().astimezone(zone).date()
    instructors = users_with_role(Role.INSTRUCTOR)
    aircraft = aircraft_list()
    chosen_instructor = _pick(instructors, request.GET.get("instructor"))
    chosen_aircraft = None if chosen_instructor else _pick(aircraft, request.GET.get("aircraft"))
    context = selectors.week_calendar(actor=request.user, week_start=selectors.week_start_for(week_of),
                                      instructor=chosen_instructor, aircraft=chosen_aircraft)
    today = timezone.now().astimezone(zone).date()
    for day in context["days"]:
        day["is_today"] = day["date"] == today
    context.update(instructors=instructors, aircraft_choices=aircraft)
    return render_page(request, "web/calendar.html", context)


def _pick(queryset, raw):
    try:
        return queryset.get(pk=int(raw)) if raw else None
    except (ValueError, queryset.model.DoesNotExist):
        return None
