import json
from datetime import timedelta
from io import StringIO

import time_machine
from django.core.management import call_command

from audit.models import AuditEvent
from notifications.models import Notification
from rescheduling.jobs import run_deadlines
from rescheduling.models import RequestStatus
from rescheduling.tests.factories import RescheduleOptionFactory, RescheduleRequestFactory


def sent(kind):
    return Notification.objects.filter(kind=kind, channel="in_app")


def held_request(now, *, starts_in, expires_in, student, instructor):
    request = RescheduleRequestFactory(
        booking__student=student, booking__instructor=instructor,
        booking__start=now + starts_in, booking__end=now + starts_in + timedelta(hours=2),
        created_at=now - timedelta(hours=1), detected_at=now - timedelta(hours=1), expires_at=now + expires_in,
    )
    RescheduleOptionFactory(request=request)
    return request


def test_expired_requests_close_once_and_tell_both_people(now, owner, colleague):
    request = held_request(now, starts_in=timedelta(hours=3), expires_in=-timedelta(minutes=1),
                           student=owner, instructor=colleague)

    first = run_deadlines(now=now)
    second = run_deadlines(now=now)

    request.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED
    assert first["expired"] == 1 and second["expired"] == 0
    assert set(sent("request_expired").values_list("recipient", flat=True)) == {owner.pk, colleague.pk}
    assert sent("request_expired").count() == 2
    assert AuditEvent.objects.filter(action="reschedule_request.expired").count() == 1


def test_reminder_goes_once_two_hours_before_expiry(now, owner, colleague):
    request = held_request(now, starts_in=timedelta(hours=5), expires_in=timedelta(hours=1, minutes=50),
                           student=owner, instructor=colleague)
    not_yet = held_request(now, starts_in=timedelta(days=2), expires_in=timedelta(hours=3),
                           student=owner, instructor=colleague)

    assert run_deadlines(now=now)["reminded"] == 1
    assert run_deadlines(now=now + timedelta(minutes=5))["reminded"] == 0

    request.refresh_from_db()
    not_yet.refresh_from_db()
    assert request.reminder_sent_at == now and request.status == RequestStatus.PENDING
    assert not_yet.reminder_sent_at is None
    assert list(sent("reschedule_reminder").values_list("recipient", flat=True)) == [owner.pk]


def test_flight_still_held_at_departure_is_cancelled_for_the_weather(now, owner, colleague):
    request = held_request(now, starts_in=timedelta(hours=1), expires_in=timedelta(minutes=30),
                           student=owner, instructor=colleague)
    booking = request.booking

    with time_machine.travel(now + timedelta(hours=1, minutes=5), tick=False):
        later = now + timedelta(hours=1, minutes=5)
        first = run_deadlines(now=later)
        second = run_deadlines(now=later)

    booking.refresh_from_db()
    request.refresh_from_db()
    assert booking.status == "cancelled"
    assert booking.cancel_reason.startswith("Weather: visibility 2.0 sm below 5 sm")
    assert request.status == RequestStatus.EXPIRED
    assert (first["cancelled"], second["cancelled"]) == (1, 0)
    assert AuditEvent.objects.filter(action="booking.cancelled", object_id=str(booking.pk)).count() == 1


def test_nothing_due_changes_nothing(now, owner, colleague):
    request = held_request(now, starts_in=timedelta(days=1), expires_in=timedelta(hours=10),
                           student=owner, instructor=colleague)
    assert run_deadlines(now=now) == {"expired": 0, "reminded": 0, "cancelled": 0, "standby_expired": 0,
                                      "maintenance_options": 0}
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING and request.reminder_sent_at is None
    assert not Notification.objects.exists()


def test_command_prints_a_one_line_summary_and_the_metrics(now, owner, colleague, capsys):
    held_request(now, starts_in=timedelta(hours=3), expires_in=-timedelta(minutes=1), student=owner,
                 instructor=colleague)
    out = StringIO()
    call_command("run_reschedule_deadlines", stdout=out)
    assert out.getvalue().strip() == "Reschedule deadlines: 1 expired, 0 reminded, 0 held flights cancelled."
    *_, emf, heartbeat = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "FlightSchedulePro"
    assert emf["RescheduleRequestsExpired"] == 1
    assert (heartbeat["Job"], heartbeat["JobRuns"], heartbeat["JobFailures"]) == ("reschedule-deadlines", 1, 0)
