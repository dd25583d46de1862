import functools

from django.db import connection
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import IsAdmin
from bookings import selectors, services
from bookings.api.fields import validated_for_requester
from bookings.api.serializers import (
    AircraftSerializer,
    AircraftWriteSerializer,
    AirportCreateSerializer,
    AirportSerializer,
    AirportUpdateSerializer,
    BookingCancelSerializer,
    BookingCreateSerializer,
    BookingSerializer,
    BookingUpdateSerializer,
    booking_rows_data,
)
from bookings.models import Aircraft, Booking
from config.exceptions import ApplicationError, int_or_404


class RetryAfterMixin:
    """A retryable error (a busy booking lock) tells the client when to try again."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, ApplicationError) and exc.retryable and "retry_after_seconds" in exc.extra:
            response["Retry-After"] = str(exc.extra["retry_after_seconds"])
        return response


class ReadForAllWriteForAdmins:
    """Everyone signed in reads; only operations staff write."""

    read_actions = {"list", "retrieve"}

    def get_permissions(self):
        if self.action in self.read_actions:
            return [IsAuthenticated()]
        return [IsAdmin()]


@extend_schema(tags=["airports"])
class AirportViewSet(ReadForAllWriteForAdmins, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Airports from the bundled airport database; any known ICAO code is added the first time it is named."""

    serializer_class = AirportSerializer
    lookup_field = "icao"
    lookup_value_regex = "[A-Za-z0-9]{4}"

    def get_queryset(self):
        search = self.request.query_params.get("search")
        services.airport_learn_from_search(search=search)
        return selectors.airport_list(search=search)

    @extend_schema(parameters=[OpenApiParameter("search", str, description="ICAO code, name or city")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, icao=None):
        return Response(AirportSerializer(services.airport_for_code(icao=icao)).data)

    @extend_schema(request=AirportCreateSerializer, responses={201: AirportSerializer})
    def create(self, request):
        serializer = AirportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        airport = services.airport_get_or_create(serializer.validated_data["icao"])
        return Response(AirportSerializer(airport).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AirportUpdateSerializer, responses={200: AirportSerializer})
    def partial_update(self, request, icao=None):
        serializer = AirportUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        airport = services.airport_update(airport=services.airport_for_code(icao=icao), actor=request.user,
                                          **serializer.validated_data)
        return Response(AirportSerializer(airport).data)

    @extend_schema(request=AirportUpdateSerializer, responses={200: AirportSerializer})
    def update(self, request, icao=None):
        return self.partial_update(request, icao)


@extend_schema(tags=["aircraft"])
class AircraftViewSet(ReadForAllWriteForAdmins, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AircraftSerializer
    queryset = Aircraft.objects.none()  # For the schema generator only.

    def get_queryset(self):
        return selectors.aircraft_list(filters=self.request.query_params)

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=["available", "maintenance"]),
                               OpenApiParameter("model", str), OpenApiParameter("home_airport", str)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, pk=None):
        return Response(AircraftSerializer(selectors.aircraft_get(aircraft_id=int_or_404(pk))).data)

    @extend_schema(request=AircraftWriteSerializer, responses={201: AircraftSerializer})
    def create(self, request):
        serializer = AircraftWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        aircraft = services.aircraft_create(actor=request.user, **serializer.validated_data)
        return Response(AircraftSerializer(aircraft).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AircraftWriteSerializer, responses={200: AircraftSerializer})
    def partial_update(self, request, pk=None):
        serializer = AircraftWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        aircraft = services.aircraft_update(aircraft=selectors.aircraft_get(aircraft_id=int_or_404(pk)),
                                            actor=request.user, **serializer.validated_data)
        return Response(AircraftSerializer(aircraft).data)

    @extend_schema(request=AircraftWriteSerializer, responses={200: AircraftSerializer})
    def update(self, request, pk=None):
        return self.partial_update(request, pk)


BOOKING_FILTERS = [
    OpenApiParameter("status", str, many=True, enum=["scheduled", "confirmed", "completed", "weather_hold",
                                                     "rescheduled", "cancelled"]),
    OpenApiParameter("start_after", str, description="ISO 8601; bookings starting at or after"),
    OpenApiParameter("start_before", str, description="ISO 8601; bookings starting before"),
    OpenApiParameter("student", int), OpenApiParameter("instructor", int), OpenApiParameter("aircraft", int),
    OpenApiParameter("lesson_type", str, enum=["dual", "solo", "cross_country", "checkride"]),
]


@extend_schema(tags=["bookings"])
class BookingViewSet(RetryAfterMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Students see and book their own lessons, instructors those they teach, operations staff everything."""

    serializer_class = BookingSerializer
    permission_classes = [IsAuthenticated]
    queryset = Booking.objects.none()  # Tells the schema generator the model; get_queryset scopes real requests.

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.booking_list(actor=self.request.user, filters=self.request.query_params)

    @extend_schema(parameters=BOOKING_FILTERS)
    def list(self, request, *args, **kwargs):
        if connection.vendor == "postgresql" and timezone.get_current_timezone_name() == "UTC":
            # PostgreSQL writes the page's JSON and counts the list in one statement (times in UTC); any other
            # database (SQLite under `make run`) takes the serializer's path.
            answer = self.paginator.counted_page_response(request, functools.partial(
                selectors.booking_page_json, actor=request.user, filters=request.query_params))
            if answer is not None:
                return answer
        # Plain rows rendered like BookingSerializer: the same body at a fraction of the cost per booking.
        page = self.paginate_queryset(selectors.booking_rows(actor=request.user, filters=request.query_params))
        return self.get_paginated_response(booking_rows_data(page))

    def retrieve(self, request, pk=None):
        return Response(BookingSerializer(selectors.booking_get(actor=request.user, booking_id=pk)).data)

    @extend_schema(request=BookingCreateSerializer, responses={201: BookingSerializer})
    def create(self, request):
        booking = services.booking_create(actor=request.user,
                                          **validated_for_requester(BookingCreateSerializer, request))
        booking.replacement_id = None  # Just created: nothing can have replaced it yet.
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BookingUpdateSerializer, responses={200: BookingSerializer})
    def partial_update(self, request, pk=None):
        booking = selectors.booking_get(actor=request.user, booking_id=pk)
        serializer = BookingUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking = services.booking_update(booking=booking, actor=request.user, **serializer.validated_data)
        return Response(BookingSerializer(booking).data)

    @extend_schema(request=BookingUpdateSerializer, responses={200: BookingSerializer})
    def update(self, request, pk=None):
        return self.partial_update(request, pk)

    @extend_schema(request=BookingCancelSerializer, responses={200: BookingSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        booking = selectors.booking_get(actor=request.user, booking_id=pk)
        serializer = BookingCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking = services.booking_cancel(booking=booking, actor=request.user, **serializer.validated_data)
        return Response(BookingSerializer(booking).data)
