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


@pytest.mark.django_db
def test_a_large_batch_is_claimed_and_recorded_in_chunks_each_message_once(smtp, owner, settings,
                                                                             django_assert_max_num_queries):
    from audit.models import AuditEvent
    from notifications.services import delivery_chunk_size

    settings.NOTIFICATION_CLAIM_SECONDS, settings.EMAIL_TIMEOUT = 100, 5  # chunks of 10
    assert delivery_chunk_size() == 10
    notifications = [pending_email(owner, idempotency_key=f"batch-{i}") for i in range(45)]
    # 45 messages in 5 chunks: one statement claiming and reading each chunk and one recording it with its audit
    # rows, besides the run's own six; not six statements a message.
    with django_assert_max_num_queries(16):
        summary = run_delivery()
    assert summary["sent"] == 45 and len(smtp.messages) == 45
    assert len({message["Message-ID"] for _, message in smtp.messages}) == 45
    rows = Notification.objects.filter(pk__in=[n.pk for n in notifications])
    assert all(n.status == NotificationStatus.SENT and n.attempts == 1 and n.sent_at and not n.claim_token
               for n in rows)
    assert AuditEvent.objects.filter(action="notification.sent").count() == 45
    assert run_delivery()["due"] == 0 and len(smtp.messages) == 45


@pytest.mark.django_db
def test_a_claim_taken_over_during_a_chunk_is_recorded_once(smtp, owner, monkeypatch):
    from audit.models import AuditEvent
    from notifications import channels

    lapsed, taken, fine = (pending_email(owner, idempotency_key=f"lapse-{i}") for i in range(3))
    real_send = channels.send_email

    def send_then_lose_claims(notification, *, connection=None):
        real_send(notification, connection=connection)
        # Another worker took these two rows over while this one was slow; it already sent `taken`.
        if notification.pk == fine.pk:
            Notification.objects.filter(pk=lapsed.pk).update(claim_token="other-worker")
            Notification.objects.filter(pk=taken.pk).update(claim_token="", status=NotificationStatus.SENT,
                                                                      sent_at=timezone.now())

    monkeypatch.setattr(channels, "send_email", send_then_lose_claims)
    assert run_delivery()["sent"] == 3
    assert set(Notification.objects.filter(pk__in=[lapsed.pk, taken.pk, fine.pk]).values_list("status", flat=True)) \
        == {NotificationStatus.SENT}
    audited = sorted(int(i) for i in AuditEvent.objects.filter(action="notification.sent")
                     .values_list("object_id", flat=True))
    assert audited == sorted([lapsed.pk, fine.pk])  # `taken` was recorded by the worker that took it over


@pytest.mark.django_db
def test_each_sent_message_has_the_audit_row_it_always_had(smtp, owner, settings):
    from audit.models import AuditEvent

    settings.NOTIFICATION_CLAIM_SECONDS, settings.EMAIL_TIMEOUT = 100, 5  # chunks of 10
    notifications = [pending_email(owner, idempotency_key=f"audited-{i}", attempts=i % 3) for i in range(12)]

    summary = run_delivery()

    events = {event.object_id: event for event in AuditEvent.objects.filter(action="notification.sent")}
    assert sorted(events) == sorted(str(n.pk) for n in notifications)
    for notification in notifications:
        event = events[str(notification.pk)]
        attempts = notification.attempts + 1
        assert (event.object_type, event.actor_id, event.ip_address) == ("notification", None, None)
        assert event.before == {"status": "pending", "attempts": attempts}
        assert event.after == {"status": "sent", "attempts": attempts}
        assert event.request_id == summary["run_id"] and event.created_at


@pytest.mark.django_db
def test_a_chunk_is_claimed_and_read_with_its_recipients_in_one_statement(owner, colleague,
                                                                           django_assert_num_queries):
    from notifications.services import _claim_many

    def columns(instance):
        return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}

    due = [pending_email(person, idempotency_key=f"chunk-{i}") for i, person in enumerate([owner, colleague])]
    later = pending_email(owner, idempotency_key="chunk-later")
    Notification.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))
    held = pending_email(owner, idempotency_key="chunk-held", claim_token="other",
                         claimed_until=timezone.now() + timedelta(minutes=5))
    ids = [n.pk for n in [*due, later, held]]

    with django_assert_num_queries(1):
        claimed = _claim_many(notification_ids=ids, token="mine", now=timezone.now(), ignore_backoff=False)
        recipients = {pk: columns(n.recipient) for pk, n in claimed.items()}

    assert sorted(claimed) == sorted(n.pk for n in due)
    stored = {n.pk: n for n in Notification.objects.select_related("recipient").filter(pk__in=claimed)}
    for pk, notification in claimed.items():
        assert columns(notification) == columns(stored[pk])
        assert (notification.claim_token, notification.attempts) == ("mine", 1)
        assert recipients[pk] == columns(stored[pk].recipient)
