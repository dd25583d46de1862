"""Shared test fixtures: three people (an owner, a colleague, a stranger) plus staff, and API clients."""

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

_skipped_for_sqlite = []


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
