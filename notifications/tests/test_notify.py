"""Creating messages: who gets what, on which channel, once, and what the words say."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from config.exceptions import ApplicationError
from notifications.models import Channel, Notification, NotificationStatus
from notifications.services import notify
from notifications.tests.factories import BookingFactory

REASONS = ["visibility 2.0 sm below 5 sm (student_pilot) at KPAO 17:00Z",
           "ceiling 1200 ft below 3000 ft (student_pilot) at KPAO 18:00Z"]
# As a message says them: on the airport's clock, like the flight's own time (Sat 28 Nov 09:00 PST).
SHOWN = ["visibility 2.0 sm below 5 sm (student_pilot) at KPAO 09:00 PST",
         "ceiling 1200 ft below 3000 ft (student_pilot) at KPAO 10:00 PST"]


@pytest.fixture
def booking(owner, colleague):
    return BookingFactory(student=owner, instructor=colleague)


def conflict(booking, *, key="weather_conflict:1", recipients=None, **kwargs):
    return notify(kind="weather_conflict", recipients=recipients or [booking.student, booking.instructor],
                  booking=booking, reasons=REASONS, idempotency_key=key, **kwargs)


@pytest.mark.django_db
def test_conflict_reaches_student_and_instructor_in_app_and_by_email(booking, owner, colleague,
                                                                     django_capture_on_commit_callbacks, settings):
    settings.FRONTEND_URL = "https://app.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        created = conflict(booking)

    assert {(n.recipient_id, n.channel) for n in created} == {
        (owner.pk, "in_app"), (owner.pk, "email"), (colleague.pk, "in_app"), (colleague.pk, "email")}
    assert sorted(m.to[0] for m in mail.outbox) == ["colleague@example.com", "owner@example.com"]
    email = next(m for m in mail.outbox if m.to == ["owner@example.com"])
    assert email.subject == "Weather hold: Sat 28 Nov 09:00 PST at KPAO"
    assert email.from_email == settings.SES_FROM_EMAIL
    assert email.reply_to == [settings.SES_REPLY_TO]
    for reason in SHOWN:
        assert reason in email.body
    assert "Z\n" not in email.body
    assert "Hi Olive," in email.body
    assert "your flight" in email.body
    assert f"https://app.example.com/bookings/{booking.pk}/" in email.body
    assert "https://app.example.com/profile/" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert SHOWN[0] in html and f'href="https://app.example.com/bookings/{booking.pk}/"' in html
    instructor_email = next(m for m in mail.outbox if m.to == ["colleague@example.com"])
    assert "Olive Owner's flight" in instructor_email.body
    assert Notification.objects.filter(channel=Channel.EMAIL, status=NotificationStatus.SENT).count() == 2


@pytest.mark.django_db
def test_in_app_notification_is_sent_on_creation_and_email_waits_for_the_commit(booking,
                                                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        conflict(booking)

    assert mail.outbox == []
    assert len(callbacks) == 1
    in_app = Notification.objects.get(recipient=booking.student, channel=Channel.IN_APP)
    assert in_app.status == NotificationStatus.SENT and in_app.sent_at is not None
    email = Notification.objects.get(recipient=booking.student, channel=Channel.EMAIL)
    assert email.status == NotificationStatus.PENDING and email.attempts == 0


@pytest.mark.django_db
def test_a_rolled_back_event_sends_nothing(booking, django_capture_on_commit_callbacks):
    class Abort(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Abort), transaction.atomic():
        conflict(booking)
        raise Abort

    assert Notification.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_same_idempotency_key_makes_one_message(booking, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = conflict(booking)
    with django_capture_on_commit_callbacks(execute=True):
        second = conflict(booking)

    assert len(first) == 4
    assert second == []
    assert Notification.objects.count() == 4
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_a_key_longer_than_stored_still_makes_one_message(booking, django_capture_on_commit_callbacks):
    key = "weather_conflict:" + "x" * 300
    with django_capture_on_commit_callbacks(execute=True):
        assert len(conflict(booking, key=key)) == 4
    # The second call finds the stored messages by the key's stored form and tries no insert at all.
    with CaptureQueriesContext(connection) as queries:
        assert conflict(booking, key=key) == []
    assert not [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    assert Notification.objects.count() == 4 and len(mail.outbox) == 2


@pytest.mark.django_db
def test_a_new_recipient_under_an_existing_key_still_gets_the_message(booking, staff,
                                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        conflict(booking)
        added = conflict(booking, recipients=[booking.student, booking.instructor, staff])

    assert {n.recipient_id for n in added} == {staff.pk}
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_email_off_means_in_app_only(booking, owner, django_capture_on_commit_callbacks):
    owner.email_notifications = False
    owner.save()

    with django_capture_on_commit_callbacks(execute=True):
        conflict(booking)

    assert list(Notification.objects.filter(recipient=owner).values_list("channel", flat=True)) == ["in_app"]
    assert [m.to for m in mail.outbox] == [["colleague@example.com"]]


@pytest.mark.django_db
def test_a_solo_flight_has_no_instructor_to_tell(owner, django_capture_on_commit_callbacks):
    solo = BookingFactory(student=owner, instructor=None, lesson_type="solo")

    with django_capture_on_commit_callbacks(execute=True):
        created = notify(kind="weather_cleared", recipients=[solo.student, solo.instructor], booking=solo,
                         idempotency_key=f"weather_cleared:{solo.pk}")

    assert {n.recipient_id for n in created} == {owner.pk}
    assert mail.outbox[0].subject == "Weather cleared: Sat 28 Nov 09:00 PST at KPAO is back on"


@pytest.mark.django_db
def test_bad_input_is_refused_and_nothing_is_stored(booking):
    with pytest.raises(ApplicationError) as unknown:
        notify(kind="weather_maybe", recipients=[booking.student], booking=booking, idempotency_key="k")
    with pytest.raises(ApplicationError) as keyless:
        notify(kind="weather_conflict", recipients=[booking.student], booking=booking, idempotency_key="")

    assert unknown.value.code == "unknown_notification_kind"
    assert keyless.value.code == "idempotency_key_required"
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_every_notification_state_change_is_audited(booking, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = conflict(booking, recipients=[booking.student])

    email = next(n for n in created if n.channel == Channel.EMAIL)
    actions = list(AuditEvent.objects.filter(object_type="notification", object_id=str(email.pk))
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["notification.created", "notification.sent"]


@pytest.mark.django_db
def test_options_ready_lists_the_options_in_airport_time_and_links_to_the_request(
        owner, colleague, django_capture_on_commit_callbacks, settings):
    from datetime import timedelta

    from rescheduling.tests.factories import RescheduleOptionFactory, RescheduleRequestFactory

    settings.FRONTEND_URL = "https://app.example.com"
    booking = BookingFactory(student=owner, instructor=colleague, status="weather_hold")
    request = RescheduleRequestFactory(booking=booking, expires_at=booking.start - timedelta(minutes=30))
    RescheduleOptionFactory(request=request, rank=2, start=booking.start + timedelta(days=2),
                            end=booking.start + timedelta(days=2, hours=2), rationale="Same aircraft, calmer winds.")
    RescheduleOptionFactory(request=request, rank=1, start=booking.start + timedelta(days=1),
                            end=booking.start + timedelta(days=1, hours=2), rationale="Keeps your instructor.")

    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="options_ready", recipients=[owner], booking=booking, reschedule_request=request,
               idempotency_key=f"options_ready:{request.pk}")

    body = mail.outbox[0].body
    assert body.index("1. Sun 29 Nov 09:00 PST") < body.index("2. Mon 30 Nov 09:00 PST")
    assert "Keeps your instructor." in body and "Same aircraft, calmer winds." in body
    assert "Choose before Sat 28 Nov 08:30 PST." in body
    assert f"https://app.example.com/reschedule/{request.pk}/" in body
    in_app = Notification.objects.get(recipient=owner, channel=Channel.IN_APP)
    assert in_app.link == f"https://app.example.com/reschedule/{request.pk}/"
    assert in_app.reschedule_request_id == request.pk


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["options_ready", "reschedule_reminder", "reschedule_confirmed", "weather_cleared",
                                  "request_expired", "request_declined", "no_options", "weather_unknown",
                                  "delivery_failed"])
def test_every_kind_renders_a_complete_message(kind, booking, owner):
    created = notify(kind=kind, recipients=[owner], booking=booking, reasons=["no provider answered"],
                     idempotency_key=f"{kind}:x", extra={"failed_recipient": "someone@example.com",
                                                         "failed_kind": "weather conflict", "attempts": 8})

    message = created[0]
    assert "Sat 28 Nov 09:00 PST at KPAO" in message.subject or kind == "delivery_failed"
    assert "{{" not in message.body_text and "{%" not in message.body_text
    assert message.body_text.startswith("Hi Olive,")


@pytest.mark.django_db
def test_listing_the_options_costs_the_same_queries_however_many_there_are(owner, colleague):
    from rescheduling.tests.factories import RescheduleOptionFactory, RescheduleRequestFactory

    request = RescheduleRequestFactory(booking=BookingFactory(student=owner, instructor=colleague))

    def queries_to_announce(options: int, key: str) -> tuple[int, list[str]]:
        for _ in range(options):
            day = request.options.count() + 1
            RescheduleOptionFactory(request=request, start=request.booking.start + timedelta(days=day))
        with CaptureQueriesContext(connection) as ctx:
            created = notify(kind="options_ready", recipients=[owner, colleague], booking=request.booking,
                             reschedule_request=request, idempotency_key=key)
        return len(ctx.captured_queries), [n.body_text for n in created]

    one, _ = queries_to_announce(1, "options_ready:one")
    three, bodies = queries_to_announce(2, "options_ready:three")  # three options now

    assert three == one
    assert all(body.count(request.booking.aircraft.tail_number) >= 3 for body in bodies)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_twin_that_commits_first_keeps_its_messages_and_the_late_call_adds_only_the_rest(owner, colleague):
    import threading
    import time

    booking = BookingFactory(student=owner, instructor=colleague)
    first_inserted, let_first_commit = threading.Event(), threading.Event()
    late: list = []

    def first():
        with transaction.atomic():
            conflict(booking, key="weather_conflict:twins", recipients=[owner])
            first_inserted.set()
            let_first_commit.wait(10)
        connection.close()

    def second():
        first_inserted.wait(10)
        # Sees none of the first call's rows yet (not committed): its insert waits on them, then loses.
        late.extend(conflict(booking, key="weather_conflict:twins", recipients=[owner, colleague]))
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_inserted.wait(10)
    time.sleep(0.5)
    let_first_commit.set()
    for thread in threads:
        thread.join(20)

    rows = Notification.objects.filter(idempotency_key="weather_conflict:twins")
    assert sorted(rows.values_list("recipient__email", "channel")) == [
        ("colleague@example.com", "email"), ("colleague@example.com", "in_app"),
        ("owner@example.com", "email"), ("owner@example.com", "in_app")]
    assert sorted((n.recipient_id, n.channel) for n in late) == [(colleague.pk, "email"), (colleague.pk, "in_app")]
    created = AuditEvent.objects.filter(action="notification.created", object_id__in=[str(n.pk) for n in rows])
    assert created.count() == 4
