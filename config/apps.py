from django.contrib.admin.apps import AdminConfig


class TwoFactorAdminConfig(AdminConfig):
    """The Django admin, served by a site that can demand a one-time password (see config.otp)."""

    default_site = "config.otp.TwoFactorAdminSite"
