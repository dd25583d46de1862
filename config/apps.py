from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class TwoFactorAdminConfig(AdminConfig):
    """The Django admin, served by a site that can demand a one-time password (see config.otp)."""

    default_site = "config.otp.TwoFactorAdminSite"


class BackgroundWorkConfig(AppConfig):
    """Loads the Celery app at start-up only where a broker is configured (see config/__init__.py)."""

    name = "config"
    label = "background_work"
    verbose_name = "Background work"

    def ready(self):
        from django.conf import settings

        if settings.CELERY_BROKER_URL:
            from config import celery_app  # noqa: F401  (binds every shared_task to the configured app)
