from django import template
from django.utils.html import format_html

from bookings.models import BookingStatus, HoldReason
from web import reasons as reasons_for_reading
from web import timefmt

register = template.Library()

BADGE_LABELS = {
    "ok": ("OK", "✓"),
    "marginal": ("Marginal", "!"),
    "conflict": ("Conflict", "✕"),
    "unknown": ("Unknown", "?"),
}


@register.filter
def airport_time(value, airport=None):
    """`{{ booking.start|airport_time:booking.departure_airport }}` → `Wed 15 Jan 09:30 PST`."""
    return timefmt.format_local(value, airport)


@register.filter
def airport_clock(value, airport=None):
    """Only the time of day, with the zone: `09:30 PST`."""
    return timefmt.format_local(value, airport, with_date=False)


@register.simple_tag
def airport_range(start, end, airport=None):
    return timefmt.format_local_range(start, end, airport)


@register.simple_tag
def weather_badge(status):
    """A badge that says its meaning in words and a symbol, so colour is never the only signal."""
    status = status or "unknown"
    label, symbol = BADGE_LABELS.get(status, BADGE_LABELS["unknown"])
    return format_html(
        '<span class="badge badge-{}"><span aria-hidden="true">{}</span> Weather: {}</span>', status, symbol, label
    )


@register.simple_tag
def confidence_badge(confidence):
    """How far to trust the forecast, in words (firm, likely, uncertain), with the reason as a tooltip."""
    if not confidence:
        return ""
    return format_html('<span class="confidence confidence-{}" title="{}">Forecast: {}</span>',
                       confidence.get("level", "low"), confidence.get("basis", ""), confidence.get("word", ""))


@register.simple_tag
def status_badge(booking):
    if booking.status == BookingStatus.WEATHER_HOLD and getattr(booking, "hold_reason", "") == HoldReason.MAINTENANCE:
        return format_html('<span class="status status-{}">{}</span>', booking.status, "Maintenance hold")
    return format_html('<span class="status status-{}">{}</span>', booking.status, booking.get_status_display())


@register.filter
def local_reason(reason, booking):
    """`{{ reason|local_reason:booking }}`: the reason's UTC hours in the booking's airport time, with the zone."""
    return timefmt.localize_reason(str(reason), place=getattr(booking, "departure_airport", None),
                                   around=getattr(booking, "start", None))


@register.simple_tag
def reason_at(reason, around, airport=None):
    """`{% reason_at reason option.start booking.departure_airport %}`, for a reason about another window."""
    return timefmt.localize_reason(str(reason), place=airport, around=around)


@register.filter
def condensed(reasons, booking):
    """`{% for r in reasons|condensed:booking %}`: one line per finding and place with its hours (web.reasons)."""
    return reasons_for_reading.condense(reasons, place=getattr(booking, "departure_airport", None),
                                        around=getattr(booking, "start", None))


@register.simple_tag
def condensed_at(reasons, around, airport=None):
    """`{% condensed_at option.weather_reasons option.start booking.departure_airport as lines %}`."""
    return reasons_for_reading.condense(reasons, place=airport, around=around)
