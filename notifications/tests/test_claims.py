"""Two workers, one message: the conditional UPDATE lets exactly one of them send it."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from notifications.jobs import run_delivery
from notifications.models import Channel, Notification, NotificationStatus
from notifications.services import notification_deliver, notifications_fail_abandoned
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.postgres


def pending_email(recipient, **fields):
    return NotificationFactory(recipient=recipient, channel=Channel.EMAIL, status=NotificationStatus.PENDING,
                               sent_at=None, next_attempt_at=timezone.now() - timedelta(seconds=1),
                               body_html="<p>The forecast for your flight is outside the minimums.</p>", **fields)


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_each_message_once(smtp, owner):
    notifications = [pending_email(owner, idempotency_key=f"race-{i}") for i in range(5)]
    barrier = threading.Barrier(4)
    outcomes = []

    def worker():
        try:
            barrier.wait()
            for notification in notifications:
                outcomes.append(notification_deliver(notification_id=notification.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("sent") == 5
    assert outcomes.count("skipped") == 15
    assert len(smtp.to("owner@example.com")) == 5
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}


@pytest.mark.django_db(transaction=True)
def test_two_delivery_jobs_at_once_send_nothing_twice(smtp, owner):
    for i in range(20):
        pending_email(owner, idempotency_key=f"batch-{i}")
    summaries = []

    def job():
        try:
            summaries.append(run_delivery())
        finally:
            connection.close()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(s["sent"] for s in summaries) == 20
    assert len(smtp.messages) == 20
    message_ids = {message["Message-ID"] for _, message in smtp.messages}
    assert len(message_ids) == 20


@pytest.mark.django_db
def test_a_claim_held_by_a_live_worker_is_left_alone(smtp, owner):
    held = pending_email(owner, claim_token="another-worker", attempts=1,
                         claimed_until=timezone.now() + timedelta(minutes=4))

    summary = run_delivery(ignore_backoff=True)

    held.refresh_from_db()
    assert summary["due"] == 0
    assert held.status == NotificationStatus.PENDING and held.attempts == 1
    assert smtp.messages == []


@pytest.mark.django_db
def test_a_claim_left_by_a_killed_worker_expires_and_the_message_goes_out(smtp, owner):
    orphan = pending_email(owner, claim_token="dead-worker", attempts=1,
                           claimed_until=timezone.now() - timedelta(seconds=5))

    summary = run_delivery()

    orphan.refresh_from_db()
    assert summary["sent"] == 1
    assert orphan.status == NotificationStatus.SENT and orphan.attempts == 2 and orphan.claim_token == ""
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_a_worker_killed_on_the_last_attempt_is_given_up_not_resent(smtp, owner, staff, retry_settings):
    orphan = pending_email(owner, claim_token="dead-worker", attempts=3,
                           claimed_until=timezone.now() - timedelta(seconds=5))

    assert notifications_fail_abandoned() == 1
    assert run_delivery(ignore_backoff=True)["due"] == 0

    orphan.refresh_from_db()
    assert orphan.status == NotificationStatus.FAILED
    assert "interrupted" in orphan.last_error
    assert smtp.messages == []
    assert Notification.objects.filter(recipient=staff, kind="delivery_failed", channel="in_app").count() == 1
