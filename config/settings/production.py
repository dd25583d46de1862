"""Production on AWS Lambda (Zappa): PostgreSQL on RDS, SES email, static files on S3."""

from django.core.exceptions import ImproperlyConfigured

from config.secrets import load_secrets_into_environment

# Secrets Manager (when AWS_SECRETS_NAME is set) fills the environment before anything reads it.
load_secrets_into_environment()

from .base import *  # noqa: E402,F403
from .base import env  # noqa: E402

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production (environment or AWS Secrets Manager).")
SIMPLE_JWT["SIGNING_KEY"] = SECRET_KEY  # noqa: F405
DEBUG = False
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[".amazonaws.com"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[FRONTEND_URL] if FRONTEND_URL else [])  # noqa: F405

DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
ADMIN_REQUIRE_OTP = env.bool("ADMIN_REQUIRE_OTP", default=True)
# The schema maps every endpoint and field: in production only people who can sign in read it.
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS,  # noqa: F405
                        "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"]}

# Email: EMAIL_URL still wins when given; otherwise SES through django-ses.
if not env("EMAIL_URL", default=""):
    EMAIL_BACKEND = "django_ses.SESBackend"
    NOTIFICATION_SEND_RATE = env.float("NOTIFICATION_SEND_RATE", default=14.0)
# Delivery keeps to NOTIFICATION_SEND_RATE itself; django-ses's own throttle would add sleeps (and a GetSendQuota
# call) that the run's batch sizing does not know about.
AWS_SES_AUTO_THROTTLE = None
AWS_SES_REGION_NAME = env("AWS_SES_REGION_NAME", default=env("AWS_REGION", default="us-east-1"))
AWS_SES_REGION_ENDPOINT = env("AWS_SES_REGION_ENDPOINT", default=f"email.{AWS_SES_REGION_NAME}.amazonaws.com")

if AWS_STORAGE_BUCKET_NAME:  # noqa: F405
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default=env("AWS_REGION", default="us-east-1"))
    AWS_S3_CUSTOM_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN", default="") or None
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = False
    STORAGES = {  # noqa: F405
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"location": "media"}},
        "staticfiles": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"location": "static"}},
    }
