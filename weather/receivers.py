"""How weather answers bookings' signals (connected in WeatherConfig.ready)."""

from config.exceptions import ApplicationError
from weather.judging import UNKNOWN, flight_night_reason
from weather.selectors import minimums_by_level, minimums_for, window_verdicts


def refuse_night_flight(sender, *, start, end, student, departure, **kwargs) -> None:
    """A student whose level may not fly at night (and who has no night endorsement) is not booked into it:
    the lesson must end by evening civil twilight and start after morning civil twilight at the departure."""
    minimums = minimums_for(minimums_by_level(), student.training_level).for_flight(
        night_endorsed=student.night_endorsement)
    reason = flight_night_reason(departure=departure, start=start, end=end, minimums=minimums)
    if reason:
        field = "start" if reason.startswith("starts") else "end"
        raise ApplicationError(f"The lesson {reason}: book it in daylight.", code="night_not_allowed",
                               fields={field: [reason]})


def judge_changed_booking(sender, *, booking, now, **kwargs) -> None:
    """The verdict for the booking as it now stands, from the forecasts the monitor already stored."""
    verdict = window_verdicts(departure=booking.departure_airport, destination=booking.destination_airport,
                              training_level=booking.student.training_level, windows=[(booking.start, booking.end)],
                              now=now, lesson_type=booking.lesson_type, aircraft=booking.aircraft,
                              night_endorsed=booking.student.night_endorsement)[0]
    if verdict.status != UNKNOWN:
        booking.weather_status, booking.weather_checked_at = verdict.status, now
