from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from weather.api.serializers import BookingWeatherSerializer
from weather.selectors import booking_weather_get


class BookingWeatherView(APIView):
    @extend_schema(responses=BookingWeatherSerializer, summary="The latest weather check of a booking")
    def get(self, request, booking_id: int):
        booking, check = booking_weather_get(actor=request.user, booking_id=booking_id)
        return Response(BookingWeatherSerializer.from_check(booking, check).data)
