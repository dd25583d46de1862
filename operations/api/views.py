from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAdmin
from audit import selectors
from operations import selectors as operations_selectors
from operations.api.serializers import (
    AuditEventFilterSerializer,
    AuditEventSerializer,
    MetricsPeriodSerializer,
    MetricsSerializer,
)


@extend_schema(tags=["audit"])
class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The append-only trail of state changes. Operations staff only; nobody can change it."""

    permission_classes = [IsAdmin]
    serializer_class = AuditEventSerializer

    def get_queryset(self):
        filters = AuditEventFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.audit_event_list(filters=filters.validated_data)

    def get_object(self):
        return selectors.audit_event_get(event_id=self.kwargs["pk"])

    @extend_schema(parameters=[
        OpenApiParameter("action", str), OpenApiParameter("object_type", str), OpenApiParameter("object_id", str),
        OpenApiParameter("actor", int), OpenApiParameter("request_id", str),
        OpenApiParameter("since", str, description="ISO 8601"), OpenApiParameter("until", str, description="ISO 8601"),
    ])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class MetricsView(APIView):
    """Operations figures over a period (default: the last 7 days)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        tags=["audit"], responses={200: MetricsSerializer},
        parameters=[OpenApiParameter("since", str, description="ISO 8601; default until - 7 days"),
                    OpenApiParameter("until", str, description="ISO 8601; default now")],
    )
    def get(self, request):
        period = MetricsPeriodSerializer(data=request.query_params)
        period.is_valid(raise_exception=True)
        return Response(MetricsSerializer(operations_selectors.school_metrics(**period.validated_data)).data)
