"""Holes an outside attack found in sign-in: look-alike emails, tokens outliving a password, a feed link forever."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps as django_apps
from django.test import Client

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD, AdminFactory, StudentFactory
from audit.models import AuditEvent

LOGIN, REFRESH, LOGOUT, ME = "/api/v1/auth/login/", "/api/v1/auth/refresh/", "/api/v1/auth/logout/", "/api/v1/auth/me/"
FEED = "/api/v1/auth/me/calendar/"
T0 = datetime(2027, 2, 3, 15, 0, tzinfo=UTC)
AVA = "student.ava@flightschedule.pro"


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ava(db):
    return StudentFactory(email=AVA, first_name="Ava")


def login(api, email, password=TEST_PASSWORD):
    return api.post(LOGIN, {"email": email, "password": password})


def bearer(access):
    return {"HTTP_AUTHORIZATION": f"Bearer {access}"}


@pytest.mark.django_db
class TestLookAlikeEmails:
    @pytest.mark.parametrize("look_alike", ["ſtudent.ava@flightschedule.pro", "STUDENT.AVA@FLIGHTSCHEDULE.PRO",
                                            "ſtudent.ava@flıghtschedule.pro", "student.ava@flıghtschedule.pro"])
    def test_five_failures_lock_the_account_however_the_address_is_written(self, api, ava, clock, look_alike):
        for _ in range(5):
            assert login(api, AVA, "wrong-password").status_code == 401
        response = login(api, look_alike)
        assert response.status_code in (401, 429)
        assert "access" not in response.json()
        if look_alike.casefold().replace("ſ", "s") == AVA:
            assert response.status_code == 429 and response["Retry-After"]

    def test_failures_under_look_alikes_count_against_the_one_account(self, api, ava, clock):
        for typed in ["ſtudent.ava@flightschedule.pro", "Student.Ava@flightschedule.pro",
                      "ſtudent.ava@FLIGHTSCHEDULE.pro", "student.ava@flightſchedule.pro", AVA]:
            assert login(api, typed, "wrong-password").status_code == 401
        assert login(api, AVA).status_code == 429
        assert AuditEvent.objects.filter(action="login.failed", object_id=AVA).count() == 5

    def test_a_dotless_i_is_another_address_not_a_way_into_ava(self, api, ava, clock):
        response = login(api, "student.ava@flıghtschedule.pro")
        assert response.status_code == 401 and response.json()["code"] == "invalid_credentials"

    def test_a_long_s_is_the_same_address_in_normal_form(self, api, ava, clock):
        response = login(api, "ſtudent.ava@flightschedule.pro")
        assert response.status_code == 200 and response.json()["user"]["id"] == ava.pk

    def test_staff_cannot_create_a_second_account_for_the_same_address(self, api, ava, clock):
        staff = AdminFactory(email="ops@flightschedule.pro")
        for twin in ["ſtudent.ava@flightschedule.pro", "Student.Ava@FlightSchedule.pro",
                     "ＳＴＵＤＥＮＴ.ava@flightschedule.pro"]:
            response = api.as_user(staff).post("/api/v1/users/", {
                "email": twin, "password": "A-long-enough-passphrase-77", "role": "student",
                "training_level": "student_pilot"})
            assert response.status_code == 400 and "email" in response.json()["fields"], twin
        created = api.as_user(staff).post("/api/v1/users/", {
            "email": "  New.Student@FlightSchedule.PRO ", "password": "A-long-enough-passphrase-77",
            "role": "student", "training_level": "student_pilot"})
        assert created.status_code == 201 and created.json()["email"] == "new.student@flightschedule.pro"

    def test_the_data_migration_brings_stored_addresses_to_the_normal_form(self, db):
        from importlib import import_module

        migration = import_module("accounts.migrations.0003_normalize_emails")
        first = StudentFactory(email="first@example.com")
        clash = StudentFactory(email="clash@example.com")
        User.objects.filter(pk=first.pk).update(email="ſ.First@EXAMPLE.com")
        User.objects.filter(pk=clash.pk).update(email="S.first@example.com")
        migration.normalize_emails(django_apps, None)
        migration.normalize_emails(django_apps, None)  # run twice: nothing more changes
        assert User.objects.get(pk=first.pk).email == "s.first@example.com"
        assert User.objects.get(pk=clash.pk).email == "S.first@example.com"  # never renamed onto another account


@pytest.mark.django_db
class TestTokensEndWithAccess:
    def test_a_password_set_by_staff_ends_the_old_access_and_refresh_tokens(self, api, ava, clock):
        staff = AdminFactory(email="ops@flightschedule.pro")
        tokens = login(api, AVA).json()
        assert api.get(ME, **bearer(tokens["access"])).status_code == 200
        changed = api.as_user(staff).patch(f"/api/v1/users/{ava.pk}/", {"password": "A-brand-new-passphrase-42"})
        assert changed.status_code == 200
        api.credentials()
        old_access = api.get(ME, **bearer(tokens["access"]))
        assert old_access.status_code == 401 and set(old_access.json()) >= {"message", "code", "fields"}
        old_refresh = api.post(REFRESH, {"refresh": tokens["refresh"]})
        assert old_refresh.status_code == 401 and "access" not in old_refresh.json()
        fresh = login(api, AVA, "A-brand-new-passphrase-42").json()
        assert api.get(ME, **bearer(fresh["access"])).status_code == 200

    def test_a_signed_token_naming_nobody_is_a_401_not_a_server_error(self, api, ava, clock):
        from rest_framework_simplejwt.settings import api_settings
        from rest_framework_simplejwt.tokens import AccessToken

        claim = api_settings.USER_ID_CLAIM
        missing, not_a_number, gone = AccessToken.for_user(ava), AccessToken.for_user(ava), AccessToken.for_user(ava)
        del missing[claim]
        not_a_number[claim] = "ava"
        gone[claim] = str(10**6)
        for token, code in ((missing, "token_not_valid"), (not_a_number, "user_not_found"), (gone, "user_not_found")):
            answer = api.get(ME, **bearer(str(token)))
            assert answer.status_code == 401 and answer.json()["code"] == code, answer.json()
        assert api.get(ME, **bearer(str(AccessToken.for_user(ava)))).status_code == 200

    def test_deactivation_ends_every_token(self, api, ava, clock):
        staff = AdminFactory(email="ops@flightschedule.pro")
        tokens = login(api, AVA).json()
        assert api.as_user(staff).patch(f"/api/v1/users/{ava.pk}/", {"is_active": False}).status_code == 200
        api.credentials()
        assert api.get(ME, **bearer(tokens["access"])).status_code == 401
        assert api.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401

    def test_logout_revokes_that_refresh_token_only(self, api, ava, clock):
        phone, laptop = login(api, AVA).json(), login(api, AVA).json()
        assert api.post(LOGOUT, {"refresh": phone["refresh"]}).status_code == 204
        refused = api.post(REFRESH, {"refresh": phone["refresh"]})
        assert refused.status_code == 401 and refused.json()["code"] == "token_not_valid"
        assert api.post(LOGOUT, {"refresh": phone["refresh"]}).status_code == 401  # already revoked
        assert api.post(REFRESH, {"refresh": laptop["refresh"]}).status_code == 200

    def test_sign_out_everywhere_ends_access_tokens_too_and_a_new_login_works(self, api, ava, clock):
        phone, laptop = login(api, AVA).json(), login(api, AVA).json()
        clock.shift(timedelta(minutes=3))
        assert api.post(LOGOUT, {"refresh": phone["refresh"], "everywhere": True}).status_code == 204
        for tokens in (phone, laptop):
            assert api.get(ME, **bearer(tokens["access"])).status_code == 401
            assert api.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401
        clock.shift(timedelta(seconds=2))
        fresh = login(api, AVA).json()
        assert api.get(ME, **bearer(fresh["access"])).status_code == 200
        assert api.post(REFRESH, {"refresh": fresh["refresh"]}).status_code == 200

    def test_sign_out_everywhere_from_the_profile_page_ends_sessions_and_tokens(self, api, ava, clock):
        tokens = login(api, AVA).json()
        other_browser, this_browser = Client(), Client()
        other_browser.force_login(ava)
        this_browser.force_login(ava)
        clock.shift(timedelta(minutes=1))
        assert this_browser.post("/profile/sign-out-everywhere/").status_code == 302
        assert other_browser.get("/profile/").status_code == 302  # sent to sign in
        assert this_browser.get("/profile/").status_code == 302
        assert api.get(ME, **bearer(tokens["access"])).status_code == 401

    def test_a_bad_logout_changes_nothing(self, api, ava, clock):
        tokens = login(api, AVA).json()
        assert api.post(LOGOUT, {"refresh": "not-a-token"}).status_code == 401
        assert api.post(LOGOUT, {}).status_code == 400
        assert api.post(LOGOUT, {"refresh": tokens["access"]}).status_code == 401  # an access token is not one
        assert api.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 200


@pytest.mark.django_db
class TestCalendarFeedRotation:
    def test_a_user_rotates_their_own_feed_and_the_old_link_is_404_at_once(self, api, client, ava, clock):
        old = f"/calendar/{ava.calendar_token}.ics"
        assert client.get(old).status_code == 200
        response = api.as_user(ava).post(FEED)
        assert response.status_code == 200
        new = response.json()["calendar_url"]
        assert client.get(old).status_code == 404
        assert client.get(new.replace("http://testserver", "")).status_code == 200
        assert api.as_user(ava).get(FEED).json()["calendar_url"] == new
        assert AuditEvent.objects.filter(action="user.calendar_token_rotated", object_id=str(ava.pk)).count() == 1

    def test_the_profile_page_rotates_it(self, client, ava, clock):
        old = f"/calendar/{ava.calendar_token}.ics"
        client.force_login(ava)
        assert client.post("/profile/calendar/rotate/").status_code == 302
        ava.refresh_from_db()
        assert client.get(old).status_code == 404
        page = client.get("/profile/").content.decode()
        assert f"/calendar/{ava.calendar_token}.ics" in page

    def test_staff_rotate_anyones_feed_from_the_admin(self, client, ava, clock):
        staff = AdminFactory(email="ops@flightschedule.pro")
        old = f"/calendar/{ava.calendar_token}.ics"
        client.force_login(staff)
        response = client.post("/admin/accounts/user/", {"action": "rotate_calendar_feed",
                                                          "_selected_action": [ava.pk]})
        assert response.status_code == 302
        assert client.get(old).status_code == 404

    def test_a_password_change_rotates_it_by_the_api_and_by_the_admin(self, api, client, ava, clock):
        staff = AdminFactory(email="ops@flightschedule.pro")
        old = f"/calendar/{ava.calendar_token}.ics"
        api.as_user(staff).patch(f"/api/v1/users/{ava.pk}/", {"password": "A-brand-new-passphrase-42"})
        assert client.get(old).status_code == 404
        ava.refresh_from_db()
        second = f"/calendar/{ava.calendar_token}.ics"
        tokens = login(api, AVA, "A-brand-new-passphrase-42").json()
        api.credentials()
        assert api.get(ME, **bearer(tokens["access"])).status_code == 200
        client.force_login(staff)
        changed = client.post(f"/admin/accounts/user/{ava.pk}/password/",
                              {"password1": "Yet-another-passphrase-17", "password2": "Yet-another-passphrase-17"})
        assert changed.status_code == 302
        assert client.get(second).status_code == 404
        api.credentials()  # the staff token set above would otherwise win over the header given here
        assert api.get(ME, **bearer(tokens["access"])).status_code == 401

    def test_a_stranger_cannot_rotate_without_signing_in(self, api, ava, clock):
        assert api.post(FEED).status_code == 401
