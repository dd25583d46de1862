from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class TwoFactorAdminConfig(AdminConfig):
    """The Django admin, served by a site that can demand a one-time password (see config.otp)."""

    default_site = "config.otp.TwoFactorAdminSite"


class BackgroundWorkConfig(AppConfig):
    """The project's own start-up: the Celery app, loaded only where a broker is configured (see
    config/__init__.py), and psycopg's C parser for the timestamps of every database connection
    (config.timestamps)."""

    name = "config"
    label = "background_work"
    verbose_name = "Background work"

    def ready(self):
        from django.conf import settings
        from django.db.backends.signals import connection_created

        connection_created.connect(_use_c_timestamptz, dispatch_uid="config.timestamps")

        if settings.CELERY_BROKER_URL:
            from config import celery_app  # noqa: F401  (binds every shared_task to the configured app)


def _use_c_timestamptz(sender, connection, **kwargs):
    # Imported at the first connection, when psycopg is loaded anyway, not at start-up (a Lambda's cold start).
    from config.timestamps import use_c_timestamptz

    use_c_timestamptz(sender, connection, **kwargs)
