from django.urls import path
from rest_framework.routers import SimpleRouter

from rescheduling.api.views import BookingRescheduleView, RescheduleRequestViewSet

router = SimpleRouter()
router.register("reschedule-requests", RescheduleRequestViewSet, basename="reschedule-request")

urlpatterns = [
    path("bookings/<int:booking_id>/reschedule/", BookingRescheduleView.as_view(), name="booking-reschedule"),
    *router.urls,
]
