"""Development: works with no configuration at all (SQLite, demo weather, console email, eager tasks)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="local-development-key-not-for-production-use-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
SIMPLE_JWT["SIGNING_KEY"] = SECRET_KEY  # noqa: F405
# The demo school flies from KPAO: its days, availability and pages are in Palo Alto time unless told otherwise.
SCHOOL_TIME_ZONE = env("SCHOOL_TIME_ZONE", default="America/Los_Angeles")
if not env("EMAIL_URL", default=""):
    # Console email, one line a message (notifications/console.py); EMAIL_URL=consolemail:// prints them whole.
    EMAIL_BACKEND = "notifications.console.SubjectLineConsoleBackend"
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_FORMAT == "json" else "plain"  # noqa: F405
