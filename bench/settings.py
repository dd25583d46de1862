"""Production settings as the benchmark serves them: same middleware, database persistence and logging,
plus a bare baseline view, plain HTTP on loopback and no mail leaving the machine."""

import os
from datetime import timedelta

os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-long-enough-for-hs256-signing-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("EMAIL_URL", "consolemail://")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from config.settings.production import *  # noqa: E402,F403
from config.settings.production import env  # noqa: E402

ROOT_URLCONF = "bench.urls"
# Loopback has no TLS: cookies marked secure would never come back, and HSTS means nothing here.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# The load generator signs in once and reuses its token for the whole run.
SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] = timedelta(seconds=env.int("BENCH_TOKEN_SECONDS", default=3600))  # noqa: F405
LOGGING["root"]["level"] = LOG_LEVEL  # noqa: F405
