import pytest


@pytest.fixture(autouse=True)
def school_in_utc(settings):
    """Patterns in these tests are written in UTC unless a test says otherwise, whatever the environment says."""
    settings.SCHOOL_TIME_ZONE = "UTC"
