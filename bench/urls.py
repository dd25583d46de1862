from django.urls import path

from bench.views import BareRowsView
from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [path("bench/bare/", BareRowsView.as_view(), name="bench-bare"), *product_urlpatterns]
