from datetime import date

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from web import grid, timefmt
from web.views.common import login_required, render_page


def _day(value: str, today: date) -> tuple[date, str]:
    if not value:
        return today, ""
    try:
        return date.fromisoformat(value), ""
    except ValueError:
        return today, f"“{value}” is not a day (use YYYY-MM-DD); showing today instead."


@login_required
@require_GET
def day_grid(request):
    """The school's day, one row per aircraft and instructor; refreshed in place like the dispatch board."""
    now = timezone.now()
    day, problem = _day(request.GET.get("day", ""), now.astimezone(timefmt.school_zone()).date())
    context = {**grid.day_grid(actor=request.user, day=day, now=now), "problem": problem, "now": now}
    status = 400 if problem else 200
    if request.htmx:
        return render(request, "web/partials/day_grid.html", context, status=status)
    return render_page(request, "web/day_grid.html", context, status=status)
