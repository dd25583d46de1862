import pytest

from accounts.tests.factories import TEST_PASSWORD
from audit.models import AuditEvent

PAGES = ["/", "/dispatch/", "/bookings/new/", "/bookings/1/", "/reschedule/1/", "/notifications/", "/profile/",
         "/calendar/", "/dashboard/live/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_stranger_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/login/?next={path}")


@pytest.mark.django_db
def test_login_page_has_labelled_fields_and_a_csrf_token(client):
    response = client.get("/login/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_email">' in body and '<label for="id_password">' in body
    assert "csrfmiddlewaretoken" in body


def test_signing_in_opens_the_dashboard_and_is_audited(client, owner):
    response = client.post("/login/", {"email": "OWNER@example.com", "password": TEST_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert AuditEvent.objects.filter(action="login.succeeded", actor=owner).exists()
    assert client.get("/profile/").status_code == 200


def test_a_wrong_password_says_so_and_signs_nobody_in(client, owner):
    response = client.post("/login/", {"email": owner.email, "password": "wrong"})
    assert response.status_code == 401
    assert "Email or password is incorrect." in response.content.decode()
    assert AuditEvent.objects.filter(action="login.failed", object_id=owner.email).count() == 1
    assert client.get("/profile/").status_code == 302


def test_repeated_failures_are_throttled_like_the_api(client, owner, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 2
    for _ in range(2):
        client.post("/login/", {"email": owner.email, "password": "wrong"})
    response = client.post("/login/", {"email": owner.email, "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert client.get("/profile/").status_code == 302


def test_next_is_followed_only_on_this_site(client, owner):
    response = client.post("/login/", {"email": owner.email, "password": TEST_PASSWORD, "next": "/profile/"})
    assert response["Location"] == "/profile/"
    client.logout()
    response = client.post("/login/", {"email": owner.email, "password": TEST_PASSWORD,
                                       "next": "https://evil.example.com/"})
    assert response["Location"] == "/"


def test_sign_out_is_a_post_with_csrf(owner):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    assert browser.get("/logout/").status_code == 405
    assert browser.post("/logout/").status_code == 403  # no token: refused
    page = browser.get("/profile/")
    token = page.context["csrf_token"]
    response = browser.post("/logout/", {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert browser.get("/profile/").status_code == 302


def test_empty_login_form_shows_field_errors(client, db):
    response = client.post("/login/", {"email": "", "password": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'aria-invalid="true"' in body and "This field is required." in body


@pytest.mark.django_db
def test_a_polled_fragment_after_the_session_ends_sends_the_page_to_sign_in(client):
    response = client.get("/dashboard/live/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/")
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=/"
