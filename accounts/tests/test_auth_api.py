from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import TEST_PASSWORD
from audit.models import AuditEvent

LOGIN = "/api/v1/auth/login/"


@pytest.mark.django_db
class TestLogin:
    def test_success_returns_tokens_and_user_and_is_audited(self, api, owner):
        response = api.post(LOGIN, {"email": "OWNER@example.com", "password": TEST_PASSWORD})
        assert response.status_code == 200
        body = response.json()
        assert body["user"]["email"] == "owner@example.com"
        assert body["user"]["role"] == "student"
        assert body["access"] and body["refresh"]
        me = api.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {body['access']}")
        assert me.status_code == 200 and me.json()["id"] == owner.id
        assert AuditEvent.objects.filter(action="login.succeeded", actor=owner).count() == 1

    def test_wrong_password_is_401_with_error_shape(self, api, owner):
        response = api.post(LOGIN, {"email": owner.email, "password": "nope"})
        assert response.status_code == 401
        assert response.json() == {"message": "Email or password is incorrect.", "code": "invalid_credentials",
                                   "fields": {}}
        assert AuditEvent.objects.filter(action="login.failed", object_id=owner.email).count() == 1

    def test_unknown_email_is_401_like_a_wrong_password(self, api, db):
        response = api.post(LOGIN, {"email": "nobody@example.com", "password": "whatever"})
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"

    def test_missing_fields_are_400_with_field_errors(self, api, db):
        response = api.post(LOGIN, {"email": "not-an-email"})
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid"
        assert set(body["fields"]) == {"email", "password"}

    def test_inactive_user_cannot_log_in(self, api, owner):
        owner.is_active = False
        owner.save()
        assert api.post(LOGIN, {"email": owner.email, "password": TEST_PASSWORD}).status_code == 401


@pytest.mark.django_db
class TestLoginThrottling:
    def test_account_locked_after_five_failures_even_with_right_password(self, api, owner):
        for _ in range(5):
            assert api.post(LOGIN, {"email": owner.email, "password": "bad"}).status_code == 401
        response = api.post(LOGIN, {"email": owner.email, "password": TEST_PASSWORD})
        assert response.status_code == 429
        assert response.json()["code"] == "throttled"
        assert int(response["Retry-After"]) > 0

    def test_account_lock_lifts_after_the_window(self, api, owner):
        with time_machine.travel(timezone.now(), tick=False) as traveller:
            for _ in range(5):
                api.post(LOGIN, {"email": owner.email, "password": "bad"})
            assert api.post(LOGIN, {"email": owner.email, "password": TEST_PASSWORD}).status_code == 429
            traveller.shift(timedelta(minutes=16))
            assert api.post(LOGIN, {"email": owner.email, "password": TEST_PASSWORD}).status_code == 200

    def test_an_invented_forwarded_address_does_not_escape_the_address_limit(self, api, owner, settings):
        settings.LOGIN_FAILURES_PER_ADDRESS = 3
        for i in range(3):
            api.post(LOGIN, {"email": f"guess{i}@example.com", "password": "bad"}, REMOTE_ADDR="192.0.2.7",
                     HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
        blocked = api.post(LOGIN, {"email": owner.email, "password": TEST_PASSWORD}, REMOTE_ADDR="192.0.2.7",
                           HTTP_X_FORWARDED_FOR="203.0.113.99")
        assert blocked.status_code == 429

    def test_other_accounts_are_not_locked_by_one_accounts_failures(self, api, owner, stranger):
        for _ in range(5):
            api.post(LOGIN, {"email": owner.email, "password": "bad"}, REMOTE_ADDR="10.0.0.1")
        ok = api.post(LOGIN, {"email": stranger.email, "password": TEST_PASSWORD}, REMOTE_ADDR="10.0.0.2")
        assert ok.status_code == 200

    def test_one_address_spraying_many_accounts_is_throttled(self, api, owner, settings):
        settings.LOGIN_FAILURES_PER_ADDRESS = 3
        for i in range(3):
            api.post(LOGIN, {"email": f"guess{i}@example.com", "password": "bad"}, REMOTE_ADDR="192.0.2.7")
        blocked = api.post(LOGIN, {"email": owner.email, "password": TEST_PASSWORD}, REMOTE_ADDR="192.0.2.7")
        assert blocked.status_code == 429
        elsewhere = api.post(LOGIN, {"email": owner.email, "password": TEST_PASSWORD}, REMOTE_ADDR="192.0.2.8")
        assert elsewhere.status_code == 200


@pytest.mark.django_db
class TestTokens:
    def test_refresh_gives_a_new_access_token(self, api, owner):
        tokens = api.post(LOGIN, {"email": owner.email, "password": TEST_PASSWORD}).json()
        response = api.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]})
        assert response.status_code == 200
        assert api.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}").status_code == 200

    def test_bad_refresh_token_is_401(self, api, db):
        response = api.post("/api/v1/auth/refresh/", {"refresh": "garbage"})
        assert response.status_code == 401
        assert response.json()["code"] == "token_not_valid"

    def test_expired_access_token_is_refused(self, api, owner):
        tokens = api.post(LOGIN, {"email": owner.email, "password": TEST_PASSWORD}).json()
        with time_machine.travel(timezone.now() + timedelta(minutes=16)):
            response = api.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        assert response.status_code == 401

    def test_tampered_access_token_is_refused(self, api, owner):
        access = api.post(LOGIN, {"email": owner.email, "password": TEST_PASSWORD}).json()["access"]
        header, payload, signature = access.split(".")
        tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
        assert api.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {tampered}").status_code == 401

    def test_me_without_credentials_is_401(self, api, db):
        response = api.get("/api/v1/auth/me/")
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"

    def test_me_can_turn_email_off(self, api, owner):
        response = api.as_user(owner).patch("/api/v1/auth/me/", {"email_notifications": False})
        assert response.status_code == 200
        owner.refresh_from_db()
        assert owner.email_notifications is False
