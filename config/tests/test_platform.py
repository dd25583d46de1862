import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "a-production-grade-secret-key-with-plenty-of-entropy-9f8e7d6c5b4a3f2e1d0c",
    "DATABASE_URL": "postgres://app:secret@db.example.internal:5432/flight_schedule_pro",
    "ALLOWED_HOSTS": "app.flightschedulepro.com",
    "FRONTEND_URL": "https://app.flightschedulepro.com",
    "AWS_STORAGE_BUCKET_NAME": "flight-schedule-pro-static",
}


def run_manage(*args, env_overrides):
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "SECRET_KEY"}}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("module", ["config.settings.local", "config.settings.test", "config.settings.production"])
def test_each_settings_module_loads(module):
    env = dict(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE=module)
    result = run_manage("check", env_overrides=env)
    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_the_broker_transport_options_are_read_from_the_environment_as_json():
    options = '{"region": "eu-west-1", "queue_name_prefix": "fsp-", "visibility_timeout": 3600}'
    env = dict(PRODUCTION_ENV, CELERY_BROKER_URL="sqs://", CELERY_BROKER_TRANSPORT_OPTIONS=options)
    show = "import json; from config import celery_app; print(json.dumps(celery_app.conf.broker_transport_options))"
    result = run_manage("shell", "-c", show, env_overrides=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == json.loads(options)


def test_an_sqs_endpoint_in_the_transport_options_is_refused_since_kombu_would_ignore_it():
    env = dict(PRODUCTION_ENV, CELERY_BROKER_URL="sqs://",
               CELERY_BROKER_TRANSPORT_OPTIONS='{"endpoint_url": "http://127.0.0.1:4566"}')
    result = run_manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "put the endpoint in the broker URL, sqs://@host:port" in result.stderr


def test_production_passes_check_deploy():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_health_reports_database_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


@pytest.mark.django_db
def test_health_is_503_when_the_database_is_down(client):
    with mock.patch.object(connection, "cursor", side_effect=Exception("connection refused")):
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error"


@pytest.mark.django_db
def test_every_response_carries_a_request_id(client):
    generated = client.get("/health")
    assert len(generated["X-Request-ID"]) == 32
    echoed = client.get("/health", HTTP_X_REQUEST_ID="trace-abc.123")
    assert echoed["X-Request-ID"] == "trace-abc.123"
    sanitized = client.get("/health", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert sanitized["X-Request-ID"] != "bad id\nwith newline"


@pytest.mark.django_db
def test_log_lines_carry_the_request_id(owner, api, caplog):
    with caplog.at_level("WARNING", logger="django.request"):
        api.post("/api/v1/auth/login/", {"email": owner.email, "password": "bad"}, HTTP_X_REQUEST_ID="req-42")
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(getattr(r, "request_id", None) == "req-42" for r in records)


@pytest.mark.django_db
def test_missing_object_is_404_in_the_error_shape(api, staff):
    response = api.as_user(staff).get("/api/v1/users/999999/")
    assert response.status_code == 404
    assert response.json() == {"message": "Not found.", "code": "not_found", "fields": {}}


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/auth/login/" in schema.content
    assert client.get("/api/v1/docs/").status_code == 200


@pytest.mark.django_db
def test_admin_login_page_is_served(client):
    assert client.get("/admin/login/").status_code == 200
