"""Standby: waiting for a taken slot, and being booked into it, oldest first, when it frees up."""

import threading

import pytest
from django.db import connection

from accounts.tests.factories import InstructorFactory, StudentFactory
from audit.models import AuditEvent
from availability.tests.factories import available_every_day
from bookings.models import Booking, BookingStatus, StandbyRequest, StandbyStatus
from bookings.services import booking_cancel, booking_create
from bookings.services.standby import standby_create, standby_expire_due, standby_fill, standby_withdraw
from bookings.tests.conftest import at
from bookings.tests.factories import AircraftFactory, BookingFactory
from config.exceptions import ApplicationError, ConflictError, NotFoundError
from notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def taken(now, owner, colleague, plane, open_hours):
    """Olive's lesson with Carl on N739SP, 3 June 17:00–19:00 UTC: the slot others wait for."""
    return BookingFactory(student=owner, instructor=colleague, aircraft=plane, start=at(3, 17), end=at(3, 19))


def wait(student, plane, *, instructor=None, any_of_model=False, start=None, end=None, lesson_type="solo",
         actor=None):
    return standby_create(actor=actor or student, student=student, aircraft=plane, instructor=instructor,
                          any_of_model=any_of_model, departure_airport="KPAO", start=start or at(3, 17),
                          end=end or at(3, 19), lesson_type=lesson_type)


def cancel(booking, actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor=actor, reason_code="illness")


class TestJoining:
    def test_a_student_waits_for_a_taken_slot_and_it_is_audited(self, taken, stranger, plane):
        standby = wait(stranger, plane)
        assert (standby.status, standby.aircraft, standby.aircraft_model) == ("waiting", plane, "Cessna 172S")
        assert standby.departure_airport.icao == standby.destination_airport.icao == "KPAO"
        event = AuditEvent.objects.get(action="standby.created", object_id=str(standby.pk))
        assert event.actor == stranger and event.after["aircraft_id"] == plane.pk

    def test_a_free_slot_is_booked_not_waited_for(self, now, stranger, plane, open_hours):
        with pytest.raises(ApplicationError) as caught:
            wait(stranger, plane)
        assert caught.value.code == "slot_free" and "N739SP is free" in caught.value.message
        assert not StandbyRequest.objects.exists()

    def test_any_of_the_model_is_refused_while_another_of_the_model_is_free(self, taken, stranger, plane, kpao):
        AircraftFactory(tail_number="N222FS", home_airport=kpao)
        with pytest.raises(ApplicationError) as caught:
            wait(stranger, plane, any_of_model=True)
        assert caught.value.code == "slot_free" and "N222FS" in caught.value.message
        # On that one aircraft it is taken, so waiting for it is fine.
        assert wait(stranger, plane).aircraft == plane

    def test_students_wait_only_for_themselves(self, taken, stranger, owner, plane):
        with pytest.raises(ApplicationError) as caught:
            wait(stranger, plane, actor=StudentFactory())
        assert caught.value.code == "permission_denied"

    @pytest.mark.parametrize("change, field", [
        ({"lesson_type": "dual"}, "instructor"),
        ({"start": at(3, 19), "end": at(3, 17)}, "end"),
        ({"start": at(1, 10), "end": at(1, 12)}, "start"),
    ])
    def test_bad_input_is_refused_and_nothing_is_stored(self, taken, stranger, plane, change, field):
        with pytest.raises(ApplicationError) as caught:
            wait(stranger, plane, **change)
        assert caught.value.code == "invalid" and field in caught.value.fields
        assert not StandbyRequest.objects.exists()

    def test_the_student_already_flying_or_waiting_then_is_refused(self, taken, owner, stranger, plane):
        with pytest.raises(ConflictError) as caught:
            wait(owner, plane)
        assert caught.value.code == "booking_conflict"
        wait(stranger, plane)
        with pytest.raises(ConflictError) as caught:
            wait(stranger, plane, start=at(3, 18), end=at(3, 20))
        assert caught.value.code == "standby_exists"


class TestPromotion:
    def test_a_cancelled_slot_goes_to_the_oldest_waiting_student_who_is_told(
            self, taken, owner, stranger, plane, django_capture_on_commit_callbacks):
        first, second = wait(stranger, plane), wait(StudentFactory(), plane)
        cancel(taken, owner, django_capture_on_commit_callbacks)

        first.refresh_from_db()
        second.refresh_from_db()
        assert first.status == StandbyStatus.BOOKED and second.status == StandbyStatus.WAITING
        booking = first.booking
        assert (booking.student, booking.aircraft, booking.start, booking.end, booking.status) == (
            stranger, plane, at(3, 17), at(3, 19), BookingStatus.SCHEDULED)
        assert Notification.objects.filter(recipient=stranger, kind="standby_booked", booking=booking).exists()
        event = AuditEvent.objects.get(action="standby.booked", object_id=str(first.pk))
        assert event.after == {"status": "booked", "booking_id": booking.pk, "freed_booking_id": taken.pk}

    def test_one_that_no_longer_fits_keeps_waiting_and_the_next_gets_the_slot(
            self, taken, owner, stranger, plane, kpao, django_capture_on_commit_callbacks):
        early = wait(stranger, plane)
        # Stan has since booked another aircraft at that time: the slot goes to the next in line.
        other = AircraftFactory(tail_number="N333FS", model="Piper PA-28", home_airport=kpao)
        available_every_day(aircraft=other)
        booking_create(actor=stranger, student=stranger, aircraft=other, departure_airport=kpao,
                       destination_airport=kpao, start=at(3, 18), end=at(3, 20), lesson_type="solo")
        later = wait(StudentFactory(), plane)
        cancel(taken, owner, django_capture_on_commit_callbacks)
        early.refresh_from_db()
        later.refresh_from_db()
        assert (early.status, later.status) == (StandbyStatus.WAITING, StandbyStatus.BOOKED)

    def test_a_dual_standby_needs_its_instructor_to_be_free_and_available(
            self, taken, owner, colleague, stranger, plane, django_capture_on_commit_callbacks):
        # Carl teaches the cancelled lesson, so he is free once it goes; Ivy has no availability at all.
        with_ivy = wait(stranger, plane, instructor=InstructorFactory(), lesson_type="dual")
        with_carl = wait(StudentFactory(), plane, instructor=colleague, lesson_type="dual")
        cancel(taken, owner, django_capture_on_commit_callbacks)
        with_ivy.refresh_from_db()
        with_carl.refresh_from_db()
        assert (with_ivy.status, with_carl.status) == (StandbyStatus.WAITING, StandbyStatus.BOOKED)
        assert with_carl.booking.instructor == colleague

    def test_any_aircraft_of_the_model_takes_the_one_that_freed_up(
            self, taken, owner, stranger, plane, kpao, django_capture_on_commit_callbacks):
        sister = AircraftFactory(tail_number="N444FS", home_airport=kpao)
        available_every_day(aircraft=sister)
        BookingFactory(aircraft=sister, start=at(3, 16), end=at(3, 20))
        standby = wait(stranger, sister, any_of_model=True)
        assert standby.aircraft is None and standby.what == "any Cessna 172S"
        cancel(taken, owner, django_capture_on_commit_callbacks)
        standby.refresh_from_db()
        assert standby.status == StandbyStatus.BOOKED and standby.booking.aircraft == plane

    def test_another_model_or_another_time_is_not_offered_the_slot(
            self, taken, owner, stranger, plane, kpao, django_capture_on_commit_callbacks):
        piper = AircraftFactory(tail_number="N555FS", model="Piper PA-28", home_airport=kpao)
        BookingFactory(aircraft=piper, start=at(3, 16), end=at(3, 20))
        other_model = wait(stranger, piper, any_of_model=True)
        BookingFactory(aircraft=plane, start=at(4, 17), end=at(4, 19))
        other_day = wait(StudentFactory(), plane, start=at(4, 17), end=at(4, 19))
        cancel(taken, owner, django_capture_on_commit_callbacks)
        assert set(StandbyRequest.objects.values_list("status", flat=True)) == {StandbyStatus.WAITING}
        assert other_model.pk and other_day.pk

    def test_a_reschedule_moving_the_booking_away_frees_its_slot(
            self, taken, owner, colleague, stranger, plane, staff, django_capture_on_commit_callbacks):
        standby = wait(stranger, plane)
        with django_capture_on_commit_callbacks(execute=True):
            booking_create(actor=staff, student=owner, instructor=colleague, aircraft=plane,
                           departure_airport=taken.departure_airport, destination_airport=taken.departure_airport,
                           start=at(5, 17), end=at(5, 19), lesson_type="dual", rescheduled_from=taken)
        standby.refresh_from_db()
        assert standby.status == StandbyStatus.BOOKED and standby.booking.start == at(3, 17)

    def test_filling_twice_books_once(self, taken, owner, stranger, plane, django_capture_on_commit_callbacks):
        standby = wait(stranger, plane)
        cancel(taken, owner, django_capture_on_commit_callbacks)
        assert standby_fill(freed_booking_id=taken.pk) == []
        assert Booking.objects.filter(student=stranger).count() == 1
        assert sorted(Notification.objects.filter(kind="standby_booked", recipient=stranger)
                      .values_list("channel", flat=True)) == ["email", "in_app"]
        standby.refresh_from_db()
        assert standby.status == StandbyStatus.BOOKED

    def test_an_active_booking_frees_nothing(self, taken, stranger, plane):
        standby = wait(stranger, plane)
        assert standby_fill(freed_booking_id=taken.pk) == []
        standby.refresh_from_db()
        assert standby.status == StandbyStatus.WAITING

    def test_a_failing_fill_never_undoes_the_cancellation(
            self, taken, owner, stranger, plane, monkeypatch, django_capture_on_commit_callbacks):
        wait(stranger, plane)

        def broken(**kwargs):
            raise RuntimeError("database went away")

        monkeypatch.setattr("bookings.services.standby.standby_fill", broken)
        cancel(taken, owner, django_capture_on_commit_callbacks)
        taken.refresh_from_db()
        assert taken.status == BookingStatus.CANCELLED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_fills_at_once_book_the_waiting_student_once(now, owner, colleague, stranger, plane, open_hours):
    taken = BookingFactory(student=owner, instructor=colleague, aircraft=plane, start=at(3, 17), end=at(3, 19))
    standby = wait(stranger, plane)
    Booking.objects.filter(pk=taken.pk).update(status=BookingStatus.CANCELLED)
    results, barrier = [], threading.Barrier(2)

    def fill():
        try:
            barrier.wait()
            results.append(len(standby_fill(freed_booking_id=taken.pk)))
        finally:
            connection.close()

    threads = [threading.Thread(target=fill) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1]
    assert Booking.objects.filter(student=stranger, status=BookingStatus.SCHEDULED).count() == 1
    standby.refresh_from_db()
    assert standby.status == StandbyStatus.BOOKED


class TestEnding:
    def test_withdrawn_by_the_student_and_not_twice(self, taken, stranger, plane):
        standby = wait(stranger, plane)
        standby_withdraw(standby=standby, actor=stranger)
        assert standby.status == StandbyStatus.WITHDRAWN
        with pytest.raises(ConflictError) as caught:
            standby_withdraw(standby=standby, actor=stranger)
        assert caught.value.code == "standby_not_waiting"
        assert AuditEvent.objects.filter(action="standby.withdrawn", object_id=str(standby.pk)).count() == 1

    def test_another_student_cannot_withdraw_it(self, taken, stranger, plane):
        standby = wait(stranger, plane)
        with pytest.raises(NotFoundError):
            standby_withdraw(standby=standby, actor=StudentFactory())
        standby.refresh_from_db()
        assert standby.status == StandbyStatus.WAITING

    def test_requests_expire_at_the_slot_start_once(self, taken, stranger, plane):
        standby = wait(stranger, plane)
        assert standby_expire_due(now=at(3, 16, 59)) == 0
        assert standby_expire_due(now=at(3, 17)) == 1
        assert standby_expire_due(now=at(3, 17, 5)) == 0
        standby.refresh_from_db()
        assert standby.status == StandbyStatus.EXPIRED and standby.resolved_at == at(3, 17)

    def test_an_expired_request_is_not_booked(self, taken, owner, stranger, plane, staff):
        standby = wait(stranger, plane)
        standby_expire_due(now=at(3, 17))
        Booking.objects.filter(pk=taken.pk).update(status=BookingStatus.CANCELLED)
        assert standby_fill(freed_booking_id=taken.pk, now=at(3, 16)) == []
        standby.refresh_from_db()
        assert standby.status == StandbyStatus.EXPIRED


STANDBY = "/api/v1/standby/"


class TestApi:
    def body(self, plane, **changes):
        return {"aircraft": plane.pk, "departure_airport": "KPAO", "start": "2026-06-03T17:00:00Z",
                "end": "2026-06-03T19:00:00Z", "lesson_type": "solo", **changes}

    def test_a_student_joins_lists_and_withdraws(self, api, taken, stranger, plane):
        client = api.as_user(stranger)
        created = client.post(STANDBY, self.body(plane), format="json")
        assert created.status_code == 201, created.json()
        body = created.json()
        assert (body["status"], body["aircraft"], body["aircraft_model"], body["departure_airport"],
                body["start"]) == ("waiting", plane.pk, "Cessna 172S", "KPAO", "2026-06-03T17:00:00Z")
        listed = client.get(STANDBY).json()
        assert [r["id"] for r in listed["results"]] == [body["id"]]
        withdrawn = client.post(f"{STANDBY}{body['id']}/withdraw/")
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
        again = client.post(f"{STANDBY}{body['id']}/withdraw/")
        assert again.status_code == 409 and again.json()["code"] == "standby_not_waiting"

    def test_others_see_nothing_and_staff_see_all(self, api, taken, stranger, owner, plane, staff):
        standby = wait(stranger, plane)
        assert api.as_user(owner).get(STANDBY).json()["count"] == 0
        assert api.as_user(owner).get(f"{STANDBY}{standby.pk}/").status_code == 404
        assert api.as_user(owner).post(f"{STANDBY}{standby.pk}/withdraw/").status_code == 404
        assert api.as_user(staff).get(f"{STANDBY}?status=waiting").json()["count"] == 1
        assert api.as_user(staff).get(f"{STANDBY}?status=sleeping").status_code == 400
        assert api.as_user(staff).get(f"{STANDBY}abc/").status_code == 404

    @pytest.mark.parametrize("changes, code, status", [
        ({"start": "2026-06-04T17:00:00Z", "end": "2026-06-04T19:00:00Z"}, "slot_free", 400),
        ({"end": "2026-06-03T16:00:00Z"}, "invalid", 400),
        ({"start": "2026-06-03 17:00"}, "invalid", 400),
        ({"lesson_type": "dual"}, "invalid", 400),
    ])
    def test_bad_requests_change_nothing(self, api, taken, stranger, plane, changes, code, status):
        response = api.as_user(stranger).post(STANDBY, self.body(plane, **changes), format="json")
        assert response.status_code == status and response.json()["code"] == code, response.json()
        assert not StandbyRequest.objects.exists()

    def test_unauthenticated_is_refused(self, api, taken, plane):
        assert api.post(STANDBY, self.body(plane), format="json").status_code == 401
