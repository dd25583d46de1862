from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.selectors import user_by_calendar_token
from bookings import selectors


@require_GET
def calendar_feed(request, token: str):
    """The secret token in the address is the credential: calendar apps cannot sign in."""
    # icalendar takes about a tenth of a second to import: only a feed request pays it, not every cold start.
    from bookings.calendar import HISTORY, bookings_calendar

    user = user_by_calendar_token(token)
    if user is None:
        raise Http404("No such calendar.")
    bookings = selectors.calendar_bookings(user=user, since=timezone.now() - HISTORY)
    body = bookings_calendar(bookings=bookings, name=f"Flights · {user.get_full_name() or user.email}")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="flights.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
