"""Every answer under /api/v1/ is JSON in the one error shape, and hostile bodies are bad input, not crashes.

The last tests run gunicorn with production settings as a separate process: once against a database that cannot
be reached (503 with Retry-After), once against the real one (the docs and schema need a signed-in user).
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from tests.timetravel import child_clock_env

ROOT = Path(__file__).resolve().parents[2]
SHAPE = {"message", "code", "fields"}


def assert_error_shape(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= SHAPE and isinstance(body["message"], str) and isinstance(body["fields"], dict)
    return body


@pytest.mark.django_db
class TestErrorShapeEverywhere:
    def test_deeply_nested_json_is_a_400_before_anyone_signs_in(self):
        body = '{"a":' * 5000 + "1" + "}" * 5000
        response = Client().post("/api/v1/auth/login/", body, content_type="application/json")
        assert assert_error_shape(response, 400)["code"] == "parse_error"

    def test_nested_arrays_too_on_an_authenticated_endpoint(self, api, owner):
        response = api.as_user(owner).post("/api/v1/bookings/", "[" * 100000 + "]" * 100000,
                                           content_type="application/json")
        assert_error_shape(response, 400)

    @pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/v1/bookings/1/nope/",
                                      "/api/v2/bookings/"])
    def test_an_unmatched_api_path_is_a_json_404(self, path):
        response = Client().get(path)
        assert assert_error_shape(response, 404)["code"] == "not_found"
        # Written inside the security middleware, so the answer still carries its headers.
        assert response["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" in response
        assert response["X-Request-ID"]

    def test_pages_outside_the_api_keep_their_html_404(self, db):
        response = Client().get("/no-such-page/")
        assert response.status_code == 404 and not response["Content-Type"].startswith("application/json")

    def test_a_wrong_method_is_a_json_405_that_says_which_are_allowed(self, api, owner):
        response = api.as_user(owner).delete("/api/v1/auth/me/")
        assert assert_error_shape(response, 405)["code"] == "method_not_allowed"
        assert "GET" in response["Allow"]
        assert_error_shape(Client().put("/api/v1/auth/login/", {}, content_type="application/json"), 405)

    def test_a_body_over_the_limit_is_a_json_413_and_changes_nothing(self, settings, owner):
        from audit.models import AuditEvent

        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
        body = json.dumps({"email": owner.email, "password": "x" * 2000})
        response = Client().post("/api/v1/auth/login/", body, content_type="application/json")
        assert assert_error_shape(response, 413)["code"] == "request_too_large"
        assert not AuditEvent.objects.filter(action__startswith="login.").exists()

    def test_an_unexpected_error_is_a_json_500(self, settings):
        settings.ROOT_URLCONF = "config.tests.failing_urls"
        response = Client(raise_request_exception=False).get("/api/v1/boom/")
        assert assert_error_shape(response, 500)["code"] == "server_error"
        assert "Traceback" not in response.content.decode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(name: str) -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def gunicorn():
    """Starts gunicorn with production settings against the given database; yields a GET/POST helper."""
    started = []

    def start(database_url: str):
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_", "DATABASE_"))}
        # The test settings' key, so tokens minted here are good there.
        env.update(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY=settings.SECRET_KEY,
                   DATABASE_URL=database_url, ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="false",
                   GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1", LOG_LEVEL="ERROR", CONN_MAX_AGE="0")
        # Tokens minted here carry this process's clock: the server must share it, moved or not.
        env = child_clock_env(env)
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py",
                                    "config.wsgi:application"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started.append(process)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None:
                    raise AssertionError(process.stderr.read().decode())
                time.sleep(0.2)

        def call(method, path, *, token=None, body=None):
            data = json.dumps(body).encode() if body is not None else None
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                             headers={"Content-Type": "application/json", "Host": "127.0.0.1",
                                                      "X-Forwarded-Proto": "https",
                                                      **({"Authorization": f"Bearer {token}"} if token else {})})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status, dict(response.headers), response.read()
            except urllib.error.HTTPError as error:
                return error.code, dict(error.headers), error.read()

        return call

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.postgres
def test_api_answers_503_with_retry_after_while_the_database_is_unreachable(gunicorn, owner):
    call = gunicorn(f"postgres://postgres@127.0.0.1:{_free_port()}/gone")
    token = str(AccessToken.for_user(owner))
    for method, path, body in [("GET", "/api/v1/bookings/", None), ("GET", "/api/v1/auth/me/", None),
                               ("POST", "/api/v1/auth/login/", {"email": "a@b.co", "password": "x"})]:
        status, headers, content = call(method, path, token=token if method == "GET" else None, body=body)
        assert status == 503, content
        assert int(headers["Retry-After"]) > 0
        assert headers["Content-Type"].startswith("application/json")
        assert json.loads(content)["code"] == "service_unavailable" and set(json.loads(content)) >= SHAPE
    status, _, content = call("GET", "/health")
    assert status == 503 and json.loads(content)["checks"]["database"] == "error"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_in_production_the_docs_and_schema_need_a_signed_in_user(gunicorn, owner):
    call = gunicorn(_database_url(connection.settings_dict["NAME"]))
    for path in ("/api/v1/schema/", "/api/v1/docs/"):
        status, headers, content = call("GET", path)
        assert status == 401, (path, content)
        assert set(json.loads(content)) >= SHAPE
    token = str(AccessToken.for_user(owner))
    status, headers, content = call("GET", "/api/v1/schema/", token=token)
    assert status == 200 and b"/api/v1/auth/logout/" in content
    status, headers, content = call("GET", "/api/v1/docs/", token=token)
    assert status == 200 and b"swagger-ui-dist/swagger-ui-bundle.js" in content
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    status, _, content = call("GET", "/api/v1/no-such-thing/")
    assert status == 404 and json.loads(content)["code"] == "not_found"
