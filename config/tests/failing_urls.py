"""A URL configuration with one view that fails, for the test that an unexpected API error is JSON too."""

from django.urls import include, path


def boom(request):
    raise RuntimeError("an unexpected failure")


urlpatterns = [
    path("api/v1/boom/", boom),
    path("", include("config.urls")),
]
