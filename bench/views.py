from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings.models import Booking

BARE_FIELDS = ("id", "student_id", "instructor_id", "aircraft_id", "departure_airport_id",
               "destination_airport_id", "start", "end", "lesson_type", "status", "weather_status")


class BareRowsView(APIView):
    """The floor the product's endpoints are measured against: DRF, PostgreSQL and 50 rows of the same table,
    without authentication, permissions, scoping, filters, pagination or nested serializers."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response(list(Booking.objects.order_by("id").values(*BARE_FIELDS)[:50]))
