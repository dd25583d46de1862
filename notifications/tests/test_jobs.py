"""The delivery job as schedulers and operators run it: summary, metrics line, command output."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from notifications.jobs import run_delivery
from notifications.models import Channel, NotificationStatus
from notifications.selectors import delivery_stats
from notifications.tests.factories import NotificationFactory


def pending_email(recipient, **fields):
    fields.setdefault("next_attempt_at", timezone.now() - timedelta(seconds=1))
    return NotificationFactory(recipient=recipient, channel=Channel.EMAIL, status=NotificationStatus.PENDING,
                               sent_at=None, **fields)


def emf_lines(text: str) -> list[dict]:
    """The job's own figures; every run also writes a heartbeat line (JobRuns), tested in audit/tests."""
    return [json.loads(line) for line in text.splitlines()
            if line.startswith('{"_aws"') and '"JobRuns"' not in line]


@pytest.mark.django_db
def test_the_job_writes_delivery_figures_as_embedded_metric_format(smtp, owner, capsys):
    pending_email(owner, event_at=timezone.now() - timedelta(seconds=30))
    pending_email(owner)

    summary = run_delivery(event={"source": "aws.events"}, context=None)

    assert summary["sent"] == 2 and summary["due"] == 2
    [line] = emf_lines(capsys.readouterr().out)
    directive = line["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "FlightSchedulePro"
    units = {metric["Name"]: metric["Unit"] for metric in directive["Metrics"]}
    assert units["NotificationDeliveryRate"] == "Percent"
    assert units["NotificationsSent"] == "Count" and units["NotificationsFailed"] == "Count"
    assert line["NotificationDeliveryRate"] == 100.0
    assert line["NotificationsSent"] == 2 and line["NotificationsFailed"] == 0
    assert 29 <= line["DetectionToNotificationSeconds"] < 60


@pytest.mark.django_db
def test_an_outage_shows_in_the_delivery_rate_before_anything_has_failed(smtp, owner, capsys):
    smtp.stop()
    pending_email(owner)
    pending_email(owner)

    summary = run_delivery()

    assert summary["retrying"] == 2 and summary["delivery_rate"] == 0.0
    [line] = emf_lines(capsys.readouterr().out)
    assert line["NotificationDeliveryRate"] == 0.0


@pytest.mark.django_db
def test_nothing_to_send_writes_no_rate_at_all(capsys):
    summary = run_delivery()

    [line] = emf_lines(capsys.readouterr().out)
    assert summary["due"] == 0
    assert "NotificationDeliveryRate" not in line
    assert line["NotificationsSent"] == 0


@pytest.mark.django_db
def test_the_command_prints_a_one_line_summary_and_now_ignores_backoff(smtp, owner):
    pending_email(owner, next_attempt_at=timezone.now() + timedelta(minutes=20), attempts=2)
    out = io.StringIO()

    call_command("send_pending_notifications", stdout=out)
    waiting = out.getvalue()
    out = io.StringIO()
    call_command("send_pending_notifications", "--now", stdout=out)

    assert "0 due, 0 sent" in waiting.splitlines()[-1]
    assert out.getvalue().splitlines()[-1].startswith("Notifications: 1 due, 1 sent, 0 to retry, 0 failed")
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_delivery_stats_count_emails_and_latency_in_the_period(owner):
    now = timezone.now()
    NotificationFactory(recipient=owner, channel=Channel.EMAIL, status="sent", sent_at=now,
                        event_at=now - timedelta(seconds=90))
    NotificationFactory(recipient=owner, channel=Channel.EMAIL, status="sent", sent_at=now,
                        event_at=now - timedelta(seconds=30))
    NotificationFactory(recipient=owner, channel=Channel.EMAIL, status="failed", sent_at=None)
    NotificationFactory(recipient=owner, channel=Channel.EMAIL, status="pending", sent_at=None, attempts=1)
    NotificationFactory(recipient=owner, channel=Channel.IN_APP, sent_at=now, event_at=now - timedelta(seconds=6))

    stats = delivery_stats(since=now - timedelta(hours=1), until=now + timedelta(hours=1))
    before = delivery_stats(since=now - timedelta(days=2), until=now - timedelta(days=1))

    assert (stats["sent"], stats["failed"], stats["pending"], stats["in_app"]) == (2, 1, 1, 1)
    assert stats["delivery_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert stats["first_attempt_rate"] == 0.5
    assert stats["by_channel"]["email"]["avg_seconds_detection_to_notification"] == pytest.approx(60, abs=0.01)
    assert stats["avg_seconds_detection_to_notification"] == pytest.approx(42, abs=0.01)
    assert before["sent"] == 0 and before["delivery_rate"] is None
