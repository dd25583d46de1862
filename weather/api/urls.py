from django.urls import path

from weather.api.views import BookingWeatherView

urlpatterns = [
    path("bookings/<int:booking_id>/weather/", BookingWeatherView.as_view(), name="booking-weather"),
]
