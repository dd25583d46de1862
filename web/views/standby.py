"""The standby list in the pages: join it from a taken slot on the booking form, see it, withdraw."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from bookings.selectors import standby_get, standby_list
from bookings.services.standby import standby_withdraw
from config.exceptions import ApplicationError
from web.views.common import login_required, not_found_as_404, render_page


@login_required
@require_GET
def standby_page(request):
    requests = list(standby_list(actor=request.user))
    return render_page(request, "web/standby.html", {
        "waiting": [r for r in requests if r.status == "waiting"],
        "done": [r for r in requests if r.status != "waiting"][:50],
    })


@login_required
@require_POST
@not_found_as_404
def standby_withdraw_view(request, standby_id: int):
    standby = standby_get(actor=request.user, standby_id=standby_id)
    try:
        standby_withdraw(standby=standby, actor=request.user)
        messages.success(request, f"You are off standby for {standby.when_local}.")
    except ApplicationError as exc:  # no longer waiting: booked, expired or withdrawn meanwhile
        messages.error(request, exc.message)
    return redirect(reverse("web:standby"))
