import pytest
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from availability.tests.factories import ExceptionFactory, PatternFactory, available_every_day
from bookings import services
from bookings.models import Booking, BookingStatus, WeatherStatus
from bookings.tests.conftest import at
from bookings.tests.factories import AircraftFactory, BookingFactory
from config.exceptions import ApplicationError, ConflictError, ForbiddenError


def book(actor, student, plane, kpao, start, end, instructor=None, **kwargs):
    kwargs.setdefault("lesson_type", "dual" if instructor else "solo")
    return services.booking_create(actor=actor, student=student, instructor=instructor, aircraft=plane,
                                   departure_airport=kpao, destination_airport=kpao, start=start, end=end, **kwargs)


@pytest.mark.django_db
class TestBookingCreate:
    def test_student_books_inside_availability_and_it_is_audited(self, now, owner, colleague, plane, kpao,
                                                                  open_hours):
        booking = book(owner, owner, plane, kpao, at(2, 16), at(2, 18), instructor=colleague)
        assert booking.status == BookingStatus.SCHEDULED and booking.weather_status == WeatherStatus.UNKNOWN
        event = AuditEvent.objects.get(action="booking.created", object_id=str(booking.pk))
        assert event.actor == owner and event.after["aircraft_id"] == plane.pk

    @pytest.mark.parametrize("party", ["aircraft", "instructor", "student"])
    def test_an_overlap_for_any_party_is_a_conflict_naming_the_booking(self, now, owner, colleague, stranger,
                                                                        plane, kpao, open_hours, staff, party,
                                                                        make_user):
        first = book(staff, owner, plane, kpao, at(2, 16), at(2, 18), instructor=colleague)
        other_plane = AircraftFactory() if party != "aircraft" else plane
        other_student = stranger if party != "student" else owner
        other_instructor = (make_user(email="cfi2@example.com", role="instructor", training_level="")
                            if party != "instructor" else colleague)
        with pytest.raises(ConflictError) as exc:
            book(staff, other_student, other_plane, kpao, at(2, 17), at(2, 19), instructor=other_instructor,
                 override_availability=True)
        assert exc.value.code == "booking_conflict"
        assert exc.value.extra == {"conflicting_booking_ids": [first.pk]}
        assert Booking.objects.count() == 1

    def test_back_to_back_bookings_do_not_overlap(self, now, owner, colleague, plane, kpao, open_hours):
        book(owner, owner, plane, kpao, at(2, 16), at(2, 18), instructor=colleague)
        second = book(owner, owner, plane, kpao, at(2, 18), at(2, 20), instructor=colleague)
        assert second.pk

    def test_cancelled_bookings_free_their_slot(self, now, owner, colleague, plane, kpao, open_hours):
        first = book(owner, owner, plane, kpao, at(2, 16), at(2, 18), instructor=colleague)
        services.booking_cancel(booking=first, actor=owner, reason="Sick")
        assert book(owner, owner, plane, kpao, at(2, 16), at(2, 18), instructor=colleague).pk

    def test_outside_availability_is_refused_to_students_and_overridable_by_staff(self, now, owner, colleague,
                                                                                  plane, kpao, staff):
        PatternFactory(aircraft=plane, weekday=1)  # Tuesdays 08:00-18:00 UTC
        PatternFactory(instructor=colleague, weekday=1, start_time=at(2, 8).time(), end_time=at(2, 12).time())
        with pytest.raises(ApplicationError) as exc:
            book(owner, owner, plane, kpao, at(2, 11), at(2, 13), instructor=colleague)
        assert exc.value.code == "outside_availability"
        assert set(exc.value.fields) == {"instructor"}
        with pytest.raises(ForbiddenError):
            book(owner, owner, plane, kpao, at(2, 11), at(2, 13), instructor=colleague, override_availability=True)
        assert book(staff, owner, plane, kpao, at(2, 11), at(2, 13), instructor=colleague,
                    override_availability=True).pk

    def test_aircraft_in_maintenance_or_blocked_cannot_be_booked_even_by_staff(self, now, owner, colleague, plane,
                                                                               kpao, staff, open_hours):
        ExceptionFactory(aircraft=plane, start=at(2, 12), end=at(2, 17), reason="100-hour inspection")
        with pytest.raises(ApplicationError) as exc:
            book(staff, owner, plane, kpao, at(2, 16), at(2, 18), instructor=colleague, override_availability=True)
        assert exc.value.code == "aircraft_unavailable"
        plane.status = "maintenance"
        plane.save()
        with pytest.raises(ApplicationError) as exc:
            book(staff, owner, plane, kpao, at(3, 16), at(3, 18), instructor=colleague, override_availability=True)
        assert exc.value.code == "aircraft_unavailable"
        assert not Booking.objects.exists()

    def test_instructor_time_off_beats_the_pattern(self, now, owner, colleague, plane, kpao, open_hours):
        ExceptionFactory(instructor=colleague, start=at(2, 17), end=at(2, 23))
        with pytest.raises(ApplicationError) as exc:
            book(owner, owner, plane, kpao, at(2, 16), at(2, 18), instructor=colleague)
        assert exc.value.code == "outside_availability"

    @pytest.mark.parametrize("start,end,field", [
        (at(2, 18), at(2, 16), "end"),
        (at(2, 16), at(2, 16, 10), "end"),
        (at(2, 6), at(2, 19), "end"),
        (at(1, 10), at(1, 12), "start"),
        (at(1, 10).replace(year=2029), at(1, 12).replace(year=2029), "start"),
    ])
    def test_bad_times_are_refused_with_the_field_named(self, now, owner, colleague, plane, kpao, open_hours,
                                                        start, end, field):
        with pytest.raises(ApplicationError) as exc:
            book(owner, owner, plane, kpao, start, end, instructor=colleague)
        assert field in exc.value.fields and exc.value.status_code == 400
        assert not Booking.objects.exists()

    def test_naive_times_are_refused(self, now, owner, colleague, plane, kpao, open_hours):
        with pytest.raises(ApplicationError) as exc:
            book(owner, owner, plane, kpao, at(2, 16).replace(tzinfo=None), at(2, 18), instructor=colleague)
        assert "start" in exc.value.fields

    def test_staff_may_record_a_past_flight(self, now, owner, colleague, plane, kpao, open_hours, staff):
        booking = book(staff, owner, plane, kpao, at(1, 9), at(1, 11), instructor=colleague, status="completed")
        assert booking.status == "completed"

    def test_lesson_type_decides_whether_an_instructor_flies(self, now, owner, colleague, plane, kpao, open_hours):
        with pytest.raises(ApplicationError) as exc:
            book(owner, owner, plane, kpao, at(2, 16), at(2, 18), instructor=colleague, lesson_type="solo")
        assert "instructor" in exc.value.fields
        with pytest.raises(ApplicationError) as exc:
            book(owner, owner, plane, kpao, at(2, 16), at(2, 18), lesson_type="dual")
        assert "instructor" in exc.value.fields
        assert book(owner, owner, plane, kpao, at(2, 16), at(2, 18), lesson_type="solo").instructor is None

    def test_unknown_airport_and_someone_elses_booking_are_refused(self, now, owner, stranger, colleague, plane,
                                                                   kpao, open_hours):
        with pytest.raises(ApplicationError) as exc:
            services.booking_create(actor=owner, student=owner, instructor=colleague, aircraft=plane,
                                    departure_airport="ZZZZ", destination_airport="KPAO", start=at(2, 16),
                                    end=at(2, 18), lesson_type="dual")
        assert exc.value.fields == {"departure_airport": ["Unknown ICAO code 'ZZZZ'."]}
        with pytest.raises(ForbiddenError):
            book(owner, stranger, plane, kpao, at(2, 16), at(2, 18), instructor=colleague)
        assert not Booking.objects.exists()


@pytest.mark.django_db
def test_airport_comes_from_the_airport_database_once():
    airport = services.airport_get_or_create("kmry")
    assert (airport.icao, airport.time_zone) == ("KMRY", "America/Los_Angeles")
    assert airport.name == "Monterey Regional Airport" and airport.elevation_ft > 200
    assert services.airport_get_or_create("KMRY").pk == airport.pk
    assert AuditEvent.objects.filter(action="airport.created").count() == 1
    with pytest.raises(ApplicationError) as exc:
        services.airport_get_or_create("QQQQ")
    assert exc.value.code == "unknown_airport" and "icao" in exc.value.fields


@pytest.mark.django_db
class TestWeatherHoldAndReschedule:
    def test_hold_remembers_the_status_and_release_restores_it(self, now, owner):
        booking = BookingFactory(student=owner, status="confirmed")
        assert services.booking_place_on_weather_hold(booking=booking, now=now) is True
        assert services.booking_place_on_weather_hold(booking=booking, now=now) is False
        booking.refresh_from_db()
        assert (booking.status, booking.status_before_hold) == ("weather_hold", "confirmed")
        assert services.booking_release_weather_hold(booking=booking, now=now) is True
        assert services.booking_release_weather_hold(booking=booking, now=now) is False
        booking.refresh_from_db()
        assert (booking.status, booking.status_before_hold) == ("confirmed", "")
        assert AuditEvent.objects.filter(object_id=str(booking.pk), action__startswith="booking.weather_hold"
                                         ).count() == 2

    def test_cancelled_bookings_are_never_held(self, now, owner):
        booking = BookingFactory(student=owner, status="cancelled")
        assert services.booking_place_on_weather_hold(booking=booking, now=now) is False
        booking.refresh_from_db()
        assert booking.status == "cancelled"

    def test_weather_is_recorded_and_only_changes_are_audited(self, now, owner):
        booking = BookingFactory(student=owner)
        for _ in range(2):
            services.booking_record_weather(booking=booking, weather_status="marginal", checked_at=now)
        booking.refresh_from_db()
        assert (booking.weather_status, booking.weather_checked_at) == ("marginal", now)
        assert AuditEvent.objects.filter(action="booking.weather_changed", object_id=str(booking.pk)).count() == 1
        with pytest.raises(ApplicationError):
            services.booking_record_weather(booking=booking, weather_status="stormy", checked_at=now)

    def test_a_replacement_may_take_part_of_the_held_slot(self, now, owner, colleague, plane, kpao, open_hours):
        held = book(owner, owner, plane, kpao, at(2, 16), at(2, 18), instructor=colleague)
        services.booking_place_on_weather_hold(booking=held, now=now)
        replacement = book(None, owner, plane, kpao, at(2, 17), at(2, 19), instructor=colleague,
                           rescheduled_from=held)
        services.booking_mark_rescheduled(booking=held, replacement=replacement, now=now)
        held.refresh_from_db()
        assert held.status == "rescheduled" and held.rescheduled_to == replacement
        assert replacement.rescheduled_from == held

    def test_mark_rescheduled_links_an_existing_replacement(self, now, owner):
        old = BookingFactory(student=owner, status="weather_hold", status_before_hold="scheduled")
        new = BookingFactory(student=owner, start=old.start.replace(day=old.start.day + 1),
                             end=old.end.replace(day=old.end.day + 1))
        services.booking_mark_rescheduled(booking=old, replacement=new, now=now)
        services.booking_mark_rescheduled(booking=old, replacement=new, now=now)
        old.refresh_from_db()
        new.refresh_from_db()
        assert old.status == "rescheduled" and new.rescheduled_from_id == old.pk
        assert AuditEvent.objects.filter(action="booking.rescheduled", object_id=str(old.pk)).count() == 1


@pytest.mark.django_db
class TestUpdateAndCancel:
    def test_moving_a_booking_checks_overlaps_and_forgets_the_old_verdict(self, now, owner, colleague, plane, kpao,
                                                                         open_hours):
        first = book(owner, owner, plane, kpao, at(2, 16), at(2, 18), instructor=colleague)
        second = book(owner, owner, plane, kpao, at(2, 19), at(2, 21), instructor=colleague)
        services.booking_record_weather(booking=second, weather_status="ok", checked_at=now)
        with pytest.raises(ConflictError) as exc:
            services.booking_update(booking=second, actor=owner, start=at(2, 17), end=at(2, 19))
        assert exc.value.extra["conflicting_booking_ids"] == [first.pk]
        moved = services.booking_update(booking=second, actor=owner, start=at(2, 18), end=at(2, 20))
        assert (moved.start, moved.weather_status) == (at(2, 18), "unknown")

    def test_cancel_records_who_and_why_once(self, now, owner):
        booking = BookingFactory(student=owner)
        services.booking_cancel(booking=booking, actor=owner, reason="Checkride moved")
        booking.refresh_from_db()
        assert (booking.status, booking.cancelled_by, booking.cancel_reason) == ("cancelled", owner, "Checkride moved")
        assert booking.cancelled_at == now
        with pytest.raises(ConflictError):
            services.booking_cancel(booking=booking, actor=owner, reason="again")


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_itself_refuses_overlaps_and_the_error_becomes_a_conflict(now, owner, plane):
    first = BookingFactory(student=owner, aircraft=plane, start=at(2, 16), end=at(2, 18))
    clash = BookingFactory.build(aircraft=plane, student=first.student, instructor=first.instructor,
                                 departure_airport=first.departure_airport, destination_airport=first.departure_airport,
                                 start=at(2, 17), end=at(2, 19))
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        clash.save()
    conflict = services.conflict_from_integrity_error(
        exc.value, start=clash.start, end=clash.end, student_id=clash.student_id, instructor_id=clash.instructor_id,
        aircraft_id=plane.pk)
    assert conflict.status_code == 409 and conflict.extra == {"conflicting_booking_ids": [first.pk]}


@pytest.mark.django_db
class TestWithRescheduling:
    def test_an_instructor_puts_in_a_replacement_taught_by_a_colleague(self, now, owner, colleague, plane, kpao,
                                                                      make_user):
        other = make_user(email="other.cfi@example.com", role="instructor", training_level="")
        for person in (colleague, other):
            available_every_day(instructor=person)
        available_every_day(aircraft=plane)
        held = book(owner, owner, plane, kpao, at(2, 16), at(2, 18), instructor=colleague)
        services.booking_place_on_weather_hold(booking=held, now=now)
        replacement = book(colleague, owner, plane, kpao, at(4, 16), at(4, 18), instructor=other,
                           rescheduled_from=held, status="confirmed")
        assert replacement.instructor == other and replacement.rescheduled_from == held
        with pytest.raises(ApplicationError):
            book(colleague, make_user(email="x@example.com"), plane, kpao, at(5, 16), at(5, 18), instructor=other,
                 rescheduled_from=replacement)

    def test_cancelling_a_held_booking_withdraws_its_pending_offer(self, now, owner):
        from rescheduling.tests.factories import RescheduleRequestFactory

        request = RescheduleRequestFactory(booking=BookingFactory(student=owner, status="weather_hold",
                                                                  status_before_hold="scheduled"))
        services.booking_cancel(booking=request.booking, actor=owner, reason="Taking the train instead", now=now)
        request.refresh_from_db()
        assert request.status == "superseded"
