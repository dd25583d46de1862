"""What bookings tells the apps above it.

Bookings sits below availability, weather and rescheduling, so it never calls them. It sends these signals and
their receivers, connected in each higher app's `AppConfig.ready`, act: synchronously, in the sender's
transaction unless a signal says otherwise. A receiver that refuses a booking raises `ApplicationError`, which
reaches the caller as it would from the bookings service itself.
"""

from django.dispatch import Signal

# A booking is about to take a slot. Arguments: start, end, instructor, aircraft, override_availability.
# Availability refuses an aircraft blocked by an exception, and without the override a slot outside the patterns.
booking_availability_checking = Signal()

# A booking is about to take a slot without the availability override. Arguments: start, end, student,
# departure. Weather refuses night for a student whose minimums do not allow it.
booking_daylight_checking = Signal()

# An unsaved booking is new, or now has another window, route, pilot or aircraft; its verdict is `unknown`.
# Arguments: booking, now. Weather sets `weather_status` and `weather_checked_at` on it.
booking_rejudging = Signal()

# A booking was cancelled, inside the cancel's transaction. Arguments: booking, actor, now. Rescheduling
# withdraws its open requests.
booking_cancelled = Signal()

# Bookings were held because their aircraft was grounded; sent after that commit. Arguments: booking_ids,
# reason, now. Rescheduling offers options and tells the people.
aircraft_grounded = Signal()

# An aircraft is back in service, inside that transaction with the aircraft row locked. Arguments: aircraft,
# by, now. Rescheduling releases the maintenance holds and returns the released booking ids.
aircraft_returned_to_service = Signal()
