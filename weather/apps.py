from django.apps import AppConfig

from bookings import signals as booking_signals


class WeatherConfig(AppConfig):
    name = "weather"

    def ready(self):
        from weather import receivers

        booking_signals.booking_daylight_checking.connect(receivers.refuse_night_flight,
                                                          dispatch_uid="weather.refuse_night_flight")
        booking_signals.booking_rejudging.connect(receivers.judge_changed_booking,
                                                  dispatch_uid="weather.judge_changed_booking")
