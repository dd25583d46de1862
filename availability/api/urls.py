from django.urls import path
from rest_framework.routers import SimpleRouter

from availability.api.views import AvailabilityExceptionViewSet, AvailabilityPatternViewSet, SlotsView

router = SimpleRouter()
router.register("availability/patterns", AvailabilityPatternViewSet, basename="availability-pattern")
router.register("availability/exceptions", AvailabilityExceptionViewSet, basename="availability-exception")

urlpatterns = [
    path("availability/slots/", SlotsView.as_view(), name="availability-slots"),
    *router.urls,
]
