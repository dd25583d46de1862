from rest_framework.routers import SimpleRouter

from bookings.api.views import AircraftViewSet, AirportViewSet, BookingViewSet

router = SimpleRouter()
router.register("airports", AirportViewSet, basename="airport")
router.register("aircraft", AircraftViewSet, basename="aircraft")
router.register("bookings", BookingViewSet, basename="booking")

urlpatterns = router.urls
