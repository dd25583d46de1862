from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings.api.serializers import BookingSerializer
from bookings.selectors import booking_get
from rescheduling import selectors, services
from rescheduling.api.serializers import AcceptSerializer, RescheduleRequestSerializer
from rescheduling.models import RequestStatus, RescheduleRequest


@extend_schema(tags=["rescheduling"])
class RescheduleRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reschedule requests the caller may see: a student's own, an instructor's students', everything for staff."""

    serializer_class = RescheduleRequestSerializer
    queryset = RescheduleRequest.objects.none()  # the real one is scoped per user in get_queryset
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RescheduleRequest.objects.none()
        filters = self.request.query_params if self.action == "list" else None
        return selectors.request_list(actor=self.request.user, filters=filters)

    def get_object(self):
        return selectors.request_get(actor=self.request.user, request_id=self.kwargs["pk"])

    @extend_schema(parameters=[
        OpenApiParameter("booking", int),
        OpenApiParameter("status", str, enum=RequestStatus.values, many=True),
    ])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AcceptSerializer, responses={200: BookingSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        serializer = AcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking = services.reschedule_request_accept(
            request=self.get_object(), option_id=serializer.validated_data["option"], actor=request.user)
        return Response(BookingSerializer(booking).data)

    @extend_schema(request=None, responses={200: RescheduleRequestSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        declined = services.reschedule_request_decline(request=self.get_object(), actor=request.user)
        return Response(RescheduleRequestSerializer(selectors.request_get(actor=request.user,
                                                                          request_id=declined.pk)).data)

    @extend_schema(request=None, responses={200: RescheduleRequestSerializer},
                   parameters=[OpenApiParameter("option_id", int, OpenApiParameter.PATH)])
    @action(detail=True, methods=["post"], url_path=r"options/(?P<option_id>\d+)/unavailable")
    def option_unavailable(self, request, pk=None, option_id=None):
        option = selectors.option_get(actor=request.user, request_id=pk, option_id=option_id)
        current = services.reschedule_option_mark_unavailable(option=option, actor=request.user)
        return Response(RescheduleRequestSerializer(selectors.request_get(actor=request.user,
                                                                          request_id=current.pk)).data)


@extend_schema(tags=["rescheduling"], request=None, responses={201: RescheduleRequestSerializer})
class BookingRescheduleView(APIView):
    """Generate fresh reschedule options for a booking now (superseding any pending request for it); at most once
    per booking every 15 minutes, 429 with Retry-After otherwise."""

    def post(self, request, booking_id):
        booking = booking_get(actor=request.user, booking_id=booking_id)
        try:
            opened = services.reschedule_request_open_on_demand(booking=booking, actor=request.user)
        except services.RescheduleThrottled as exc:
            response = Response(exc.as_body(), status=exc.status_code)
            response["Retry-After"] = str(exc.extra["retry_after_seconds"])
            return response
        # The request as just stored, with the options it read for the emails: reading it back would answer the
        # same body (the actor may see the booking, so its requests too).
        return Response(RescheduleRequestSerializer(opened).data, status=status.HTTP_201_CREATED)
