import threading
from datetime import timedelta

import pytest
from django.db import connection

from audit.models import AuditEvent
from availability.models import AvailabilityException
from bookings.models import Booking
from config.exceptions import ApplicationError, ConflictError, ForbiddenError
from notifications.models import Notification
from rescheduling import selectors, services
from rescheduling.models import RequestStatus, RescheduleRequest
from rescheduling.tests.factories import BookingFactory
from rescheduling.tests.weather_data import store_forecast


def kinds_for(user):
    return sorted(set(Notification.objects.filter(recipient=user).values_list("kind", flat=True)))


def open_request(school, now, **kwargs):
    return services.reschedule_request_open(booking=school.held, now=now,
                                            reasons=["visibility 2.0 sm below 3 sm (private_pilot) at KPAO 12:00Z"],
                                            **kwargs)


# --- opening ------------------------------------------------------------------------------------------

def test_open_offers_three_ranked_options_and_tells_both_people(school, now):
    request = open_request(school, now)

    assert request.status == RequestStatus.PENDING
    options = list(request.options.order_by("rank"))
    assert [o.rank for o in options] == [1, 2, 3]
    assert all(o.source == "rules" and o.rationale for o in options)
    assert options[0].instructor == school.instructor and options[0].aircraft == school.aircraft
    # Departure at noon: the student must decide by 11:30, well before the 12-hour cap.
    assert request.expires_at == school.held.start - timedelta(minutes=30)
    assert request.detected_at == now
    assert "options_ready" in kinds_for(school.student)
    assert "options_ready" in kinds_for(school.instructor)
    assert AuditEvent.objects.filter(action="reschedule_request.opened", object_id=str(request.pk)).exists()


def test_no_valid_slot_tells_operations_staff(school, now, staff):
    for plane in (school.aircraft, school.twin):
        AvailabilityException.objects.create(aircraft=plane, start=now, end=now + timedelta(days=8),
                                             reason="Annual inspection")
    request = open_request(school, now)
    assert request.status == RequestStatus.PENDING and request.options.count() == 0
    alert = Notification.objects.get(recipient=staff, kind="no_options", channel="in_app")
    assert "No new time found" in alert.subject and "visibility 2.0 sm" in alert.body_text
    assert "options_ready" not in kinds_for(school.held.student)


def test_expiry_is_capped_at_twelve_hours(school, now):
    school.held.start, school.held.end = now + timedelta(days=2), now + timedelta(days=2, hours=2)
    school.held.save()
    assert open_request(school, now).expires_at == now + timedelta(hours=12)


def test_opening_again_supersedes_and_keeps_the_detection_time(school, now):
    first = open_request(school, now)
    later = now + timedelta(minutes=20)
    second = services.reschedule_request_open(booking=school.held, now=later)

    first.refresh_from_db()
    assert first.status == RequestStatus.SUPERSEDED and first.closed_reason == "new_options"
    assert second.status == RequestStatus.PENDING
    assert second.detected_at == now
    assert second.reasons == first.reasons
    assert RescheduleRequest.objects.filter(booking=school.held, status="pending").count() == 1


def test_slots_with_a_forecast_conflict_are_never_offered(school, now):
    storm = [now.replace(hour=h) + timedelta(days=1) for h in range(6, 20)]
    store_forecast(icao="KPAO", start=now, hours=48, fetched_at=now, thunderstorm_hours=tuple(storm))
    request = open_request(school, now)

    options = list(request.options.all())
    assert len(options) == 3
    for option in options:
        assert not (storm[0] - timedelta(minutes=30) < option.end and option.start < storm[-1] + timedelta(hours=1))
        if option.end <= now + timedelta(hours=48):
            assert option.forecast_known and option.weather_status in ("ok", "marginal")
        else:
            assert not option.forecast_known and option.weather_status == "unknown"
            assert "not reach that far yet" in option.rationale


def test_an_inactive_booking_cannot_be_rescheduled(school, now):
    school.held.status = "cancelled"
    school.held.save()
    with pytest.raises(ApplicationError) as raised:
        open_request(school, now)
    assert raised.value.code == "booking_not_reschedulable"
    assert not RescheduleRequest.objects.exists()


def test_supersede_closes_pending_requests_once(school, now):
    open_request(school, now)
    assert services.reschedule_requests_supersede(booking=school.held, reason="weather_cleared", now=now) == 1
    assert services.reschedule_requests_supersede(booking=school.held, reason="weather_cleared", now=now) == 0
    assert RescheduleRequest.objects.get().closed_reason == "weather_cleared"


# --- accepting ----------------------------------------------------------------------------------------

def test_accept_books_the_option_and_retires_the_held_booking(school, now):
    request = open_request(school, now)
    option = request.options.get(rank=2)

    replacement = services.reschedule_request_accept(request=request, option_id=option.pk, actor=school.student,
                                                     now=now + timedelta(minutes=5))

    assert (replacement.start, replacement.end) == (option.start, option.end)
    assert replacement.status == "confirmed"
    assert replacement.instructor == option.instructor and replacement.aircraft == option.aircraft
    school.held.refresh_from_db()
    assert school.held.status == "rescheduled"
    assert replacement.rescheduled_from == school.held
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED
    assert request.replacement_booking == replacement and request.decided_by == school.student
    assert "reschedule_confirmed" in kinds_for(school.student)
    assert "reschedule_confirmed" in kinds_for(school.instructor)
    assert AuditEvent.objects.filter(action="reschedule_request.accepted", object_id=str(request.pk)).exists()


def test_option_whose_aircraft_went_into_maintenance_is_refused_and_fresh_options_offered(school, now):
    request = open_request(school, now)
    option = request.options.get(rank=1)
    school.aircraft.status = "maintenance"
    school.aircraft.save()

    with pytest.raises(ConflictError) as raised:
        services.reschedule_request_accept(request=request, option_id=option.pk, actor=school.student, now=now)

    assert raised.value.code == "option_unavailable"
    assert "maintenance" in raised.value.message
    school.held.refresh_from_db()
    assert school.held.status == "weather_hold"
    assert Booking.objects.count() == 1
    fresh = RescheduleRequest.objects.get(pk=raised.value.extra["new_request_id"])
    assert fresh.status == RequestStatus.PENDING
    assert {o.aircraft_id for o in fresh.options.all()} == {school.twin.pk}
    request.refresh_from_db()
    assert request.status == RequestStatus.SUPERSEDED


def test_option_whose_slot_was_booked_meanwhile_is_refused(school, now, stranger):
    request = open_request(school, now)
    option = request.options.filter(start__gte=school.held.end).first()
    BookingFactory(student=stranger, instructor=option.instructor, aircraft=school.piper,
                   start=option.start, end=option.end)

    with pytest.raises(ConflictError) as raised:
        services.reschedule_request_accept(request=request, option_id=option.pk, actor=school.student, now=now)
    assert raised.value.code == "option_unavailable"
    assert not Booking.objects.filter(rescheduled_from=school.held).exists()


def test_only_the_student_or_staff_accept(school, now, staff):
    request = open_request(school, now)
    option = request.options.get(rank=1)
    with pytest.raises(ForbiddenError):
        services.reschedule_request_accept(request=request, option_id=option.pk, actor=school.instructor, now=now)
    replacement = services.reschedule_request_accept(request=request, option_id=option.pk, actor=staff, now=now)
    assert replacement.status == "confirmed"


def test_a_decided_or_expired_request_cannot_be_accepted(school, now):
    request = open_request(school, now)
    option = request.options.get(rank=1)
    with pytest.raises(ConflictError) as raised:
        services.reschedule_request_accept(request=request, option_id=option.pk, actor=school.student,
                                           now=request.expires_at)
    assert raised.value.code == "request_expired"
    services.reschedule_request_accept(request=request, option_id=option.pk, actor=school.student, now=now)
    with pytest.raises(ConflictError) as raised:
        services.reschedule_request_accept(request=request, option_id=option.pk, actor=school.student, now=now)
    assert raised.value.code == "request_not_pending"
    assert Booking.objects.filter(rescheduled_from=school.held).count() == 1


def test_an_option_of_another_request_is_bad_input(school, now):
    request = open_request(school, now)
    with pytest.raises(ApplicationError) as raised:
        services.reschedule_request_accept(request=request, option_id=999999, actor=school.student, now=now)
    assert raised.value.status_code == 400 and "option" in raised.value.fields
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_accepts_racing_create_exactly_one_booking(school, now):
    request = open_request(school, now)
    option_ids = list(request.options.order_by("rank").values_list("pk", flat=True))
    barrier = threading.Barrier(2)
    outcomes = []

    def accept(option_id):
        try:
            barrier.wait()
            services.reschedule_request_accept(request=selectors.request_get(actor=school.student,
                                                                             request_id=request.pk),
                                               option_id=option_id, actor=school.student, now=now)
            outcomes.append("accepted")
        except ConflictError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(oid,)) for oid in option_ids[:2]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["accepted", "request_not_pending"]
    assert Booking.objects.filter(rescheduled_from=school.held).count() == 1
    assert Booking.objects.filter(status="confirmed").count() == 1


# --- declining and marking options unavailable ---------------------------------------------------------

def test_decline_alerts_operations_staff(school, now, staff):
    request = open_request(school, now)
    services.reschedule_request_decline(request=request, actor=school.student, now=now)
    request.refresh_from_db()
    assert request.status == RequestStatus.DECLINED
    assert "request_declined" in kinds_for(staff)
    school.held.refresh_from_db()
    assert school.held.status == "weather_hold"
    with pytest.raises(ConflictError):
        services.reschedule_request_decline(request=request, actor=school.student, now=now)


def test_instructor_marks_options_unavailable_and_fresh_ones_follow_when_none_remain(school, now):
    request = open_request(school, now)
    options = list(request.options.order_by("rank"))
    for option in options[:2]:
        current = services.reschedule_option_mark_unavailable(option=option, actor=school.instructor, now=now)
        assert current.pk == request.pk
    fresh = services.reschedule_option_mark_unavailable(option=options[2], actor=school.instructor, now=now)

    assert fresh.pk != request.pk and fresh.status == RequestStatus.PENDING
    declined = {(o.start, o.instructor_id) for o in options}
    offered = {(o.start, o.instructor_id) for o in fresh.options.all()}
    assert len(offered) == 3 and not offered & declined
    with pytest.raises(ForbiddenError):
        services.reschedule_option_mark_unavailable(option=fresh.options.first(), actor=school.student, now=now)


# --- figures --------------------------------------------------------------------------------------------

def test_stats_count_acceptance_and_time_from_conflict_to_confirmation(school, now):
    request = open_request(school, now)
    services.reschedule_request_accept(request=request, option_id=request.options.get(rank=1).pk,
                                       actor=school.student, now=now + timedelta(minutes=30))
    other = BookingFactory(student=school.student, instructor=school.instructor, aircraft=school.piper,
                           start=now + timedelta(days=3), end=now + timedelta(days=3, hours=1),
                           status="weather_hold")
    services.reschedule_request_open(booking=other, now=now)

    stats = selectors.reschedule_stats(since=now - timedelta(hours=1), until=now + timedelta(hours=1))
    assert stats == {"requests": 2, "accepted": 1, "acceptance_rate": 0.5,
                     "avg_seconds_conflict_to_confirmed": 1800.0}
    assert selectors.reschedule_stats(since=now + timedelta(days=1), until=now + timedelta(days=2)) == {
        "requests": 0, "accepted": 0, "acceptance_rate": None, "avg_seconds_conflict_to_confirmed": None}
