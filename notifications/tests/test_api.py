"""The in-app inbox: own messages only, read, read-all, unread count."""

import pytest

from audit.models import AuditEvent
from notifications.models import Channel, Notification
from notifications.tests.factories import NotificationFactory

URL = "/api/v1/notifications/"


@pytest.fixture
def inbox(owner):
    older = NotificationFactory(recipient=owner, kind="weather_conflict", subject="Weather hold: Sat 28 Nov")
    newer = NotificationFactory(recipient=owner, kind="options_ready", subject="New times to choose from")
    return older, newer


@pytest.mark.django_db
def test_a_person_lists_only_their_own_in_app_notifications_newest_first(api, owner, stranger, inbox):
    NotificationFactory(recipient=stranger, subject="Not yours")
    NotificationFactory(recipient=owner, channel=Channel.EMAIL, idempotency_key=inbox[0].idempotency_key)

    response = api.as_user(owner).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [n["subject"] for n in body["results"]] == ["New times to choose from", "Weather hold: Sat 28 Nov"]
    assert set(body["results"][0]) == {"id", "kind", "subject", "body", "link", "booking", "reschedule_request",
                                       "read", "read_at", "event_at", "created_at"}
    assert body["results"][0]["read"] is False


@pytest.mark.django_db
def test_a_stranger_gets_404_for_someone_elses_notification_and_cannot_mark_it(api, stranger, inbox):
    target = inbox[0]

    as_stranger = api.as_user(stranger)
    assert as_stranger.get(f"{URL}{target.pk}/").status_code == 404
    response = as_stranger.post(f"{URL}{target.pk}/read/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    target.refresh_from_db()
    assert target.read_at is None


@pytest.mark.django_db
def test_staff_see_only_their_own_inbox_too(api, staff, inbox):
    assert api.as_user(staff).get(URL).json()["count"] == 0
    assert api.as_user(staff).get(f"{URL}{inbox[0].pk}/").status_code == 404


@pytest.mark.django_db
def test_reading_one_notification(api, owner, inbox):
    response = api.as_user(owner).post(f"{URL}{inbox[0].pk}/read/")

    assert response.status_code == 200
    assert response.json()["read"] is True and response.json()["read_at"]
    again = api.as_user(owner).post(f"{URL}{inbox[0].pk}/read/")
    assert again.json()["read_at"] == response.json()["read_at"]
    assert AuditEvent.objects.filter(action="notification.read", object_id=str(inbox[0].pk)).count() == 1
    assert api.as_user(owner).get(f"{URL}unread-count/").json() == {"unread_count": 1}


@pytest.mark.django_db
def test_read_all_marks_only_the_callers_notifications(api, owner, stranger, inbox):
    theirs = NotificationFactory(recipient=stranger)

    response = api.as_user(owner).post(f"{URL}read-all/")

    assert response.status_code == 200
    assert response.json() == {"marked_read": 2}
    assert api.as_user(owner).get(f"{URL}unread-count/").json() == {"unread_count": 0}
    assert api.as_user(owner).post(f"{URL}read-all/").json() == {"marked_read": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.django_db
def test_filters_unread_and_kind(api, owner, inbox):
    api.as_user(owner).post(f"{URL}{inbox[0].pk}/read/")

    unread = api.as_user(owner).get(URL, {"unread": "true"}).json()
    options = api.as_user(owner).get(URL, {"kind": "options_ready"}).json()

    assert [n["id"] for n in unread["results"]] == [inbox[1].pk]
    assert [n["id"] for n in options["results"]] == [inbox[1].pk]


@pytest.mark.django_db
def test_bad_filters_are_a_clear_400(api, owner, inbox):
    response = api.as_user(owner).get(URL, {"unread": "perhaps", "kind": "gossip"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["fields"]) == {"unread", "kind"}


@pytest.mark.django_db
def test_signed_out_is_401(api, inbox):
    assert api.get(URL).status_code == 401
    assert api.post(f"{URL}read-all/").status_code == 401


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_many_notifications(api, owner, django_assert_max_num_queries):
    NotificationFactory.create_batch(3, recipient=owner)
    client = api.as_user(owner)
    with django_assert_max_num_queries(3):
        client.get(URL)
    NotificationFactory.create_batch(40, recipient=owner)
    with django_assert_max_num_queries(3):
        response = client.get(URL, {"page_size": 50})
    assert response.json()["count"] == 43


@pytest.mark.django_db
def test_notifications_cannot_be_created_or_deleted_through_the_api(api, owner, inbox):
    assert api.as_user(owner).post(URL, {"subject": "x"}).status_code == 405
    assert api.as_user(owner).delete(f"{URL}{inbox[0].pk}/").status_code == 405
    assert Notification.objects.count() == 2
