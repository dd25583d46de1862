"""A delivery batch over one SMTP session (aiosmtpd on loopback): one connection for many messages, a refused
mailbox or a dropped connection touching only its own message, nothing received twice; the batch sized to the
mail service's send rate and the Lambda invocation's remaining time."""

import contextlib
import socket
import threading
import time
import types
from datetime import timedelta

import environ
import pytest
from django.utils import timezone

from accounts.tests.factories import StudentFactory
from notifications.jobs import LAMBDA_MARGIN_SECONDS, delivery_batch_limit, run_delivery
from notifications.models import Channel, Notification, NotificationStatus
from notifications.services import notify
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.postgres

PEOPLE = 6


@pytest.fixture
def students(db):
    return [StudentFactory(email=f"pilot{i}@example.com") for i in range(PEOPLE)]


def pending_email(recipient):
    return NotificationFactory(recipient=recipient, channel=Channel.EMAIL, status=NotificationStatus.PENDING,
                               sent_at=None, next_attempt_at=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def pending(students):
    return [pending_email(person) for person in students]


def lambda_context(remaining_ms: int):
    """What Zappa hands an event function: the invocation's context, counting down."""
    return types.SimpleNamespace(function_name="flight-schedule-pro-staging", aws_request_id="test",
                                 get_remaining_time_in_millis=lambda: remaining_ms)


def received(smtp) -> dict[str, int]:
    counts: dict[str, int] = {}
    for rcpt, _ in smtp.messages:
        counts[rcpt] = counts.get(rcpt, 0) + 1
    return counts


def statuses() -> dict[str, str]:
    return dict(Notification.objects.filter(channel=Channel.EMAIL).values_list("recipient__email", "status"))


@pytest.mark.django_db
def test_a_batch_goes_over_one_smtp_connection(smtp, pending):
    summary = run_delivery()

    assert summary["sent"] == PEOPLE
    assert received(smtp) == {f"pilot{i}@example.com": 1 for i in range(PEOPLE)}
    assert smtp.connections == 1


@pytest.mark.django_db
def test_the_emails_of_one_event_share_a_connection_as_soon_as_it_commits(smtp, students,
                                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="weather_cleared", recipients=students[:3], idempotency_key="cleared:shared",
               reasons=["visibility 10 sm, ceiling unlimited at KPAO"])

    assert len(smtp.messages) == 3 and smtp.connections == 1
    assert set(statuses().values()) == {NotificationStatus.SENT}


@pytest.mark.django_db
def test_a_refused_mailbox_fails_alone_and_the_session_carries_on(smtp, pending, staff):
    smtp.refuse_recipients = {"pilot2@example.com"}

    summary = run_delivery()

    assert (summary["sent"], summary["failed"]) == (PEOPLE - 1, 1)
    assert statuses()["pilot2@example.com"] == NotificationStatus.FAILED
    assert [status for email, status in statuses().items() if email != "pilot2@example.com"] == \
        [NotificationStatus.SENT] * (PEOPLE - 1)
    assert "pilot2@example.com" not in received(smtp)
    assert smtp.connections == 1


@pytest.mark.django_db
def test_a_connection_dropped_mid_batch_loses_one_attempt_and_sends_nothing_twice(smtp, pending, retry_settings):
    smtp.drop_at_recipients = {"pilot2@example.com"}

    first = run_delivery()

    # The dropped message waits for its retry; the rest went out over a fresh connection in the same run.
    assert (first["sent"], first["retrying"]) == (PEOPLE - 1, 1)
    dropped = Notification.objects.get(recipient__email="pilot2@example.com")
    assert dropped.status == NotificationStatus.PENDING and dropped.attempts == 1 and dropped.last_error
    assert smtp.connections == 2
    assert "pilot2@example.com" not in received(smtp)

    again = run_delivery(ignore_backoff=True)
    after = run_delivery(ignore_backoff=True)

    assert (again["sent"], after["due"]) == (1, 0)
    assert received(smtp) == {f"pilot{i}@example.com": 1 for i in range(PEOPLE)}
    assert set(statuses().values()) == {NotificationStatus.SENT}


@pytest.fixture
def silent_server(settings):
    """A port that accepts TCP connections and never says a word: each dial costs a whole EMAIL_TIMEOUT."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept():
        with contextlib.suppress(OSError):
            while True:
                accepted.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    for key, value in environ.Env.email_url_config(f"smtp://127.0.0.1:{listener.getsockname()[1]}").items():
        setattr(settings, key, value)
    settings.EMAIL_TIMEOUT = 0.3
    yield accepted
    listener.close()
    for sock in accepted:
        sock.close()


@pytest.mark.django_db
def test_a_server_that_cannot_be_reached_is_dialled_once_for_the_chunk_not_once_a_message(
        silent_server, pending, retry_settings):
    started = time.monotonic()
    summary = run_delivery()
    seconds = time.monotonic() - started

    assert summary["retrying"] == PEOPLE
    assert len(silent_server) == 1 and seconds < PEOPLE * 0.3
    emails = Notification.objects.filter(channel=Channel.EMAIL)
    assert all(n.attempts == 1 and n.last_error and n.next_attempt_at > timezone.now() for n in emails)


@pytest.mark.django_db
def test_after_an_outage_each_message_goes_once(smtp, pending, retry_settings):
    smtp.stop()
    assert run_delivery()["retrying"] == PEOPLE
    smtp.start()

    assert run_delivery(ignore_backoff=True)["sent"] == PEOPLE
    assert run_delivery(ignore_backoff=True)["due"] == 0
    assert received(smtp) == {f"pilot{i}@example.com": 1 for i in range(PEOPLE)}


@pytest.mark.django_db
def test_sends_keep_to_the_send_rate(smtp, pending, settings):
    settings.NOTIFICATION_SEND_RATE = 2.0  # a bucket of two, then one every half second

    started = time.monotonic()
    summary = run_delivery()
    seconds = time.monotonic() - started

    assert summary["sent"] == PEOPLE
    assert seconds >= (PEOPLE - 2) * 0.5 - 0.05


@pytest.mark.django_db
def test_on_lambda_the_batch_is_what_the_send_rate_lets_out_in_the_remaining_time(smtp, pending, settings):
    settings.NOTIFICATION_SEND_RATE = 4.0
    # 1.125 s left after the margin: four messages at four a second (four and a half do not go).
    summary = run_delivery(None, lambda_context(int((LAMBDA_MARGIN_SECONDS + 1.125) * 1000)))

    assert summary["due"] == summary["sent"] == 4
    assert len(smtp.messages) == 4
    left = Notification.objects.filter(channel=Channel.EMAIL, status=NotificationStatus.PENDING)
    assert left.count() == 2 and all(n.attempts == 0 and n.claim_token == "" for n in left)

    rest = run_delivery(None, lambda_context(30_000))
    assert rest["sent"] == 2
    assert received(smtp) == {f"pilot{i}@example.com": 1 for i in range(PEOPLE)}


@pytest.mark.django_db
def test_on_lambda_with_no_time_left_nothing_is_claimed(smtp, pending, settings):
    settings.NOTIFICATION_SEND_RATE = 14.0

    summary = run_delivery(None, lambda_context(int(LAMBDA_MARGIN_SECONDS * 1000)))

    assert summary["due"] == 0 and smtp.messages == []
    assert all(n.attempts == 0 for n in Notification.objects.filter(channel=Channel.EMAIL))


def test_the_batch_limit_follows_rate_and_time():
    assert delivery_batch_limit(batch_size=500, send_rate=14.0, seconds=27.0) == 378
    assert delivery_batch_limit(batch_size=500, send_rate=50.0, seconds=27.0) == 500
    assert delivery_batch_limit(batch_size=500, send_rate=14.0, seconds=None) == 500  # no invocation clock
    assert delivery_batch_limit(batch_size=500, send_rate=None, seconds=27.0) == 500  # no rate: SMTP
    assert delivery_batch_limit(batch_size=500, send_rate=14.0, seconds=-1.0) == 0
