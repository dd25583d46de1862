import pytest

from notifications.models import Notification
from notifications.tests.factories import NotificationFactory


def test_notifications_page_lists_only_the_readers_own(client, owner, stranger, db):
    NotificationFactory(recipient=owner, channel="in_app", subject="Weather hold: Tue 03 Mar 09:00 PST at KPAO",
                        link="http://127.0.0.1:8000/reschedule/7/")
    NotificationFactory(recipient=stranger, channel="in_app", subject="Stranger's secret")
    client.force_login(owner)
    body = client.get("/notifications/").content.decode()
    assert "Weather hold: Tue 03 Mar 09:00 PST at KPAO" in body and "Stranger" not in body
    assert '<span class="count" aria-label="1 unread">1</span>' in body


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, owner, db):
    note = NotificationFactory(recipient=owner, channel="in_app", link="http://127.0.0.1:8000/reschedule/7/")
    client.force_login(owner)
    response = client.post(f"/notifications/{note.id}/read/", {"follow": "1"})
    assert response.status_code == 302 and response["Location"] == "/reschedule/7/"
    assert Notification.objects.get(pk=note.pk).read_at is not None


def test_someone_elses_notification_is_404(client, owner, stranger, db):
    note = NotificationFactory(recipient=stranger, channel="in_app")
    client.force_login(owner)
    assert client.post(f"/notifications/{note.id}/read/").status_code == 404
    assert Notification.objects.get(pk=note.pk).read_at is None


def test_mark_all_read(client, owner, db):
    for _ in range(3):
        NotificationFactory(recipient=owner, channel="in_app")
    client.force_login(owner)
    response = client.post("/notifications/read-all/", follow=True)
    assert "Marked 3 notifications as read." in response.content.decode()
    assert not Notification.objects.filter(recipient=owner, read_at__isnull=True).exists()


@pytest.mark.django_db
def test_empty_notifications_say_so(client, owner):
    client.force_login(owner)
    assert "No notifications yet." in client.get("/notifications/").content.decode()


def test_profile_turns_email_off_and_shows_the_feed_link(client, owner):
    client.force_login(owner)
    body = client.get("/profile/").content.decode()
    assert f"/calendar/{owner.calendar_token}.ics" in body
    response = client.post("/profile/", {}, follow=True)
    assert "Email notifications are off." in response.content.decode()
    owner.refresh_from_db()
    assert owner.email_notifications is False
    client.post("/profile/", {"email_notifications": "on"})
    owner.refresh_from_db()
    assert owner.email_notifications is True


def test_calendar_shows_the_week_and_when_the_instructor_is_free(client, owner, colleague, school):
    client.force_login(owner)
    body = client.get("/calendar/", {"week": "2026-03-03", "instructor": colleague.id}).content.decode()
    assert "Week of 2 Mar 2026" in body
    assert f"/bookings/{school.flight.id}/" in body and f"/bookings/{school.strangers_flight.id}/" not in body
    assert "Carl free:" in body
    assert "00:00–17:00 UTC" in body and "19:00–" in body  # busy 17:00-19:00 UTC with the owner
    assert "All day" in body  # the other days


def test_instructor_calendar_shows_their_own_free_time(client, colleague, school):
    client.force_login(colleague)
    body = client.get("/calendar/", {"week": "2026-03-02"}).content.decode()
    assert "Carl free:" in body and f"/bookings/{school.flight.id}/" in body
