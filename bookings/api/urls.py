from django.urls import path
from rest_framework.routers import SimpleRouter

from bookings.api.squawks import AircraftSquawksView, SquawkClearView
from bookings.api.standby import StandbyViewSet
from bookings.api.views import AircraftViewSet, AirportViewSet, BookingViewSet

router = SimpleRouter()
router.register("airports", AirportViewSet, basename="airport")
router.register("aircraft", AircraftViewSet, basename="aircraft")
router.register("bookings", BookingViewSet, basename="booking")
router.register("standby", StandbyViewSet, basename="standby")

urlpatterns = [
    path("aircraft/<str:aircraft_id>/squawks/", AircraftSquawksView.as_view(), name="aircraft-squawks"),
    path("squawks/<str:squawk_id>/clear/", SquawkClearView.as_view(), name="squawk-clear"),
    *router.urls,
]
