"""Shared test fixtures: three people (an owner, a colleague, a stranger) plus staff, and API clients.

`TEST_CLOCK=2027-03-14T09:30:00Z make test` (or `pytest --clock=...`) moves the clock of the whole run to that
instant before anything is collected; it then ticks on in real time. Nothing in the suite may depend on the day it
runs, and this is how that is proved: a daylight-saving change, the turn of a year, a summer afternoon.
"""

import os
import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

_skipped_for_sqlite = []
_suite_clock = {}


def pytest_addoption(parser):
    parser.addoption("--clock", default=os.environ.get("TEST_CLOCK", ""),
                     help="run the whole suite with the clock moved to this ISO 8601 instant (env TEST_CLOCK)")


def _parse_instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise pytest.UsageError(f"--clock/TEST_CLOCK must be an ISO 8601 instant, not {text!r}") from None
    if instant.tzinfo is None:
        raise pytest.UsageError(f"--clock/TEST_CLOCK needs a UTC offset or Z: {text!r}")
    return instant.astimezone(UTC)


def pytest_configure(config):
    text = config.getoption("--clock")
    if text:
        instant = _parse_instant(text)
        traveller = time_machine.travel(instant, tick=True)
        traveller.start()
        time.time()  # a moved clock ticks from its first reading: start it now, as child processes do
        _suite_clock.update(instant=instant, traveller=traveller)


def pytest_unconfigure(config):
    traveller = _suite_clock.pop("traveller", None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config):
    if "instant" in _suite_clock:
        return f"clock moved to {_suite_clock['instant']:%Y-%m-%d %H:%M:%S} UTC for the whole run (ticking)"


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
            _skipped_for_sqlite.append(item.nodeid)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _skipped_for_sqlite:
        terminalreporter.write_line(
            f"SQLite run: {len(_skipped_for_sqlite)} PostgreSQL-only tests skipped "
            "(set DATABASE_URL or run PostgreSQL on 127.0.0.1:5432 to run them).",
            yellow=True,
        )


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def otp_required(settings):
    """Production's ADMIN_REQUIRE_OTP: operations staff need a one-time code to sign in, to the admin and the API."""
    settings.ADMIN_REQUIRE_OTP = True


@pytest.fixture
def make_user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory


@pytest.fixture
def owner(db):
    """A student whose things the tests touch."""
    from accounts.tests.factories import StudentFactory

    return StudentFactory(email="owner@example.com", first_name="Olive", last_name="Owner")


@pytest.fixture
def colleague(db):
    """An instructor who teaches the owner: sees the owner's flights, not everyone's."""
    from accounts.tests.factories import InstructorFactory

    return InstructorFactory(email="colleague@example.com", first_name="Carl", last_name="Colleague")


@pytest.fixture
def stranger(db):
    """Another student who must see nothing of the owner's."""
    from accounts.tests.factories import StudentFactory

    return StudentFactory(email="stranger@example.com", first_name="Stan", last_name="Stranger")


@pytest.fixture
def staff(db):
    """Operations staff."""
    from accounts.tests.factories import AdminFactory

    return AdminFactory(email="ops@example.com", first_name="Opal", last_name="Ops")


@pytest.fixture
def api():
    """An API client; `api.as_user(user)` authenticates it with a real JWT."""

    class Client(APIClient):
        def as_user(self, user):
            # An access token alone: no refresh token (and no row in the outstanding-token list) is needed.
            token = AccessToken.for_user(user)
            self.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            return self

    return Client()
