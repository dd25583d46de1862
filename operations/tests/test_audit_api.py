"""`/api/v1/audit-events/`: operations staff read the trail with filters; nobody else sees it, nobody edits it."""

import pytest

from audit.models import AuditEvent
from audit.services import audit_record
from config.request_context import job_context

URL = "/api/v1/audit-events/"


@pytest.fixture
def trail(owner, colleague):
    audit_record(action="booking.created", object_type="booking", object_id=7, actor=owner,
                 after={"status": "scheduled"})
    audit_record(action="booking.weather_hold", object_type="booking", object_id=7,
                 before={"status": "scheduled"}, after={"status": "weather_hold"})
    audit_record(action="booking.created", object_type="booking", object_id=8, actor=colleague)
    with job_context("weather.run_monitor"):
        audit_record(action="notification.created", object_type="notification", object_id=3)
    return AuditEvent.objects.order_by("id")


@pytest.mark.django_db
def test_staff_list_the_trail_newest_first(api, staff, trail):
    response = api.as_user(staff).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    assert [e["action"] for e in body["results"]] == [
        "notification.created", "booking.created", "booking.weather_hold", "booking.created"]
    hold = body["results"][2]
    assert hold["before"] == {"status": "scheduled"} and hold["after"] == {"status": "weather_hold"}
    assert hold["actor"] is None and hold["actor_email"] is None
    assert body["results"][0]["request_id"].startswith("weather.run_monitor-")


@pytest.mark.django_db
@pytest.mark.parametrize(("params", "expected"), [
    ({"action": "booking.created"}, 2),
    ({"object_type": "booking", "object_id": "7"}, 2),
    ({"object_type": "notification"}, 1),
    ({"object_id": "8"}, 1),
])
def test_filters(api, staff, trail, params, expected):
    assert api.as_user(staff).get(URL, params).json()["count"] == expected


@pytest.mark.django_db
def test_filter_by_actor(api, staff, owner, trail):
    results = api.as_user(staff).get(URL, {"actor": owner.pk}).json()["results"]

    assert [(e["action"], e["actor_email"]) for e in results] == [("booking.created", "owner@example.com")]


@pytest.mark.django_db
def test_a_bad_filter_is_a_clear_400(api, staff, trail):
    response = api.as_user(staff).get(URL, {"actor": "someone", "since": "yesterday"})

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"actor", "since"}


@pytest.mark.django_db
def test_students_and_instructors_are_refused(api, owner, colleague, trail):
    assert api.as_user(owner).get(URL).status_code == 403
    assert api.as_user(colleague).get(f"{URL}{trail[0].pk}/").status_code == 403
    api.credentials()
    assert api.get(URL).status_code == 401


@pytest.mark.django_db
def test_the_trail_is_read_only_through_the_api(api, staff, trail):
    client = api.as_user(staff)
    event = trail[0]

    assert client.get(f"{URL}{event.pk}/").json()["action"] == "booking.created"
    assert client.post(URL, {"action": "x"}).status_code == 405
    assert client.patch(f"{URL}{event.pk}/", {"action": "x"}).status_code == 405
    assert client.delete(f"{URL}{event.pk}/").status_code == 405
    assert client.get(f"{URL}999999/").status_code == 404
    assert AuditEvent.objects.count() == 4


@pytest.mark.django_db
def test_the_list_query_count_stays_flat(api, staff, owner, django_assert_max_num_queries):
    for i in range(30):
        audit_record(action="booking.created", object_type="booking", object_id=i, actor=owner)
    client = api.as_user(staff)
    with django_assert_max_num_queries(3):
        response = client.get(URL, {"page_size": 100})
    assert response.json()["count"] == 30
