from datetime import timedelta

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAdmin
from availability import selectors, services
from availability.api.serializers import (
    AvailabilityExceptionSerializer,
    AvailabilityExceptionWriteSerializer,
    AvailabilityPatternSerializer,
    AvailabilityPatternWriteSerializer,
    SlotPageSerializer,
    SlotQuerySerializer,
    SlotSerializer,
)
from availability.models import AvailabilityException, AvailabilityPattern
from config.exceptions import ApplicationError, NotFoundError, int_or_404
from config.pagination import PageNumberPagination


class IsAdminOrInstructor(BasePermission):
    message = "Only instructors and operations staff see availability."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_admin or user.is_instructor))


class AdminWritesInstructorsRead(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Patterns and exceptions alike: operations staff write, instructors read their own. A subclass names its
    serializers and the selector and services that read and write one object in the four hooks below (both
    viewsets of this module do); the base itself is never routed."""

    write_serializer_class = None

    def get_permissions(self):
        if self.action in {"list", "retrieve"}:
            return [IsAdminOrInstructor()]
        return [IsAdmin()]

    def get_one(self, request, pk):
        raise NotImplementedError

    def create_one(self, *, actor, **fields):
        raise NotImplementedError

    def update_one(self, item, *, actor, **fields):
        raise NotImplementedError

    def delete_one(self, item, *, actor) -> None:
        raise NotImplementedError

    def retrieve(self, request, pk=None):
        return Response(self.serializer_class(self.get_one(request, int_or_404(pk))).data)

    def create(self, request):
        serializer = self.write_serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = self.create_one(actor=request.user, **serializer.validated_data)
        return Response(self.serializer_class(item).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        item = self.get_one(request, int_or_404(pk))
        serializer = self.write_serializer_class(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        item = self.update_one(item, actor=request.user, **serializer.validated_data)
        return Response(self.serializer_class(item).data)

    def update(self, request, pk=None):
        return self.partial_update(request, pk)

    def destroy(self, request, pk=None):
        self.delete_one(self.get_one(request, int_or_404(pk)), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


OWNER_FILTERS = [OpenApiParameter("instructor", int), OpenApiParameter("aircraft", int)]


def _write_schemas(read, write):
    return {"create": extend_schema(request=write, responses={201: read}),
            "partial_update": extend_schema(request=write, responses={200: read})}


@extend_schema(tags=["availability"])
@extend_schema_view(**_write_schemas(AvailabilityPatternSerializer, AvailabilityPatternWriteSerializer))
class AvailabilityPatternViewSet(AdminWritesInstructorsRead):
    """Weekly windows in SCHOOL_TIME_ZONE. Operations staff write; instructors read their own."""

    serializer_class = AvailabilityPatternSerializer
    write_serializer_class = AvailabilityPatternWriteSerializer
    queryset = AvailabilityPattern.objects.none()  # For the schema generator; get_queryset scopes real requests.

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.pattern_list(actor=self.request.user, filters=_owner_filters(self.request))

    @extend_schema(parameters=OWNER_FILTERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_one(self, request, pk):
        return selectors.pattern_get(actor=request.user, pattern_id=pk)

    def create_one(self, *, actor, **fields):
        return services.pattern_create(actor=actor, **fields)

    def update_one(self, item, *, actor, **fields):
        return services.pattern_update(pattern=item, actor=actor, **fields)

    def delete_one(self, item, *, actor) -> None:
        services.pattern_delete(pattern=item, actor=actor)


@extend_schema(tags=["availability"])
@extend_schema_view(**_write_schemas(AvailabilityExceptionSerializer, AvailabilityExceptionWriteSerializer))
class AvailabilityExceptionViewSet(AdminWritesInstructorsRead):
    """Dated blocks (time off, maintenance) that beat any pattern. Operations staff write; instructors read
    their own."""

    serializer_class = AvailabilityExceptionSerializer
    write_serializer_class = AvailabilityExceptionWriteSerializer
    queryset = AvailabilityException.objects.none()  # For the schema generator only.

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        filters = _owner_filters(self.request)
        filters.update({k: self.request.query_params.get(k) for k in ("start_after", "start_before")})
        return selectors.exception_list(actor=self.request.user, filters=filters)

    @extend_schema(parameters=[*OWNER_FILTERS, OpenApiParameter("start_after", str),
                               OpenApiParameter("start_before", str)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_one(self, request, pk):
        return selectors.exception_get(actor=request.user, exception_id=pk)

    def create_one(self, *, actor, **fields):
        return services.exception_create(actor=actor, **fields)

    def update_one(self, item, *, actor, **fields):
        return services.exception_update(exception=item, actor=actor, **fields)

    def delete_one(self, item, *, actor) -> None:
        services.exception_delete(exception=item, actor=actor)


class SlotsView(APIView):
    """Free slots where every named party (instructor, aircraft, student) is free."""

    @extend_schema(parameters=[SlotQuerySerializer], responses={200: SlotPageSerializer},
                   tags=["availability"])
    def get(self, request):
        serializer = SlotQuerySerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        query = dict(serializer.validated_data)
        user = request.user
        if user.is_student:
            # A student plans only their own lessons; someone else's calendar is simply not there.
            if query.get("student") and query["student"].pk != user.pk:
                raise NotFoundError("No such student.")
            query["student"] = user
        slots = selectors.free_slots(
            start=query["start"], end=query["end"], duration=timedelta(minutes=query["duration_minutes"]),
            step=timedelta(minutes=query["step_minutes"]), instructor=query.get("instructor"),
            aircraft=query.get("aircraft"), student=query.get("student"))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset([{"start": s, "end": e} for s, e in slots], request, view=self)
        return paginator.get_paginated_response(SlotSerializer(page, many=True).data)


def _owner_filters(request) -> dict:
    filters = {}
    for key in ("instructor", "aircraft"):
        value = request.query_params.get(key)
        if value:
            try:
                filters[key] = int(value)
            except ValueError:
                raise ApplicationError("Filters take ids.", code="invalid", fields={key: ["Give a whole number id."]})
    return filters
