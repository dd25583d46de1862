from django.apps import AppConfig

from bookings import signals as booking_signals


class AvailabilityConfig(AppConfig):
    name = "availability"

    def ready(self):
        from availability import receivers

        booking_signals.booking_availability_checking.connect(
            receivers.refuse_outside_availability, dispatch_uid="availability.refuse_outside_availability")
