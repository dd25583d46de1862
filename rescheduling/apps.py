from django.apps import AppConfig

from bookings import signals as booking_signals
from weather import signals as weather_signals


class ReschedulingConfig(AppConfig):
    name = "rescheduling"

    def ready(self):
        from rescheduling import holds

        booking_signals.booking_cancelled.connect(holds.on_booking_cancelled,
                                                  dispatch_uid="rescheduling.on_booking_cancelled")
        booking_signals.aircraft_grounded.connect(holds.on_aircraft_grounded,
                                                  dispatch_uid="rescheduling.on_aircraft_grounded")
        booking_signals.aircraft_returned_to_service.connect(
            holds.on_aircraft_returned_to_service, dispatch_uid="rescheduling.on_aircraft_returned_to_service")
        weather_signals.verdict_committed.connect(holds.on_verdict_committed,
                                                  dispatch_uid="rescheduling.on_verdict_committed")
