"""Session sign-in for the API that keeps the staff second factor: where ADMIN_REQUIRE_OTP is on, an operations
staff session counts for the API only once it was confirmed with a one-time code (the admin's sign-in does
that, through django-otp). Otherwise the web pages' password-only sign-in would open the staff API without one."""

from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed


class OTPVerifiedSessionAuthentication(SessionAuthentication):
    def authenticate(self, request):
        from accounts.services import staff_second_factor_required

        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        is_verified = getattr(user, "is_verified", None)  # set by django_otp.middleware.OTPMiddleware
        if staff_second_factor_required(user) and not (callable(is_verified) and is_verified()):
            raise AuthenticationFailed(
                "This session was opened without a one-time code. Operations staff use the API with a token "
                "from POST /api/v1/auth/login/ (with otp_token), or sign in to the admin with their code.",
                code="otp_required")
        return result


class OTPVerifiedSessionScheme(SessionScheme):
    """The OpenAPI schema describes this as the session cookie it is."""

    target_class = OTPVerifiedSessionAuthentication
