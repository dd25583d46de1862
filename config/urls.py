from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.health import health

# The admin's lists (bookings above all) need the width; its home page lists every model anyway.
admin.site.enable_nav_sidebar = False

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("bookings.api.urls")),
    path("", include("availability.api.urls")),
    path("", include("weather.api.urls")),
    path("", include("rescheduling.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("operations.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as its own request, so the page needs no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

urlpatterns = [
    path("health", health, name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("", include("bookings.urls")),
    path("", include("web.urls")),
]
