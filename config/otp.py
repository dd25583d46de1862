"""Sign-in to the Django admin: throttled like every other sign-in, and two-factor where required.

With `ADMIN_REQUIRE_OTP` (on by default in production) operations staff enter the admin only after
confirming a time-based one-time password from a TOTP device enrolled with
`manage.py enrol_totp_device EMAIL`; elsewhere the admin asks for the password alone, so `make run`
keeps working without an authenticator app. Either way the password goes through
`accounts.services.user_login`, so failures are audited and counted against the same per-account and
per-address limits as the API and the pages.
"""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from accounts.services import InvalidCredentials, LoginThrottled, client_ip, user_login


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            try:
                self.user_cache = user_login(email=email, password=password, ip_address=client_ip(self.request),
                                             request=self.request)
            except LoginThrottled as exc:
                raise ValidationError(exc.message, code="throttled") from exc
            except InvalidCredentials as exc:
                raise self.get_invalid_login_error() from exc
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class ThrottledOTPAdminAuthenticationForm(OTPAdminAuthenticationForm, ThrottledAdminAuthenticationForm):
    """Password through the throttled service first, then the one-time password (itself throttled per device)."""


class TwoFactorAdminSite(OTPAdminSite):
    def __init__(self, name: str = "admin"):
        # Keeps the "admin" URL namespace, so reverse("admin:...") works with or without the second factor.
        super().__init__(name)

    @property
    def login_form(self):
        return ThrottledOTPAdminAuthenticationForm if settings.ADMIN_REQUIRE_OTP else ThrottledAdminAuthenticationForm

    @property
    def login_template(self):
        return OTPAdminSite.login_template if settings.ADMIN_REQUIRE_OTP else None

    def has_permission(self, request) -> bool:
        if settings.ADMIN_REQUIRE_OTP:
            return super().has_permission(request)
        return AdminSite.has_permission(self, request)
