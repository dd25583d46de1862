"""Delivery through a real SMTP conversation (aiosmtpd on loopback): arrives, retries, never twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from notifications.jobs import run_delivery
from notifications.models import Channel, Notification, NotificationStatus
from notifications.services import notify
from notifications.tests.factories import BookingFactory

REASONS = ["visibility 2.0 sm below 5 sm (student_pilot) at KPAO 17:00Z",
           "wind gusts 22 kt above 15 kt (student_pilot) at KPAO 18:00Z"]
# As the emails say them: on the airport's clock, like the flight's own time (Sat 28 Nov 09:00 PST).
SHOWN = ["visibility 2.0 sm below 5 sm (student_pilot) at KPAO 09:00 PST",
         "wind gusts 22 kt above 15 kt (student_pilot) at KPAO 10:00 PST"]

pytestmark = pytest.mark.postgres


@pytest.fixture
def booking(owner, colleague):
    return BookingFactory(student=owner, instructor=colleague)


def conflict(booking, key="weather_conflict:smtp"):
    return notify(kind="weather_conflict", recipients=[booking.student, booking.instructor], booking=booking,
                  reasons=REASONS, idempotency_key=key, event_at=timezone.now())


def emails():
    return Notification.objects.filter(channel=Channel.EMAIL).order_by("id")


@pytest.mark.django_db
def test_the_conflict_email_reaches_student_and_instructor_with_the_reasons(smtp, booking,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        conflict(booking)

    for address in ("owner@example.com", "colleague@example.com"):
        [message] = smtp.to(address)
        assert message["Subject"] == "Weather hold: Sat 28 Nov 09:00 PST at KPAO"
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        for reason in SHOWN:
            assert reason in text and reason in html
    assert all(n.status == NotificationStatus.SENT and n.attempts == 1 for n in emails())


@pytest.mark.django_db
def test_smtp_down_retries_with_backoff_and_sends_exactly_once_when_it_is_back(
        smtp, booking, retry_settings, django_capture_on_commit_callbacks):
    smtp.stop()
    with django_capture_on_commit_callbacks(execute=True):
        conflict(booking)

    first_try = list(emails())
    assert [n.status for n in first_try] == ["pending", "pending"]
    assert all(n.attempts == 1 and n.last_error for n in first_try)
    assert all(n.next_attempt_at - n.created_at >= timedelta(seconds=119) for n in first_try)

    # Still down at the first retry: the wait doubles.
    second = run_delivery(now=timezone.now() + timedelta(minutes=3))
    assert second["retrying"] == 2
    for notification in emails():
        assert notification.attempts == 2
        assert notification.next_attempt_at >= timezone.now() + timedelta(minutes=3, seconds=239)

    smtp.start()
    too_early = run_delivery(now=timezone.now() + timedelta(minutes=4))
    assert too_early["due"] == 0 and smtp.messages == []

    back = run_delivery(now=timezone.now() + timedelta(minutes=8))
    again = run_delivery(now=timezone.now() + timedelta(minutes=30))

    assert back["sent"] == 2 and again["due"] == 0 and again["sent"] == 0
    assert len(smtp.to("owner@example.com")) == 1
    assert len(smtp.to("colleague@example.com")) == 1
    assert all(n.status == NotificationStatus.SENT and n.attempts == 3 and n.last_error == "" for n in emails())


@pytest.mark.django_db
def test_send_now_ignores_the_backoff_after_an_outage(smtp, booking, retry_settings,
                                                      django_capture_on_commit_callbacks):
    smtp.stop()
    with django_capture_on_commit_callbacks(execute=True):
        conflict(booking)
    smtp.start()

    waiting = run_delivery()
    forced = run_delivery(ignore_backoff=True)

    assert waiting["due"] == 0
    assert forced["sent"] == 2
    assert len(smtp.messages) == 2


@pytest.mark.django_db
def test_after_the_last_attempt_it_is_failed_and_operations_staff_are_told_in_app(
        smtp, booking, staff, retry_settings, django_capture_on_commit_callbacks):
    smtp.stop()
    with django_capture_on_commit_callbacks(execute=True):
        conflict(booking)
    with django_capture_on_commit_callbacks(execute=True):
        run_delivery(ignore_backoff=True)
        summary = run_delivery(ignore_backoff=True)
    after_limit = run_delivery(ignore_backoff=True)

    assert summary["failed"] == 2
    assert after_limit["due"] == 0
    assert all(n.status == NotificationStatus.FAILED and n.attempts == 3 for n in emails())
    alerts = Notification.objects.filter(recipient=staff, kind="delivery_failed")
    assert {a.channel for a in alerts} == {"in_app"}
    assert alerts.count() == 2
    assert "owner@example.com" in " ".join(a.body_text for a in alerts)
    assert AuditEvent.objects.filter(action="notification.failed").count() == 2
    smtp.start()
    assert run_delivery(ignore_backoff=True)["sent"] == 0
    assert smtp.messages == []


@pytest.mark.django_db
def test_a_mailbox_that_does_not_exist_fails_at_once_without_retrying(smtp, booking, staff, retry_settings,
                                                                      django_capture_on_commit_callbacks):
    smtp.refuse_recipients = {"owner@example.com"}
    with django_capture_on_commit_callbacks(execute=True):
        conflict(booking)

    owner_email = emails().get(recipient=booking.student)
    assert owner_email.status == NotificationStatus.FAILED
    assert owner_email.attempts == 1
    assert "550" in owner_email.last_error
    assert len(smtp.to("colleague@example.com")) == 1
    assert Notification.objects.filter(recipient=staff, kind="delivery_failed").count() == 1


@pytest.mark.django_db
def test_a_temporary_refusal_is_retried(smtp, booking, retry_settings, django_capture_on_commit_callbacks):
    smtp.data_reply = "451 4.3.0 Try again later"
    with django_capture_on_commit_callbacks(execute=True):
        conflict(booking)
    assert all(n.status == NotificationStatus.PENDING and "451" in n.last_error for n in emails())

    smtp.data_reply = None
    assert run_delivery(ignore_backoff=True)["sent"] == 2
    assert len(smtp.messages) == 2


@pytest.mark.django_db
def test_the_delivery_job_run_twice_sends_nothing_twice(smtp, booking, django_capture_on_commit_callbacks):
    # Created without the on-commit hand-off, as if the process had stopped right after committing.
    with django_capture_on_commit_callbacks(execute=False):
        conflict(booking)

    first = run_delivery()
    second = run_delivery()

    assert (first["sent"], second["sent"], second["due"]) == (2, 0, 0)
    assert len(smtp.messages) == 2
