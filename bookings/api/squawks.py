"""Squawks on an aircraft: `GET/POST /api/v1/aircraft/{id}/squawks/`, `POST /api/v1/squawks/{id}/clear/`.

Instructors and operations staff read and write them; students are refused (403).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from bookings import selectors, services
from bookings.api.fields import AwareDateTimeField
from bookings.models import Squawk
from config.exceptions import int_or_404


class IsInstructorOrAdmin(BasePermission):
    message = "Only instructors and operations staff may read or write squawks."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not (user.is_admin or user.is_instructor):
            raise PermissionDenied(self.message)
        return True


class SquawkSerializer(serializers.ModelSerializer):
    opened_at = AwareDateTimeField(read_only=True)
    cleared_at = AwareDateTimeField(read_only=True)
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = Squawk
        fields = ["id", "aircraft", "text", "grounding", "is_open", "opened_by", "opened_at", "cleared_by",
                  "cleared_at", "clearing_note"]
        read_only_fields = fields


class SquawkCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000, allow_blank=False, trim_whitespace=True)
    grounding = serializers.BooleanField(default=False)


class SquawkClearSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, allow_blank=False, trim_whitespace=True)


@extend_schema(tags=["aircraft"])
class AircraftSquawksView(APIView):
    permission_classes = [IsAuthenticated, IsInstructorOrAdmin]

    @extend_schema(responses={200: SquawkSerializer(many=True)})
    def get(self, request, aircraft_id):
        aircraft = selectors.aircraft_get(aircraft_id=int_or_404(aircraft_id))
        squawks = selectors.squawk_list(aircraft=aircraft)
        paginator = api_settings.DEFAULT_PAGINATION_CLASS()
        page = paginator.paginate_queryset(squawks, request, view=self)
        return paginator.get_paginated_response(SquawkSerializer(page, many=True).data)

    @extend_schema(request=SquawkCreateSerializer, responses={201: SquawkSerializer})
    def post(self, request, aircraft_id):
        aircraft = selectors.aircraft_get(aircraft_id=int_or_404(aircraft_id))
        serializer = SquawkCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        squawk = services.squawk_open(aircraft=aircraft, by=request.user, **serializer.validated_data)
        return Response(SquawkSerializer(squawk).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["aircraft"])
class SquawkClearView(APIView):
    permission_classes = [IsAuthenticated, IsInstructorOrAdmin]

    @extend_schema(request=SquawkClearSerializer, responses={200: SquawkSerializer})
    def post(self, request, squawk_id):
        squawk = selectors.squawk_get(squawk_id=int_or_404(squawk_id))
        serializer = SquawkClearSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        squawk = services.squawk_clear(squawk=squawk, by=request.user, **serializer.validated_data)
        return Response(SquawkSerializer(squawk).data)
