from django.urls import path

from bench.views import BareCreateView, BareRowsView
from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [path("bench/bare/", BareRowsView.as_view(), name="bench-bare"),
               path("bench/bare-create/", BareCreateView.as_view(), name="bench-bare-create"), *product_urlpatterns]
