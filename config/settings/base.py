"""Settings shared by every environment, read from the process environment (and `.env` when present)."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))


def database_from_env(default_url: str) -> dict:
    """`DATABASE_URL` first, then the seed's `DATABASE_HOST/PORT/NAME/USER/PASSWORD`, then the default."""
    if env("DATABASE_URL", default=None):
        return env.db("DATABASE_URL")
    if env("DATABASE_HOST", default=None):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": env("DATABASE_HOST"),
            "PORT": env("DATABASE_PORT", default="5432"),
            "NAME": env("DATABASE_NAME", default="flight_schedule_pro"),
            "USER": env("DATABASE_USER", default="postgres"),
            "PASSWORD": env("DATABASE_PASSWORD", default=""),
        }
    return env.db_url_config(default_url)


SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "config.apps.TwoFactorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
    "audit",
    "bookings",
    "availability",
    "weather",
    "rescheduling",
    "notifications",
    "operations",
    "web",
    "config.apps.BackgroundWorkConfig",
]

MIDDLEWARE = [
    "config.middleware.RequestIdMiddleware",
    "config.security.RejectNulBytesMiddleware",
    "config.middleware.RequestOriginMiddleware",
    "config.middleware.AdminInSchoolTimeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Innermost, so the JSON answers it writes still pass through the security headers above.
    "config.security.ApiErrorsAsJsonMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": database_from_env(f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-us"
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
SCHOOL_TIME_ZONE = env("SCHOOL_TIME_ZONE", default="UTC")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- bookings ----------------------------------------------------------------------------------
# A student may cancel their own flight up to this many hours before it starts; later, the cancellation still
# happens but is recorded as late, for staff to see (a school may charge for it).
CANCELLATION_CUTOFF_HOURS = env.int("CANCELLATION_CUTOFF_HOURS", default=24)
# How long a booking write waits for another one holding the same student, instructor or aircraft before it
# answers 409 with Retry-After instead of queueing behind it.
BOOKING_LOCK_TIMEOUT_SECONDS = env.float("BOOKING_LOCK_TIMEOUT_SECONDS", default=5)

# --- email -------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
globals().update(EMAIL_CONFIG)
SES_FROM_EMAIL = env("SES_FROM_EMAIL", default="noreply@flightschedulepro.local")
SES_REPLY_TO = env("SES_REPLY_TO", default="support@flightschedulepro.local")
DEFAULT_FROM_EMAIL = SES_FROM_EMAIL
SERVER_EMAIL = SES_FROM_EMAIL
# Base of links in messages and feeds; unset, links follow the request that caused them (config.links).
FRONTEND_URL = env("FRONTEND_URL", default="").rstrip("/")
# A hung mail server must not hold a delivery past its claim: the claim outlives the timeout by far.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT_SECONDS", default=15.0)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=120)
NOTIFICATION_RETRY_MAX_SECONDS = env.int("NOTIFICATION_RETRY_MAX_SECONDS", default=3600)
NOTIFICATION_CLAIM_SECONDS = env.int("NOTIFICATION_CLAIM_SECONDS", default=300)
# Messages a second the mail service accepts (SES: the account's maximum send rate, 1 in the sandbox, 14 for a
# new production account). Delivery spaces its sends to it and, on Lambda, takes only as many as fit in the
# invocation's remaining time at that rate. 0: no limit (SMTP, console); production defaults to 14 with SES.
NOTIFICATION_SEND_RATE = env.float("NOTIFICATION_SEND_RATE", default=0.0)

# --- weather -----------------------------------------------------------------------------------
OPENWEATHERMAP_API_KEY = env("OPENWEATHERMAP_API_KEY", default="")
WEATHERAPI_COM_KEY = env("WEATHERAPI_COM_KEY", default="")
OPENWEATHERMAP_BASE_URL = env("OPENWEATHERMAP_BASE_URL", default="https://api.openweathermap.org")
WEATHERAPI_BASE_URL = env("WEATHERAPI_BASE_URL", default="https://api.weatherapi.com")
AVIATIONWEATHER_BASE_URL = env("AVIATIONWEATHER_BASE_URL", default="https://aviationweather.gov")


def _default_weather_providers() -> list[str]:
    configured = [
        name
        for name, key in (("openweathermap", OPENWEATHERMAP_API_KEY), ("weatherapi", WEATHERAPI_COM_KEY))
        if key
    ]
    return ["aviationweather", *configured] if configured else ["demo"]


WEATHER_PROVIDERS = env.list("WEATHER_PROVIDERS", default=_default_weather_providers())
WEATHER_LOOKAHEAD_HOURS = env.int("WEATHER_LOOKAHEAD_HOURS", default=48)
# How long one monitor run may spend acting on verdicts (holds, options, messages) when no Lambda context
# gives it a deadline; what is left waits for the next run.
WEATHER_OUTCOME_BUDGET_SECONDS = env.float("WEATHER_OUTCOME_BUDGET_SECONDS", default=300)
WEATHER_HTTP_TIMEOUT_SECONDS = env.float("WEATHER_HTTP_TIMEOUT_SECONDS", default=10.0)
WEATHER_MAX_CONCURRENT_REQUESTS = env.int("WEATHER_MAX_CONCURRENT_REQUESTS", default=8)
# Tries per provider call before the provider counts as not answering, and the pause before the second try
# (doubled each time): a provider blip must not make a verdict unknown.
WEATHER_RETRY_ATTEMPTS = env.int("WEATHER_RETRY_ATTEMPTS", default=3)
WEATHER_RETRY_BACKOFF_SECONDS = env.float("WEATHER_RETRY_BACKOFF_SECONDS", default=0.5)
# The sweep fans out in shards of departure airports once it is larger than one shard: at most this many
# airports and about this many bookings each, so one shard fits a small Lambda's timeout (0 airports: never).
WEATHER_SHARD_AIRPORTS = env.int("WEATHER_SHARD_AIRPORTS", default=25)
WEATHER_SHARD_MAX_BOOKINGS = env.int("WEATHER_SHARD_MAX_BOOKINGS", default=1500)
# How shards run: "lambda" (asynchronous invocations of this function through Zappa's handler), "celery"
# (tasks on the broker) or "inline" (one after another in this process). Empty: celery when a broker is
# configured, lambda on Lambda, else inline.
WEATHER_SHARD_DISPATCH = env("WEATHER_SHARD_DISPATCH", default="")
# A shard claimed this long ago and not finished belonged to an invocation that died or timed out: a retry may
# take it over. On Lambda the claim lasts the invocation's own remaining time instead.
WEATHER_SHARD_CLAIM_SECONDS = env.int("WEATHER_SHARD_CLAIM_SECONDS", default=900)

# --- Claude ------------------------------------------------------------------------------------
ANTHROPIC_API_KEY = env("ANTHROPIC_API_KEY", default="")
ANTHROPIC_BASE_URL = env("ANTHROPIC_BASE_URL", default="") or None
ANTHROPIC_MODEL = env("ANTHROPIC_MODEL", default="claude-sonnet-5-5")
ANTHROPIC_TIMEOUT_SECONDS = env.float("ANTHROPIC_TIMEOUT_SECONDS", default=15.0)

# --- background work ---------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# The broker transport's own options, a JSON object. For SQS (kombu's transport): `region` (else the AWS
# region of the environment), `is_secure`, `queue_name_prefix`, `visibility_timeout` (longer than the longest
# task, since tasks are acknowledged when they finish), `wait_time_seconds`, `polling_interval`,
# `predefined_queues`. kombu takes the endpoint from the URL's host and port (`sqs://@host:port`, https only
# when `is_secure` is true) and has no `endpoint_url` option: one given here would be ignored and the worker
# would talk to AWS itself, so it is refused.
CELERY_BROKER_TRANSPORT_OPTIONS = env.json("CELERY_BROKER_TRANSPORT_OPTIONS", default={})
if CELERY_BROKER_URL.startswith("sqs://") and "endpoint_url" in CELERY_BROKER_TRANSPORT_OPTIONS:
    raise ImproperlyConfigured(
        "CELERY_BROKER_TRANSPORT_OPTIONS has no endpoint_url for SQS: put the endpoint in the broker URL, "
        "sqs://@host:port, and set is_secure to true for https."
    )
# The queue tasks are sent to when none is named (the worker must read it: `celery -A config worker -Q ...`).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "weather-monitor": {"task": "weather.tasks.run_monitor", "schedule": 600.0},
    "reschedule-deadlines": {"task": "rescheduling.tasks.run_deadlines", "schedule": 300.0},
    "notification-delivery": {"task": "notifications.tasks.run_delivery", "schedule": 120.0},
}

AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")

# --- API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.RevocableJWTAuthentication",
        "accounts.authentication.OTPVerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DATETIME_FORMAT": "iso-8601",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "SIGNING_KEY": SECRET_KEY,
    "UPDATE_LAST_LOGIN": True,
    # Every token carries a hash of the password it was issued under: a new password ends them all.
    "CHECK_REVOKE_TOKEN": True,
    "TOKEN_REFRESH_SERIALIZER": "accounts.tokens.RevocableTokenRefreshSerializer",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Flight Schedule Pro API",
    "DESCRIPTION": "Bookings, availability, weather checks and reschedule options for a flight school.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI from the installed package, never a CDN: the docs page runs under the site's CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several fields are called "status" or "role": name each choice set, or the schema gets hashed enum
    # names and `check --deploy` warns.
    "ENUM_NAME_OVERRIDES": {
        "UserRoleEnum": "accounts.models.Role",
        "AircraftStatusEnum": "bookings.models.AircraftStatus",
        "BookingStatusEnum": "bookings.models.BookingStatus",
        "CancelReasonEnum": "bookings.models.CancelReason",
        "BookingWritableStatusEnum": ["scheduled", "confirmed", "completed"],
        "RescheduleRequestStatusEnum": "rescheduling.models.RequestStatus",
        "ForecastPointRoleEnum": ["departure", "corridor", "destination"],
    },
}

# Failed logins counted over a sliding window, per account and per client address.
LOGIN_FAILURE_WINDOW = timedelta(minutes=env.int("LOGIN_FAILURE_WINDOW_MINUTES", default=15))
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
# What an API client is told to wait (Retry-After) while the database cannot be reached.
DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS = env.int("DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS", default=30)

# --- logging -----------------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.log_filters.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "metrics": {"handlers": [], "level": "INFO", "propagate": True},
    },
}
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]

# --- security headers and two-factor admin ---------------------------------------------------------
# The pages load scripts and styles from our own static files only; htmx adds its indicator <style>.
# The API docs page too: Swagger UI comes from drf-spectacular-sidecar's static files and its start-up script is
# a separate same-origin request, so no page is exempt.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
PERMISSIONS_POLICY = {"camera": [], "microphone": [], "geolocation": [], "payment": [], "usb": []}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Operations staff enter the Django admin only after a time-based one-time password (production default).
ADMIN_REQUIRE_OTP = env.bool("ADMIN_REQUIRE_OTP", default=False)
OTP_TOTP_ISSUER = "Flight Schedule Pro"
