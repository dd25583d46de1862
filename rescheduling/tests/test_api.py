from datetime import timedelta

import pytest
import time_machine

from bookings.models import Booking
from rescheduling import services
from rescheduling.models import ON_DEMAND_COOLDOWN, RequestStatus, RescheduleRequest
from rescheduling.tests.factories import BookingFactory

URL = "/api/v1/reschedule-requests/"
ON_DEMAND_QUERIES = 29


@pytest.fixture
def request_(school, now):
    return services.reschedule_request_open(booking=school.held, now=now, reasons=["ceiling 800 ft below 1000 ft"])


def test_student_sees_own_request_with_its_options(api, school, request_):
    response = api.as_user(school.student).get(URL)
    assert response.status_code == 200
    assert response.data["count"] == 1
    body = response.data["results"][0]
    assert body["booking"] == school.held.pk and body["status"] == "pending"
    assert body["expires_at"].endswith("Z") or "+00:00" in body["expires_at"]
    assert len(body["options"]) == 3
    option = body["options"][0]
    assert set(option) >= {"id", "start", "end", "instructor", "aircraft", "source", "rationale", "weather_status"}
    assert option["source"] == "rules" and option["instructor"] == school.instructor.pk


def test_instructor_sees_requests_of_their_students_and_admins_see_all(api, school, request_, staff):
    assert api.as_user(school.instructor).get(URL).data["count"] == 1
    assert api.as_user(staff).get(URL).data["count"] == 1


def test_stranger_sees_nothing_and_gets_404(api, school, request_, stranger):
    client = api.as_user(stranger)
    assert client.get(URL).data["count"] == 0
    assert client.get(f"{URL}{request_.pk}/").status_code == 404
    option = request_.options.first()
    assert client.post(f"{URL}{request_.pk}/accept/", {"option": option.pk}).status_code == 404
    assert client.post(f"{URL}{request_.pk}/decline/").status_code == 404
    assert client.post(f"/api/v1/bookings/{school.held.pk}/reschedule/").status_code == 404
    request_.refresh_from_db()
    assert request_.status == RequestStatus.PENDING


def test_filters_by_booking_and_status(api, school, request_):
    client = api.as_user(school.student)
    assert client.get(URL, {"booking": school.held.pk, "status": "pending"}).data["count"] == 1
    assert client.get(URL, {"status": "accepted"}).data["count"] == 0
    bad = client.get(URL, {"status": "maybe"})
    assert bad.status_code == 400 and bad.data["code"] == "invalid" and "status" in bad.data["fields"]


def test_accept_returns_the_new_booking(api, school, request_):
    option = request_.options.get(rank=1)
    response = api.as_user(school.student).post(f"{URL}{request_.pk}/accept/", {"option": option.pk})
    assert response.status_code == 200
    assert response.data["status"] == "confirmed"
    assert response.data["rescheduled_from"] == school.held.pk
    assert response.data["start"] == option.start.isoformat().replace("+00:00", "Z")
    school.held.refresh_from_db()
    assert school.held.status == "rescheduled"


def test_accept_with_bad_input_is_a_clear_400_and_changes_nothing(api, school, request_):
    client = api.as_user(school.student)
    missing = client.post(f"{URL}{request_.pk}/accept/", {})
    assert missing.status_code == 400 and "option" in missing.data["fields"]
    wrong = client.post(f"{URL}{request_.pk}/accept/", {"option": 987654})
    assert wrong.status_code == 400 and wrong.data["fields"] == {"option": ["Not an option of this request."]}
    assert Booking.objects.count() == 1
    request_.refresh_from_db()
    assert request_.status == RequestStatus.PENDING


def test_instructor_may_not_accept(api, school, request_):
    option = request_.options.get(rank=1)
    response = api.as_user(school.instructor).post(f"{URL}{request_.pk}/accept/", {"option": option.pk})
    assert response.status_code == 403
    assert Booking.objects.count() == 1


def test_accepting_a_slot_gone_meanwhile_is_409_option_unavailable(api, school, request_):
    option = request_.options.get(rank=1)
    school.aircraft.status = "maintenance"
    school.aircraft.save()
    response = api.as_user(school.student).post(f"{URL}{request_.pk}/accept/", {"option": option.pk})
    assert response.status_code == 409
    assert response.data["code"] == "option_unavailable"
    fresh_id = response.data["new_request_id"]
    fresh = api.as_user(school.student).get(f"{URL}{fresh_id}/")
    assert fresh.status_code == 200 and fresh.data["status"] == "pending"
    assert Booking.objects.count() == 1


def test_decline(api, school, request_, staff):
    response = api.as_user(school.student).post(f"{URL}{request_.pk}/decline/")
    assert response.status_code == 200 and response.data["status"] == "declined"
    again = api.as_user(school.student).post(f"{URL}{request_.pk}/decline/")
    assert again.status_code == 409 and again.data["code"] == "request_not_pending"


def test_instructor_marks_an_option_unavailable(api, school, request_):
    option = request_.options.get(rank=1)
    url = f"{URL}{request_.pk}/options/{option.pk}/unavailable/"
    assert api.as_user(school.student).post(url).status_code == 403
    response = api.as_user(school.instructor).post(url)
    assert response.status_code == 200
    marked = next(o for o in response.data["options"] if o["id"] == option.pk)
    assert marked["available"] is False
    assert api.as_user(school.instructor).post(f"{URL}{request_.pk}/options/424242/unavailable/").status_code == 404


def test_booking_reschedule_generates_a_new_request_on_demand(api, school, now):
    response = api.as_user(school.student).post(f"/api/v1/bookings/{school.held.pk}/reschedule/")
    assert response.status_code == 201
    assert response.data["status"] == "pending" and len(response.data["options"]) == 3
    with time_machine.travel(now + ON_DEMAND_COOLDOWN, tick=False):
        second = api.as_user(school.student).post(f"/api/v1/bookings/{school.held.pk}/reschedule/")
    assert second.status_code == 201
    assert RescheduleRequest.objects.filter(booking=school.held, status="pending").count() == 1


def test_asking_again_within_the_cooldown_is_429_and_emails_nobody_again(api, school, now):
    from notifications.models import Notification

    url = f"/api/v1/bookings/{school.held.pk}/reschedule/"
    assert api.as_user(school.student).post(url).status_code == 201
    first = RescheduleRequest.objects.get(booking=school.held, status="pending")
    sent = Notification.objects.filter(kind="options_ready").count()
    for minutes in (0, 1, 14):
        with time_machine.travel(now + timedelta(minutes=minutes), tick=False):
            again = api.as_user(school.student).post(url)
        assert again.status_code == 429
        assert again.json()["code"] == "throttled" and set(again.json()) >= {"message", "code", "fields"}
        assert int(again["Retry-After"]) == (ON_DEMAND_COOLDOWN - timedelta(minutes=minutes)).total_seconds()
    assert Notification.objects.filter(kind="options_ready").count() == sent
    assert list(RescheduleRequest.objects.filter(booking=school.held, status="pending")) == [first]
    with time_machine.travel(now + ON_DEMAND_COOLDOWN + timedelta(seconds=1), tick=False):
        assert api.as_user(school.student).post(url).status_code == 201
    assert Notification.objects.filter(kind="options_ready").count() > sent


def test_list_costs_the_same_whatever_the_number_of_requests(api, school, now, staff,
                                                            django_assert_max_num_queries):
    for days in range(1, 4):
        booking = BookingFactory(student=school.student, instructor=school.other_instructor, aircraft=school.piper,
                                 start=now + timedelta(days=days, hours=2), end=now + timedelta(days=days, hours=3),
                                 status="weather_hold")
        services.reschedule_request_open(booking=booking, now=now)
    client = api.as_user(staff)
    with django_assert_max_num_queries(8):
        response = client.get(URL)
    assert response.data["count"] == 3


def test_cancelling_withdraws_an_on_demand_request_and_the_deadline_job_reminds_nobody(api, school, now):
    from django.core.management import call_command

    from notifications.models import Notification
    from rescheduling.models import REMINDER_BEFORE_EXPIRY

    scheduled = BookingFactory(student=school.student, instructor=school.instructor, aircraft=school.twin,
                               start=now + timedelta(hours=30), end=now + timedelta(hours=32), status="scheduled")
    opened = api.as_user(school.student).post(f"/api/v1/bookings/{scheduled.pk}/reschedule/")
    assert opened.status_code == 201
    request_ = RescheduleRequest.objects.get(pk=opened.data["id"])
    cancelled = api.as_user(school.student).post(f"/api/v1/bookings/{scheduled.pk}/cancel/",
                                                 {"reason": "Exams this week."})
    assert cancelled.status_code == 200 and cancelled.data["status"] == "cancelled"
    request_.refresh_from_db()
    assert request_.status == RequestStatus.SUPERSEDED and request_.closed_reason == "booking_cancelled"
    listed = api.as_user(school.student).get("/api/v1/reschedule-requests/", {"booking": scheduled.pk,
                                                                               "status": "pending"})
    assert listed.data["count"] == 0
    with time_machine.travel(request_.expires_at - REMINDER_BEFORE_EXPIRY + timedelta(minutes=1), tick=False):
        call_command("run_reschedule_deadlines")
    assert not Notification.objects.filter(kind="reschedule_reminder").exists()
    assert not Notification.objects.filter(kind="request_expired", booking=scheduled).exists()


def test_options_on_demand_cost_a_fixed_number_of_statements_and_email_the_options(
        api, school, now, django_assert_num_queries, django_capture_on_commit_callbacks, mailoutbox):
    client = api.as_user(school.student)
    # The caller's user, the booking once with its parts, the solver and ranking, the request written with its
    # options, audit row and messages (the options read once for both emails and the answer), both emails sent
    # and recorded.
    with django_assert_num_queries(ON_DEMAND_QUERIES), django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/bookings/{school.held.pk}/reschedule/")
    assert response.status_code == 201
    options = RescheduleRequest.objects.get(pk=response.data["id"]).options.select_related(
        "instructor", "aircraft").order_by("rank")
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        [school.student.email, school.held.instructor.email])
    for message in mailoutbox:
        for option in options:
            assert option.aircraft.tail_number in message.body
            assert option.instructor.first_name in message.body


def test_the_on_demand_answer_is_the_request_as_anyone_reads_it_back(api, school, django_capture_on_commit_callbacks):
    client = api.as_user(school.student)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/bookings/{school.held.pk}/reschedule/")
    assert response.status_code == 201 and len(response.json()["options"]) == 3
    assert response.json() == client.get(f"{URL}{response.json()['id']}/").json()


def test_an_on_demand_request_without_options_answers_an_empty_list(api, school, now, staff,
                                                                    django_capture_on_commit_callbacks):
    from availability.models import AvailabilityPattern

    AvailabilityPattern.objects.all().delete()  # nobody is ever free: the solver finds nothing
    client = api.as_user(school.student)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/bookings/{school.held.pk}/reschedule/")
    assert response.status_code == 201 and response.json()["options"] == []
    assert response.json() == client.get(f"{URL}{response.json()['id']}/").json()
