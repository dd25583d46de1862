from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from web import selectors
from web.views.common import login_required, render_page, staff_only, unread_count


@login_required
@require_GET
def dashboard(request):
    now = timezone.now()
    context = selectors.dashboard(actor=request.user, now=now)
    if request.user.is_admin:
        context["cancellations"] = selectors.cancellations_chart(now=now)
        context["late_cancellations"] = selectors.recent_late_cancellations(actor=request.user, now=now)
    return render_page(request, "web/dashboard.html", context)


@login_required
@require_GET
def dashboard_live(request):
    """The alerts and flight list alone, polled by the dashboard so holds show up without a reload."""
    context = selectors.dashboard(actor=request.user, now=timezone.now())
    context["unread_notifications"] = unread_count(request.user)
    return render(request, "web/partials/dashboard_live.html", context)


@login_required
@staff_only
@require_GET
def dispatch(request):
    now = timezone.now()
    context = {"days": selectors.dispatch_board(actor=request.user, now=now), "now": now,
               "zone": selectors.school_zone().key}
    template = "web/partials/dispatch_board.html" if request.htmx else "web/dispatch.html"
    if request.htmx:
        return render(request, template, context)
    return render_page(request, template, context)
