"""Operations staff sign in to the API with a one-time code where ADMIN_REQUIRE_OTP is on (production's
default), as they do for the admin; students and instructors keep signing in with email and password."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.otp import totp_device_enrol
from accounts.tests.factories import TEST_PASSWORD
from accounts.tests.otp import current_code, wrong_code
from audit.models import AuditEvent

LOGIN = "/api/v1/auth/login/"


@pytest.mark.django_db
class TestStaffSignInWithOneTimeCode:
    def test_students_and_instructors_need_no_code(self, otp_required, api, owner, colleague):
        for person in (owner, colleague):
            response = api.post(LOGIN, {"email": person.email, "password": TEST_PASSWORD})
            assert response.status_code == 200, response.json()
            assert response.json()["access"]

    def test_a_password_alone_is_refused_with_otp_required(self, otp_required, api, staff):
        totp_device_enrol(user=staff)
        response = api.post(LOGIN, {"email": staff.email, "password": TEST_PASSWORD})
        assert response.status_code == 401
        body = response.json()
        assert body["code"] == "otp_required"
        assert "otp_token" in body["message"] and set(body["fields"]) == {"otp_token"}
        assert "access" not in body and "refresh" not in body
        staff.refresh_from_db()
        assert staff.last_login is None
        # Asking for the code is the next step of a sign-in, not a guess.
        assert AuditEvent.objects.filter(action="login.otp_required", object_id=str(staff.pk)).count() == 1
        assert not AuditEvent.objects.filter(action="login.failed").exists()

    def test_password_and_current_code_give_tokens(self, otp_required, api, staff):
        device = totp_device_enrol(user=staff)
        response = api.post(LOGIN, {"email": staff.email, "password": TEST_PASSWORD,
                                    "otp_token": current_code(device)})
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["user"]["email"] == staff.email and body["user"]["is_admin"] is True
        me = api.get("/api/v1/users/", HTTP_AUTHORIZATION=f"Bearer {body['access']}")
        assert me.status_code == 200
        assert AuditEvent.objects.filter(action="login.succeeded", actor=staff).count() == 1

    def test_a_wrong_code_is_refused_and_counted_as_a_failure(self, otp_required, api, staff):
        device = totp_device_enrol(user=staff)
        response = api.post(LOGIN, {"email": staff.email, "password": TEST_PASSWORD,
                                    "otp_token": wrong_code(device)})
        assert response.status_code == 401
        assert response.json()["code"] == "otp_invalid"
        failed = AuditEvent.objects.get(action="login.failed", object_id=staff.email)
        assert failed.after == {"reason": "otp_invalid"}
        assert not AuditEvent.objects.filter(action="login.succeeded").exists()

    def test_a_code_opens_one_sign_in_only(self, otp_required, api, staff):
        device = totp_device_enrol(user=staff)
        code = current_code(device)
        first = api.post(LOGIN, {"email": staff.email, "password": TEST_PASSWORD, "otp_token": code})
        assert first.status_code == 200
        replay = api.post(LOGIN, {"email": staff.email, "password": TEST_PASSWORD, "otp_token": code})
        assert replay.status_code == 401 and replay.json()["code"] == "otp_invalid"

    def test_a_code_from_another_accounts_device_is_refused(self, otp_required, api, staff, make_user):
        other = make_user(email="other.ops@example.com", role="admin", training_level="")
        theirs = totp_device_enrol(user=other)
        totp_device_enrol(user=staff)
        response = api.post(LOGIN, {"email": staff.email, "password": TEST_PASSWORD,
                                    "otp_token": current_code(theirs)})
        assert response.status_code == 401 and response.json()["code"] == "otp_invalid"

    def test_staff_without_an_authenticator_are_told_how_to_get_one(self, otp_required, api, staff):
        response = api.post(LOGIN, {"email": staff.email, "password": TEST_PASSWORD, "otp_token": "123456"})
        assert response.status_code == 401
        body = response.json()
        assert body["code"] == "otp_not_enrolled" and "enrol_totp_device" in body["message"]

    def test_an_unconfirmed_device_does_not_count(self, otp_required, api, staff):
        device = TOTPDevice.objects.create(user=staff, name="half set up", confirmed=False)
        response = api.post(LOGIN, {"email": staff.email, "password": TEST_PASSWORD,
                                    "otp_token": current_code(device)})
        assert response.status_code == 401 and response.json()["code"] == "otp_not_enrolled"

    def test_a_superuser_counts_as_staff(self, otp_required, api, make_user):
        root = make_user(email="root@example.com", role="instructor", training_level="", is_superuser=True)
        assert api.post(LOGIN, {"email": root.email, "password": TEST_PASSWORD}).json()["code"] == "otp_required"
        device = totp_device_enrol(user=root)
        response = api.post(LOGIN, {"email": root.email, "password": TEST_PASSWORD,
                                    "otp_token": current_code(device)})
        assert response.status_code == 200

    def test_a_wrong_password_is_still_a_wrong_password(self, otp_required, api, staff):
        device = totp_device_enrol(user=staff)
        response = api.post(LOGIN, {"email": staff.email, "password": "nope", "otp_token": current_code(device)})
        assert response.status_code == 401 and response.json()["code"] == "invalid_credentials"

    def test_without_the_setting_the_password_is_enough(self, settings, api, staff):
        settings.ADMIN_REQUIRE_OTP = False
        totp_device_enrol(user=staff)
        assert api.post(LOGIN, {"email": staff.email, "password": TEST_PASSWORD}).status_code == 200


@pytest.mark.django_db
class TestGuessingCodesIsThrottled:
    def test_five_wrong_codes_lock_the_account_even_for_the_right_code(self, otp_required, api, staff, settings):
        device = totp_device_enrol(user=staff)
        for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
            response = api.post(LOGIN, {"email": staff.email, "password": TEST_PASSWORD,
                                        "otp_token": wrong_code(device)})
            assert response.status_code == 401
        locked = api.post(LOGIN, {"email": staff.email, "password": TEST_PASSWORD,
                                  "otp_token": current_code(device)})
        assert locked.status_code == 429 and locked.json()["code"] == "throttled"
        assert int(locked["Retry-After"]) > 0

    def test_asking_for_the_code_does_not_lock_the_account(self, otp_required, api, staff, settings):
        device = totp_device_enrol(user=staff)
        for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT + 1):
            assert api.post(LOGIN, {"email": staff.email, "password": TEST_PASSWORD}).status_code == 401
        response = api.post(LOGIN, {"email": staff.email, "password": TEST_PASSWORD,
                                    "otp_token": current_code(device)})
        assert response.status_code == 200


@pytest.mark.django_db
class TestStaffSessionsOnTheApi:
    """A staff session from the web pages' password-only sign-in does not open the API where codes are
    required; one confirmed with a code at the admin's sign-in does."""

    def test_a_password_only_staff_session_is_refused(self, otp_required, staff):
        from django.test import Client

        client = Client()
        client.force_login(staff)
        response = client.get("/api/v1/users/")
        assert response.status_code == 401
        assert response.json()["code"] == "otp_required"

    def test_a_session_confirmed_with_a_code_at_the_admin_opens_the_api(self, otp_required, staff):
        from django.test import Client

        device = totp_device_enrol(user=staff)
        client = Client()
        signed_in = client.post("/admin/login/?next=/admin/", {
            "username": staff.email, "password": TEST_PASSWORD, "otp_device": device.persistent_id,
            "otp_token": current_code(device)})
        assert signed_in.status_code == 302
        assert client.get("/api/v1/users/").status_code == 200

    def test_students_sessions_are_untouched(self, otp_required, owner):
        from django.test import Client

        client = Client()
        client.force_login(owner)
        assert client.get("/api/v1/auth/me/").status_code == 200

    def test_without_the_setting_a_staff_session_is_enough(self, settings, staff):
        from django.test import Client

        settings.ADMIN_REQUIRE_OTP = False
        client = Client()
        client.force_login(staff)
        assert client.get("/api/v1/users/").status_code == 200
