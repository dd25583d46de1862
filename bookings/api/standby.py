"""Standby: `GET/POST /api/v1/standby/`, `GET /api/v1/standby/{id}/`, `POST /api/v1/standby/{id}/withdraw/`.

A student asks to wait for a taken slot on one aircraft (or any aircraft of its model, `any_of_model`); when a
booking there is cancelled or moved, the oldest waiting request that passes every booking rule is booked.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from bookings import selectors
from bookings.api.fields import (
    AwareDateTimeField,
    aircraft_field,
    instructor_field,
    student_field,
    validated_for_requester,
)
from bookings.models import LessonType, StandbyRequest
from bookings.services.standby import standby_create, standby_withdraw


class StandbySerializer(serializers.ModelSerializer):
    start = AwareDateTimeField(read_only=True)
    end = AwareDateTimeField(read_only=True)
    resolved_at = AwareDateTimeField(read_only=True)
    created_at = AwareDateTimeField(read_only=True)
    departure_airport = serializers.CharField(source="departure_airport.icao", read_only=True)
    destination_airport = serializers.CharField(source="destination_airport.icao", read_only=True)

    class Meta:
        model = StandbyRequest
        fields = ["id", "student", "instructor", "aircraft", "aircraft_model", "departure_airport",
                  "destination_airport", "start", "end", "lesson_type", "status", "booking", "notes", "created_at",
                  "resolved_at"]
        read_only_fields = fields


class StandbyCreateSerializer(serializers.Serializer):
    student = student_field(required=False, help_text="Defaults to the signed-in student.")
    instructor = instructor_field(required=False, allow_null=True, default=None)
    aircraft = aircraft_field()
    any_of_model = serializers.BooleanField(default=False,
                                            help_text="Wait for any aircraft of the same model as `aircraft`.")
    departure_airport = serializers.CharField(max_length=4, required=False, allow_blank=True,
                                              help_text="ICAO code; the aircraft's home airport when left out.")
    destination_airport = serializers.CharField(max_length=4, required=False, allow_blank=True)
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    lesson_type = serializers.ChoiceField(choices=LessonType.choices, default=LessonType.DUAL)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


@extend_schema(tags=["standby"])
class StandbyViewSet(viewsets.GenericViewSet):
    serializer_class = StandbySerializer
    permission_classes = [IsAuthenticated]
    queryset = StandbyRequest.objects.none()  # For the schema generator only.

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=["waiting", "booked", "withdrawn", "expired"])])
    def list(self, request):
        requests = selectors.standby_list(actor=request.user, status=request.query_params.get("status"))
        page = self.paginate_queryset(requests)
        return self.get_paginated_response(StandbySerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(StandbySerializer(selectors.standby_get(actor=request.user, standby_id=pk)).data)

    @extend_schema(request=StandbyCreateSerializer, responses={201: StandbySerializer})
    def create(self, request):
        standby = standby_create(actor=request.user, **validated_for_requester(StandbyCreateSerializer, request))
        return Response(StandbySerializer(standby).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: StandbySerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        standby = standby_withdraw(standby=selectors.standby_get(actor=request.user, standby_id=pk),
                                   actor=request.user)
        return Response(StandbySerializer(standby).data)
