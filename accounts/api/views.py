from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api.serializers import (
    CalendarFeedSerializer,
    LoginResponseSerializer,
    LoginSerializer,
    LogoutSerializer,
    MeUpdateSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
)
from accounts.permissions import IsAdmin
from accounts.tokens import tokens_for


class LoginView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=LoginSerializer, responses={200: LoginResponseSerializer}, tags=["auth"])
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = services.user_login(**serializer.validated_data, second_factor=True,
                                       ip_address=services.client_ip(request), request=request)
        except services.LoginThrottled as exc:
            response = Response(exc.as_body(), status=exc.status_code)
            response["Retry-After"] = str(exc.extra["retry_after_seconds"])
            return response
        return Response({**tokens_for(user), "user": UserSerializer(user).data})


class LogoutView(APIView):
    """Revoke a refresh token; with `everywhere`, every token and session of its user. The refresh token is the
    credential here, so a client whose access token already expired can still sign out."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=LogoutSerializer, responses={204: None}, tags=["auth"])
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_logout(**serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


def calendar_feed_url(request, user) -> str:
    return request.build_absolute_uri(f"/calendar/{user.calendar_token}.ics")


class CalendarFeedView(APIView):
    """The signed-in user's secret iCalendar address; POST replaces it, and the old one is 404 at once."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: CalendarFeedSerializer}, tags=["auth"])
    def get(self, request):
        return Response({"calendar_url": calendar_feed_url(request, request.user)})

    @extend_schema(request=None, responses={200: CalendarFeedSerializer}, tags=["auth"])
    def post(self, request):
        user = services.user_rotate_calendar_token(user=request.user, actor=request.user)
        return Response({"calendar_url": calendar_feed_url(request, user)})


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: UserSerializer}, tags=["auth"])
    def get(self, request):
        return Response(UserSerializer(request.user).data)

    @extend_schema(request=MeUpdateSerializer, responses={200: UserSerializer}, tags=["auth"])
    def patch(self, request):
        serializer = MeUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, actor=request.user, **serializer.validated_data)
        return Response(UserSerializer(user).data)


@extend_schema(tags=["users"])
class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Operations staff create and manage students, instructors and other staff. Nobody signs up alone."""

    permission_classes = [IsAdmin]
    serializer_class = UserSerializer

    def get_queryset(self):
        return selectors.user_list(actor=self.request.user, role=self.request.query_params.get("role"))

    @extend_schema(parameters=[OpenApiParameter("role", str, enum=["student", "instructor", "admin"])])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    def create(self, request):
        serializer = UserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(**serializer.validated_data, actor=request.user)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserUpdateSerializer, responses={200: UserSerializer})
    def partial_update(self, request, pk=None):
        serializer = UserUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user=self.get_object(), actor=request.user, **serializer.validated_data)
        return Response(UserSerializer(user).data)

    @extend_schema(request=UserUpdateSerializer, responses={200: UserSerializer})
    def update(self, request, pk=None):
        return self.partial_update(request, pk)
