import pytest

from accounts.models import User
from audit.models import AuditEvent

USERS = "/api/v1/users/"


def new_student(**overrides):
    body = {"email": "new.student@example.com", "password": "a-long-unusual-passphrase", "first_name": "New",
            "last_name": "Student", "role": "student", "training_level": "student_pilot", "phone": "+15555550100"}
    body.update(overrides)
    return body


@pytest.mark.django_db
class TestUsersApi:
    def test_admin_creates_a_student_who_can_then_log_in(self, api, staff):
        response = api.as_user(staff).post(USERS, new_student())
        assert response.status_code == 201, response.json()
        assert response.json()["training_level"] == "student_pilot"
        assert "password" not in response.json()
        created = User.objects.get(email="new.student@example.com")
        assert AuditEvent.objects.filter(action="user.created", object_id=str(created.pk), actor=staff).exists()
        login = api.post("/api/v1/auth/login/", {"email": created.email, "password": "a-long-unusual-passphrase"})
        assert login.status_code == 200

    @pytest.mark.parametrize("who", ["owner", "colleague"])
    def test_students_and_instructors_cannot_create_or_list_users(self, api, request, who):
        user = request.getfixturevalue(who)
        client = api.as_user(user)
        assert client.post(USERS, new_student()).status_code == 403
        assert client.get(USERS).status_code == 403
        assert not User.objects.filter(email="new.student@example.com").exists()

    def test_nobody_signs_up_alone(self, api, db):
        assert api.post(USERS, new_student()).status_code == 401
        assert not User.objects.filter(email="new.student@example.com").exists()

    def test_weak_password_is_refused_with_field_errors(self, api, staff):
        response = api.as_user(staff).post(USERS, new_student(password="12345678"))
        assert response.status_code == 400
        assert response.json()["fields"]["password"]
        assert not User.objects.filter(email="new.student@example.com").exists()

    def test_student_needs_a_training_level_and_instructor_has_none(self, api, staff):
        client = api.as_user(staff)
        missing = client.post(USERS, new_student(training_level=""))
        assert missing.status_code == 400 and "training_level" in missing.json()["fields"]
        instructor = client.post(USERS, new_student(email="cfi@example.com", role="instructor"))
        assert instructor.status_code == 400 and "training_level" in instructor.json()["fields"]

    def test_duplicate_email_and_bad_role_are_400(self, api, staff, owner):
        client = api.as_user(staff)
        assert "email" in client.post(USERS, new_student(email="OWNER@example.com")).json()["fields"]
        assert "role" in client.post(USERS, new_student(role="pilot")).json()["fields"]

    def test_list_is_paginated_and_filters_by_role(self, api, staff, owner, colleague, stranger):
        body = api.as_user(staff).get(USERS, {"role": "student"}).json()
        assert set(body) == {"count", "next", "previous", "results"}
        assert {u["email"] for u in body["results"]} == {owner.email, stranger.email}

    def test_superuser_counts_as_admin(self, api, make_user):
        root = make_user(email="root@example.com", role="instructor", training_level="", is_superuser=True)
        assert api.as_user(root).get(USERS).status_code == 200

    def test_admin_updates_a_training_level(self, api, staff, owner):
        response = api.as_user(staff).patch(f"{USERS}{owner.pk}/", {"training_level": "instrument_rated"})
        assert response.status_code == 200
        owner.refresh_from_db()
        assert owner.training_level == "instrument_rated"
        event = AuditEvent.objects.get(action="user.updated", object_id=str(owner.pk))
        assert event.before["training_level"] == "private_pilot"
        assert event.after["training_level"] == "instrument_rated"
