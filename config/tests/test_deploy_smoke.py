"""`make smoke URL=...` run against a live local server with a small school created here."""

import importlib.util
import subprocess
import sys

import pytest

from accounts.tests.factories import TEST_PASSWORD, AdminFactory, InstructorFactory, StudentFactory
from availability.smoke import smoke_accounts_ensure
from availability.tests.factories import available_every_day
from bookings.models import Booking
from bookings.tests.factories import AircraftFactory
from config.tests.deploy_support import ROOT, child_env

_spec = importlib.util.spec_from_file_location("smoke_script", ROOT / "scripts" / "smoke.py")
smoke_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(smoke_script)


def smoke(url: str, *args, email=None, password=TEST_PASSWORD):
    env = child_env(SMOKE_EMAIL=email or "", SMOKE_PASSWORD=password or "")
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "smoke.py"), "--url", url, *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


@pytest.fixture
def school(db):
    """Operations staff, real people, the smoke-test accounts and an aircraft that are free every day."""
    staff = AdminFactory(email="smoke@example.com")
    real_student = StudentFactory(email="student.smoke@example.com")
    real_instructor = InstructorFactory(email="cfi.smoke@example.com")
    available_every_day(instructor=real_instructor)
    accounts = smoke_accounts_ensure()
    aircraft = AircraftFactory(tail_number="N172SM")
    available_every_day(aircraft=aircraft)
    return {"staff": staff, "student": accounts["student"], "instructor": accounts["instructor"],
            "aircraft": aircraft, "real_student": real_student, "real_instructor": real_instructor}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_smoke_passes_against_a_running_server_and_leaves_nothing_behind(live_server, school):
    result = smoke(live_server.url, email="smoke@example.com")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("health", "login", "free slot from /api/v1/availability/slots/", "create booking",
                 "reschedule request", "read reschedule request", "cancel booking"):
        assert f"[ ok ] {name}" in result.stdout
    assert result.stdout.strip().endswith("Smoke test passed.")

    booking = Booking.objects.get(student=school["student"])
    assert (booking.status, booking.aircraft, booking.instructor) == ("cancelled", school["aircraft"],
                                                                       school["instructor"])
    assert booking.notes.startswith("smoke test")
    from rescheduling.models import RescheduleRequest

    assert list(RescheduleRequest.objects.filter(booking=booking).values_list("status", flat=True)) == ["declined"]
    # Nobody real was booked, and the smoke accounts get no email.
    assert not Booking.objects.filter(student=school["real_student"]).exists()
    assert not Booking.objects.filter(instructor=school["real_instructor"]).exists()
    from notifications.models import Notification
    smoke_people = [school["student"], school["instructor"]]
    assert not Notification.objects.filter(channel="email", recipient__in=smoke_people).exists()


@pytest.mark.django_db(transaction=True)
def test_smoke_refuses_to_book_for_real_people_when_its_accounts_are_missing(live_server):
    AdminFactory(email="smoke@example.com")
    student = StudentFactory()
    instructor = InstructorFactory()
    available_every_day(instructor=instructor)
    available_every_day(aircraft=AircraftFactory())
    result = smoke(live_server.url, email="smoke@example.com")
    assert result.returncode == 1
    assert "create_smoke_accounts" in result.stdout
    assert not Booking.objects.filter(student=student).exists()


@pytest.mark.django_db
def test_the_smoke_accounts_are_made_once_with_email_off_and_match_the_script():
    first = smoke_accounts_ensure()
    again = smoke_accounts_ensure()
    assert (first["created"], first["windows"]) == (2, 7) and (again["created"], again["windows"]) == (0, 0)
    assert not first["student"].email_notifications and not first["instructor"].email_notifications
    assert (first["student"].email, first["instructor"].email) == (smoke_script.SMOKE_STUDENT,
                                                                    smoke_script.SMOKE_INSTRUCTOR)


@pytest.mark.django_db(transaction=True)
def test_smoke_fails_loudly_on_bad_credentials(live_server, school):
    result = smoke(live_server.url, email="smoke@example.com", password="not-the-password")
    assert result.returncode == 1
    assert "[ ok ] health" in result.stdout
    assert "[FAIL] login: POST /api/v1/auth/login/: HTTP 401" in result.stdout
    assert "SMOKE TEST FAILED" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_smoke_refuses_a_student_account(live_server, school):
    result = smoke(live_server.url, email="student.smoke@example.com")
    assert result.returncode == 1
    assert "[FAIL] who am I" in result.stdout and "needs operations staff" in result.stdout
    assert not Booking.objects.exists()


def test_smoke_fails_when_nothing_answers():
    result = smoke("http://127.0.0.1:9", email="smoke@example.com")
    assert result.returncode == 1
    assert "[FAIL] health: GET /health: no answer" in result.stdout


def test_smoke_needs_credentials():
    result = smoke("http://127.0.0.1:9")
    assert result.returncode == 2
    assert "SMOKE_EMAIL and SMOKE_PASSWORD" in result.stderr


def _device_secret(device) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(device.config_url).query)["secret"][0]


@pytest.mark.django_db
def test_the_smoke_computes_the_code_an_authenticator_shows(staff):
    from accounts.otp import totp_device_enrol
    from accounts.tests.test_staff_otp_login import current_code

    device = totp_device_enrol(user=staff)
    assert smoke_script.totp_code(_device_secret(device)) == current_code(device)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_where_staff_need_a_code_the_smoke_signs_in_with_the_devices_secret(live_server, school, settings):
    from accounts.otp import totp_device_enrol

    settings.ADMIN_REQUIRE_OTP = True
    secret = _device_secret(totp_device_enrol(user=school["staff"]))
    refused = smoke(live_server.url, email="smoke@example.com")
    assert refused.returncode == 1 and "otp_required" in refused.stdout
    result = smoke(live_server.url, "--otp-secret", secret, email="smoke@example.com")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[ ok ] login" in result.stdout and result.stdout.strip().endswith("Smoke test passed.")
