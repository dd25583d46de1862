"""The email of a notification as each configured backend delivers it: Django's SMTP backend (aiosmtpd on
loopback), a project's own subclass of it, and django-ses against SES (moto's server on loopback). Same headers,
same parts, and a malformed recipient address failed at once, in words, without costing the session."""

from datetime import timedelta
from email import message_from_bytes
from email import policy as email_policy

import boto3
import pytest
from django.core.mail.backends.smtp import EmailBackend
from django.utils import timezone

from accounts.tests.factories import StudentFactory
from config.tests.deploy_support import moto_server
from notifications.jobs import run_delivery
from notifications.models import Channel, Notification, NotificationStatus
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.postgres

SUBJECT = "Wetter: Sat 28 Nov 09:00–10:30 PST at KPAO"
TEXT = "Señor Pérez,\nthe forecast for your flight is below minimums.\n"
HTML = "<p>Señor Pérez,</p><p>the forecast for your flight is below minimums.</p>"


def pending_email(email: str) -> Notification:
    return NotificationFactory(recipient=StudentFactory(email=email), channel=Channel.EMAIL,
                               status=NotificationStatus.PENDING, sent_at=None, subject=SUBJECT, body_text=TEXT,
                               body_html=HTML, next_attempt_at=timezone.now() - timedelta(seconds=1))


def assert_is_the_notification(message, notification: Notification, *, sender: str) -> None:
    assert message["Subject"] == SUBJECT
    assert message["From"] == sender
    assert message["To"] == notification.recipient.email
    assert message["Message-ID"].startswith(f"<notification-{notification.pk}.")
    assert message["X-FSP-Notification-Kind"] == notification.kind
    assert message.get_content_type() == "multipart/alternative"
    assert [(part.get_content_type(), part.get_content().replace("\r\n", "\n"))
            for part in message.iter_parts()] == [("text/plain", TEXT), ("text/html", HTML)]


@pytest.mark.django_db
def test_the_smtp_backend_delivers_the_message_django_would(smtp, settings):
    settings.SES_FROM_EMAIL = "Flight Schöol <noreply@example.com>"
    notification = pending_email("pilot@example.com")

    assert run_delivery()["sent"] == 1

    [(rcpt, message)] = smtp.messages
    assert rcpt == "pilot@example.com"
    assert_is_the_notification(message, notification, sender="Flight Schöol <noreply@example.com>")


@pytest.mark.django_db
def test_a_malformed_recipient_address_fails_at_once_in_words_and_the_others_still_go(smtp, retry_settings):
    before = pending_email("pilot@example.com")
    bad = pending_email("pilot@")
    after = pending_email("copilot@example.com")

    first = run_delivery()
    again = run_delivery(ignore_backoff=True)

    assert (first["sent"], first["retrying"], again["sent"], again["retrying"]) == (2, 0, 0, 0)
    bad.refresh_from_db()
    assert bad.status == "failed" and bad.attempts == 1
    assert bad.last_error == 'recipient address refused: Invalid address "pilot@"'
    assert sorted(rcpt for rcpt, _ in smtp.messages) == sorted([before.recipient.email, after.recipient.email])
    # Nothing was said to the server about the bad address: one session carried the messages either side of it.
    assert smtp.connections == 1


class CountingSMTPBackend(EmailBackend):
    """A project's own SMTP backend that changes how a message is sent: it is used as it is configured."""

    sent = 0

    def _send(self, email_message):
        type(self).sent += 1
        return super()._send(email_message)


@pytest.mark.django_db
def test_a_subclass_of_the_smtp_backend_sends_through_its_own_send(smtp, settings):
    settings.EMAIL_BACKEND = f"{__name__}.CountingSMTPBackend"
    CountingSMTPBackend.sent = 0
    notification = pending_email("pilot@example.com")

    assert run_delivery()["sent"] == 1

    assert CountingSMTPBackend.sent == 1
    assert_is_the_notification(smtp.messages[0][1], notification, sender=notification_sender(settings))


def notification_sender(settings) -> str:
    return settings.SES_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL


@pytest.fixture
def ses(settings):
    """django-ses, as production configures it, against moto's SES on loopback, the sender verified."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    with moto_server() as url:
        settings.EMAIL_BACKEND = "django_ses.SESBackend"
        settings.AWS_SES_REGION_NAME = "us-east-1"
        settings.AWS_SES_REGION_ENDPOINT_URL = url
        settings.AWS_SES_ACCESS_KEY_ID = settings.AWS_SES_SECRET_ACCESS_KEY = "testing"
        settings.AWS_SES_AUTO_THROTTLE = None
        settings.SES_FROM_EMAIL = "noreply@example.com"
        boto3.client("ses", region_name="us-east-1", endpoint_url=url, aws_access_key_id="testing",
                     aws_secret_access_key="testing").verify_email_identity(EmailAddress=settings.SES_FROM_EMAIL)
        yield ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


@pytest.mark.django_db
def test_the_ses_backend_sends_the_same_message_as_raw_email(ses):
    notification = pending_email("pilot@example.com")

    assert run_delivery()["sent"] == 1

    [sent] = ses.sent_messages
    assert set(sent.destinations) == {"pilot@example.com"}  # moto lists the To header besides the envelope
    message = message_from_bytes(sent.raw_data.encode("utf-8", "surrogateescape"), policy=email_policy.default)
    assert_is_the_notification(message, notification, sender="noreply@example.com")
