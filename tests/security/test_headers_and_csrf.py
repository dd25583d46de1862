"""Security headers as production sends them, and CSRF on the pages people use with a session."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from accounts.tests.factories import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SECURITY_SETTINGS = (
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SECURE_PROXY_SSL_HEADER", "SECURE_REDIRECT_EXEMPT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "X_FRAME_OPTIONS", "CONTENT_SECURITY_POLICY", "PERMISSIONS_POLICY", "ADMIN_REQUIRE_OTP", "MIDDLEWARE",
)


@pytest.fixture(scope="module")
def production():
    """Production's settings as a separate interpreter loads them, from a plain environment."""
    code = ("import json, django; from django.conf import settings; django.setup(); "
            f"print(json.dumps({{k: getattr(settings, k) for k in {SECURITY_SETTINGS!r}}}))")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "ADMIN_REQUIRE", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY="x" * 60,
               DATABASE_URL="sqlite:///:memory:")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_production_settings_are_strict(production):
    assert production["DEBUG"] is False
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and production["SECURE_HSTS_PRELOAD"]
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    assert production["SESSION_COOKIE_HTTPONLY"]
    assert production["ADMIN_REQUIRE_OTP"] is True
    assert "django_otp.middleware.OTPMiddleware" in production["MIDDLEWARE"]


@pytest.fixture
def as_production(settings, production):
    for name in SECURITY_SETTINGS:
        if name not in ("MIDDLEWARE", "DEBUG"):
            value = production[name]
            setattr(settings, name, tuple(value) if name == "SECURE_PROXY_SSL_HEADER" else value)
    return settings


@pytest.mark.django_db
class TestHeadersInProduction:
    def test_https_page_carries_every_security_header(self, as_production):
        response = Client().get("/login/", secure=True)
        assert response.status_code == 200
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        policy = response["Content-Security-Policy"]
        for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'",
                          "base-uri 'self'", "form-action 'self'"):
            assert directive in policy
        assert "camera=()" in response["Permissions-Policy"]

    def test_the_api_carries_them_too(self, as_production):
        response = Client().get("/api/v1/auth/me/", secure=True)
        assert response.status_code == 401
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" in response
        assert "Content-Security-Policy" in response

    def test_plain_http_is_redirected_to_https_except_the_health_check(self, as_production):
        redirected = Client().get("/login/")
        assert redirected.status_code == 301 and redirected["Location"].startswith("https://")
        assert Client().get("/health").status_code == 200

    def test_behind_the_gateway_forwarded_https_counts_as_secure(self, as_production):
        response = Client().get("/login/", HTTP_X_FORWARDED_PROTO="https")
        assert response.status_code == 200

    def test_session_and_csrf_cookies_are_secure_and_the_session_is_http_only(self, as_production, owner):
        client = Client(enforce_csrf_checks=True)
        page = client.get("/login/", secure=True)
        assert page.cookies["csrftoken"]["secure"]
        token = page.cookies["csrftoken"].value
        response = client.post("/login/", {"email": owner.email, "password": TEST_PASSWORD,
                                           "csrfmiddlewaretoken": token}, secure=True,
                               HTTP_REFERER="https://testserver/login/")
        assert response.status_code == 302
        session = response.cookies["sessionid"]
        assert session["secure"] and session["httponly"]

    def test_swagger_docs_page_runs_under_the_policy_from_our_own_static_files(self, as_production, owner):
        from django.contrib.staticfiles import finders

        client = Client()
        client.force_login(owner)
        page = client.get("/api/v1/docs/", secure=True)
        assert page.status_code == 200
        policy = page["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        body = page.content.decode()
        assert "cdn.jsdelivr.net" not in body and "unpkg.com" not in body
        assert "<script>" not in body.replace(" ", "")  # no inline script: the start-up code is its own request
        assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in body
        assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
        start_up = client.get("/api/v1/docs/?script=", secure=True)
        assert start_up.status_code == 200 and "SwaggerUIBundle" in start_up.content.decode()


@pytest.mark.django_db
class TestCsrfOnPages:
    """The pages use the session: a form posted from elsewhere (no CSRF token) must change nothing."""

    @pytest.fixture
    def signed_in(self, owner):
        client = Client(enforce_csrf_checks=True)
        client.force_login(owner)
        return client

    def test_login_without_token_is_refused(self, owner):
        response = Client(enforce_csrf_checks=True).post("/login/", {"email": owner.email,
                                                                     "password": TEST_PASSWORD})
        assert response.status_code == 403
        assert "_auth_user_id" not in Client().session

    def test_profile_change_without_token_is_refused_and_nothing_changes(self, signed_in, owner):
        response = signed_in.post("/profile/", {"first_name": "Mallory", "email_notifications": ""})
        assert response.status_code == 403
        owner.refresh_from_db()
        assert owner.first_name == "Olive"

    def test_marking_all_read_without_token_is_refused(self, signed_in, owner):
        from notifications.tests.factories import NotificationFactory

        note = NotificationFactory(recipient=owner, read_at=None)
        assert signed_in.post("/notifications/read-all/").status_code == 403
        note.refresh_from_db()
        assert note.read_at is None

    def test_logout_without_token_is_refused(self, signed_in):
        assert signed_in.post("/logout/").status_code == 403
        assert signed_in.get("/profile/").status_code == 200

    def test_with_the_token_the_same_post_works(self, signed_in, owner):
        signed_in.get("/profile/")
        token = signed_in.cookies["csrftoken"].value
        response = signed_in.post("/notifications/read-all/", {"csrfmiddlewaretoken": token})
        assert response.status_code in (200, 302)

    def test_api_with_a_bearer_token_needs_no_csrf_token(self, api, owner):
        # JWT is not sent by the browser on its own, so the API's token auth is not a CSRF target.
        client = api.as_user(owner)
        client.enforce_csrf_checks = True
        assert client.patch("/api/v1/auth/me/", {"first_name": "Olive"}, format="json").status_code == 200

    def test_api_with_only_a_session_cookie_needs_the_csrf_token(self, owner):
        client = Client(enforce_csrf_checks=True)
        client.force_login(owner)
        response = client.patch("/api/v1/auth/me/", {"first_name": "Mallory"}, content_type="application/json")
        assert response.status_code == 403
        owner.refresh_from_db()
        assert owner.first_name == "Olive"
