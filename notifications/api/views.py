from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from notifications import selectors, services
from notifications.api.serializers import (
    NotificationFilterSerializer,
    NotificationSerializer,
    ReadAllResponseSerializer,
    UnreadCountSerializer,
)
from notifications.models import Notification, NotificationKind


@extend_schema(tags=["notifications"])
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The signed-in person's own in-app notifications. Anyone else's is a 404, for staff too."""

    serializer_class = NotificationSerializer
    # For the schema generator only; every request goes through the selector below.
    queryset = Notification.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        filters = NotificationFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.notification_list(actor=self.request.user, filters=filters.validated_data)

    def get_object(self):
        return selectors.notification_get(actor=self.request.user, notification_id=self.kwargs["pk"])

    @extend_schema(parameters=[
        OpenApiParameter("unread", bool), OpenApiParameter("kind", str, enum=NotificationKind.values),
        OpenApiParameter("booking", int),
    ])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = services.notification_mark_read(notification=self.get_object(), actor=request.user)
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses={200: ReadAllResponseSerializer})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked_read": services.notifications_mark_all_read(actor=request.user)})

    @extend_schema(responses={200: UnreadCountSerializer})
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return Response({"unread_count": selectors.unread_count(actor=request.user)})
