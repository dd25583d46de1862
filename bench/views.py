from rest_framework import serializers, status
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


class BareBookingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Booking
        fields = ["id", "student", "instructor", "aircraft", "departure_airport", "destination_airport", "start",
                  "end", "lesson_type", "status", "weather_status", "created_at", "updated_at"]
        read_only_fields = ["id", "status", "weather_status", "created_at", "updated_at"]


class BareCreateView(APIView):
    """The floor booking creation is measured against: a plain ModelSerializer insert into the same table (so
    PostgreSQL's exclusion constraints still check every row), without authentication, locks, scheduling rules,
    audit row or notifications."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        serializer = BareBookingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=status.HTTP_201_CREATED)
