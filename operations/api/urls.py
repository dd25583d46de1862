from django.urls import path
from rest_framework.routers import SimpleRouter

from operations.api.views import AuditEventViewSet, MetricsView

router = SimpleRouter()
router.register("audit-events", AuditEventViewSet, basename="audit-event")

urlpatterns = [
    path("metrics/", MetricsView.as_view(), name="metrics"),
    *router.urls,
]
