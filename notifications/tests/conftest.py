import pytest

from notifications.tests.smtp import FakeSMTPServer


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback, configured the way EMAIL_URL=smtp://127.0.0.1:<port> configures Django."""
    with FakeSMTPServer() as server:
        server.configure(settings)
        yield server


@pytest.fixture
def retry_settings(settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 120
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 3600
    settings.NOTIFICATION_CLAIM_SECONDS = 300
    return settings
