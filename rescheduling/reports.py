"""Reads for staff reports on rescheduling."""

from datetime import date, datetime

from django.db.models import Count
from django.db.models.functions import TruncMonth

from rescheduling.models import RequestStatus, RescheduleRequest


def weather_reschedules_by_month(*, start: datetime, end: datetime, zone) -> dict[date, int]:
    """Flights due in [start, end) that a weather conflict moved through an accepted option, by the month they
    were due (in `zone`). Requests opened on demand carry no weather reasons and are not counted. One query."""
    rows = (RescheduleRequest.objects.filter(status=RequestStatus.ACCEPTED, booking__start__gte=start,
                                             booking__start__lt=end).exclude(reasons=[])
            .annotate(month=TruncMonth("booking__start", tzinfo=zone)).values("month")
            .annotate(n=Count("id")).order_by())
    return {(row["month"].date() if isinstance(row["month"], datetime) else row["month"]): row["n"] for row in rows}
