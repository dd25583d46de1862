"""Helpers for the deployment tests: a local fake of AWS (moto's server on loopback) and child processes
that start the app the way Lambda, a Celery worker or an operator's shell would."""

import os
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from tests.timetravel import child_clock_env

ROOT = Path(__file__).resolve().parents[2]

# Variables of the test process that must not leak into a child that builds its own settings.
_PROCESS_ONLY = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY", "CELERY_BROKER_URL", "EMAIL_URL",
                 "AWS_SECRETS_NAME", "AWS_STORAGE_BUCKET_NAME", "ALLOWED_HOSTS", "PYTEST_CURRENT_TEST",
                 "DJANGO_ALLOW_ASYNC_UNSAFE")

FAKE_AWS_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@contextmanager
def moto_server():
    """AWS's APIs answered by moto on a loopback port; yields the endpoint URL.

    moto keeps its fake accounts in module globals shared by every server in the process, so each server
    starts from an empty account.
    """
    from urllib.request import Request, urlopen

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    urlopen(Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()
    try:
        yield url
    finally:
        server.stop()


def shared_database_url() -> str:
    """The URL of the database pytest-django created, for a child process to share (commit first)."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def child_env(**overrides) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in _PROCESS_ONLY}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.update({key: str(value) for key, value in overrides.items()})
    return child_clock_env(env)
