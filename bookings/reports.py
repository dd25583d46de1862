"""Reads for staff reports: counts over many bookings, never a person's details."""

from datetime import date, datetime

from django.db.models import Count
from django.db.models.functions import TruncMonth

from bookings.models import Booking, BookingStatus, CancelReason


def cancellations_by_month(*, start: datetime, end: datetime, zone) -> dict[date, dict[str, int]]:
    """Cancelled flights that were due in [start, end), by the month they were due (in `zone`) and reason code.

    Cancellations from before reason codes existed count as `other`. One query.
    """
    counts: dict[date, dict[str, int]] = {}
    rows = (Booking.objects.filter(status=BookingStatus.CANCELLED, start__gte=start, start__lt=end)
            .annotate(month=TruncMonth("start", tzinfo=zone)).values("month", "cancel_reason_code")
            .annotate(n=Count("id")).order_by())
    for row in rows:
        month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        code = row["cancel_reason_code"] or CancelReason.OTHER
        by_code = counts.setdefault(month, {})
        by_code[code] = by_code.get(code, 0) + row["n"]
    return counts
