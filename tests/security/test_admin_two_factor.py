"""The Django admin: a one-time password is required where ADMIN_REQUIRE_OTP is on (production's default),
and password guessing there is throttled like everywhere else."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.otp import totp_device_enrol
from accounts.tests.factories import TEST_PASSWORD
from accounts.tests.otp import current_code
from audit.models import AuditEvent
from config.exceptions import ApplicationError

LOGIN = "/admin/login/?next=/admin/"


@pytest.mark.django_db
class TestAdminRequiresOneTimePassword:
    def test_a_password_alone_does_not_open_the_admin(self, otp_required, staff):
        client = Client()
        totp_device_enrol(user=staff)
        response = client.post(LOGIN, {"username": staff.email, "password": TEST_PASSWORD})
        assert response.status_code == 200  # the form again, with an error
        assert client.get("/admin/").status_code == 302

    def test_a_session_from_elsewhere_without_verification_is_sent_to_log_in(self, otp_required, staff):
        client = Client()
        client.force_login(staff)
        response = client.get("/admin/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")

    def test_password_and_current_code_open_the_admin(self, otp_required, staff):
        device = totp_device_enrol(user=staff)
        client = Client()
        response = client.post(LOGIN, {"username": staff.email, "password": TEST_PASSWORD,
                                       "otp_device": device.persistent_id, "otp_token": current_code(device)})
        assert response.status_code == 302, response.content[:500]
        assert client.get("/admin/").status_code == 200
        assert AuditEvent.objects.filter(action="login.succeeded", actor=staff).exists()

    def test_a_wrong_code_is_refused(self, otp_required, staff):
        device = totp_device_enrol(user=staff)
        wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
        client = Client()
        client.post(LOGIN, {"username": staff.email, "password": TEST_PASSWORD,
                            "otp_device": device.persistent_id, "otp_token": wrong})
        assert client.get("/admin/").status_code == 302

    def test_a_code_from_another_accounts_device_is_refused(self, otp_required, staff, make_user):
        other = make_user(email="other.ops@example.com", role="admin", training_level="")
        theirs = totp_device_enrol(user=other)
        totp_device_enrol(user=staff)
        client = Client()
        client.post(LOGIN, {"username": staff.email, "password": TEST_PASSWORD,
                            "otp_device": theirs.persistent_id, "otp_token": current_code(theirs)})
        assert client.get("/admin/").status_code == 302

    def test_students_never_enter_even_with_a_device(self, otp_required, owner):
        device = TOTPDevice.objects.create(user=owner, name="phone", confirmed=True)
        client = Client()
        client.post(LOGIN, {"username": owner.email, "password": TEST_PASSWORD,
                            "otp_device": device.persistent_id, "otp_token": current_code(device)})
        assert client.get("/admin/").status_code == 302

    def test_without_the_setting_the_password_is_enough(self, settings, staff):
        settings.ADMIN_REQUIRE_OTP = False
        client = Client()
        assert client.post(LOGIN, {"username": staff.email, "password": TEST_PASSWORD}).status_code == 302
        assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
class TestAdminLoginThrottling:
    def test_guessing_the_admin_password_locks_the_account_like_the_api(self, settings, staff):
        settings.ADMIN_REQUIRE_OTP = False
        client = Client()
        for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
            client.post(LOGIN, {"username": staff.email, "password": "guess"})
        response = client.post(LOGIN, {"username": staff.email, "password": TEST_PASSWORD})
        assert response.status_code == 200
        assert b"Too many failed sign-in attempts" in response.content
        assert client.get("/admin/").status_code == 302
        api_login = Client().post("/api/v1/auth/login/", {"email": staff.email, "password": TEST_PASSWORD},
                                  content_type="application/json")
        assert api_login.status_code == 429
        assert AuditEvent.objects.filter(action="login.failed", object_id=staff.email).count() == 5


@pytest.mark.django_db
class TestEnrolment:
    def test_command_enrols_a_device_and_prints_the_link(self, staff):
        out = io.StringIO()
        call_command("enrol_totp_device", staff.email, stdout=out)
        device = TOTPDevice.objects.get(user=staff)
        assert device.confirmed
        assert device.config_url in out.getvalue()
        assert out.getvalue().count("otpauth://totp/") == 1
        assert AuditEvent.objects.filter(action="otp.device_enrolled", object_id=str(staff.pk)).count() == 1

    def test_replace_removes_the_lost_device(self, staff):
        lost = totp_device_enrol(user=staff, name="old phone")
        new = totp_device_enrol(user=staff, name="new phone", replace=True)
        assert list(TOTPDevice.objects.filter(user=staff)) == [new]
        assert not TOTPDevice.objects.filter(pk=lost.pk).exists()

    def test_only_operations_staff_can_be_enrolled(self, owner):
        with pytest.raises(ApplicationError) as raised:
            totp_device_enrol(user=owner)
        assert raised.value.code == "not_admin"
        assert not TOTPDevice.objects.filter(user=owner).exists()

    def test_unknown_account_is_a_clear_error(self, db):
        from django.core.management.base import CommandError

        with pytest.raises(CommandError, match="No account"):
            call_command("enrol_totp_device", "nobody@example.com", stdout=io.StringIO())

    def test_a_code_is_good_for_one_login_only(self, otp_required, staff):
        device = totp_device_enrol(user=staff)
        code = current_code(device)
        first = Client()
        first.post(LOGIN, {"username": staff.email, "password": TEST_PASSWORD,
                           "otp_device": device.persistent_id, "otp_token": code})
        assert first.get("/admin/").status_code == 200
        second = Client()
        second.post(LOGIN, {"username": staff.email, "password": TEST_PASSWORD,
                            "otp_device": device.persistent_id, "otp_token": code})
        assert second.get("/admin/").status_code == 302, "a replayed code opened a second session"
