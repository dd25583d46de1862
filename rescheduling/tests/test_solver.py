import re
from datetime import UTC, datetime, timedelta

from availability.models import AvailabilityException
from rescheduling import solver
from rescheduling.solver import FreeTime, Slot, feasible_slots, grid_after, pick_spread, score_slot
from rescheduling.tests.factories import BookingFactory

H = timedelta(hours=1)
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


# --- pure parts -------------------------------------------------------------------------------------

def test_grid_after_rounds_up_to_the_half_hour():
    assert grid_after(T0) == T0
    assert grid_after(T0 + timedelta(minutes=1)) == T0 + timedelta(minutes=30)
    assert grid_after(T0 + timedelta(minutes=31)) == T0 + H


def test_free_time_merges_touching_intervals_before_checking_cover():
    free = FreeTime([(T0 + 2 * H, T0 + 3 * H), (T0, T0 + 2 * H)])
    assert free.covers(T0 + H, T0 + 3 * H)
    assert not free.covers(T0 + H, T0 + 4 * H)
    assert not FreeTime([]).covers(T0, T0 + H)


def test_feasible_slots_take_the_first_free_instructor_and_aircraft_in_preference_order():
    grid = [T0, T0 + H]
    everyone = FreeTime([(T0, T0 + 10 * H)])
    preferred_busy_at_first = FreeTime([(T0 + H, T0 + 10 * H)])
    slots = feasible_slots(
        grid=grid, duration=H, student=everyone,
        instructors=[(1, preferred_busy_at_first), (2, everyone)],
        aircraft=[(10, everyone), (11, everyone)],
    )
    assert slots == [Slot(T0, T0 + H, 2, 10), Slot(T0 + H, T0 + 2 * H, 1, 10)]


def test_feasible_slots_skip_declined_pairs_and_busy_students():
    everyone = FreeTime([(T0, T0 + 10 * H)])
    slots = feasible_slots(
        grid=[T0, T0 + H, T0 + 2 * H], duration=H, student=FreeTime([(T0 + H, T0 + 10 * H)]),
        instructors=[(1, everyone), (2, everyone)], aircraft=[(10, everyone)],
        unavailable=frozenset({(T0 + H, 1)}),
    )
    assert [(s.start, s.instructor_id) for s in slots] == [(T0 + H, 2), (T0 + 2 * H, 1)]


def test_two_instructors_each_free_for_half_the_lesson_do_not_make_a_slot():
    everyone = FreeTime([(T0, T0 + 10 * H)])
    slots = feasible_slots(
        grid=[T0, T0 + 2 * H], duration=2 * H, student=everyone,
        instructors=[(1, FreeTime([(T0, T0 + H)])), (2, FreeTime([(T0 + H, T0 + 2 * H), (T0 + 2 * H, T0 + 4 * H)]))],
        aircraft=[(10, FreeTime([(T0, T0 + H)])), (11, FreeTime([(T0 + H, T0 + 4 * H)]))],
    )
    assert slots == [Slot(T0 + 2 * H, T0 + 4 * H, 2, 11)]


def test_solo_slots_need_no_instructor():
    everyone = FreeTime([(T0, T0 + 10 * H)])
    slots = feasible_slots(grid=[T0], duration=H, student=everyone, instructors=None, aircraft=[(10, everyone)])
    assert slots == [Slot(T0, T0 + H, None, 10)]


def test_score_prefers_same_people_then_closeness_then_usual_hours():
    base = {"original_start": T0, "instructor_id": 1, "aircraft_id": 10, "usual_hours": [8.0], "tz": UTC,
                "weather_status": "ok", "forecast_known": True}
    same = score_slot(slot=Slot(T0 + 24 * H, T0 + 26 * H, 1, 10), **base)[0]
    other_instructor = score_slot(slot=Slot(T0 + 24 * H, T0 + 26 * H, 2, 10), **base)[0]
    further = score_slot(slot=Slot(T0 + 48 * H, T0 + 50 * H, 1, 10), **base)[0]
    unusual_hour = score_slot(slot=Slot(T0 + 30 * H, T0 + 32 * H, 1, 10), **base)[0]
    assert same > further > other_instructor
    assert same > unusual_hour
    marginal = score_slot(slot=Slot(T0 + 24 * H, T0 + 26 * H, 1, 10), **{**base, "weather_status": "marginal"})[0]
    assert same > marginal


def test_pick_spread_never_offers_overlapping_slots():
    def candidate(start, score):
        return solver.Candidate(candidate_id=str(start), start=start, end=start + 2 * H, instructor_id=1,
                                aircraft_id=1, same_instructor=True, same_aircraft=True, weather_status="ok",
                                forecast_known=True, score=score)

    ranked = [candidate(T0, 9), candidate(T0 + H, 8), candidate(T0 + 2 * H, 7), candidate(T0 + 5 * H, 6)]
    assert [c.start for c in pick_spread(ranked, 3)] == [T0, T0 + 2 * H, T0 + 5 * H]


# --- against the database ----------------------------------------------------------------------------

def test_candidates_keep_the_duration_inside_the_week_after_two_hours(school, now):
    candidates = solver.find_candidates(booking=school.held, now=now)
    assert candidates
    for c in candidates:
        assert c.end - c.start == timedelta(hours=2)
        assert now + timedelta(hours=2) <= c.start <= now + timedelta(days=7)
        assert c.start.minute in (0, 30) and c.start.second == 0
        assert re.fullmatch(r"\d{8}T\d{4}Z-i\d+-a\d+", c.candidate_id)
    best = candidates[0]
    assert best.same_instructor and best.same_aircraft
    assert best.start != school.held.start


def test_the_same_data_gives_the_same_candidates(school, now):
    first = solver.find_candidates(booking=school.held, now=now)
    second = solver.find_candidates(booking=school.held, now=now)
    assert first == second


def test_busy_instructor_hands_the_lesson_to_another_instructor(school, now):
    AvailabilityException.objects.create(instructor=school.instructor, start=now, end=now + timedelta(days=8),
                                         reason="Vacation")
    candidates = solver.find_candidates(booking=school.held, now=now)
    assert candidates
    assert {c.instructor_id for c in candidates} == {school.other_instructor.pk}
    assert not any(c.same_instructor for c in candidates)


def test_aircraft_in_maintenance_is_replaced_by_the_same_model_only(school, now):
    school.aircraft.status = "maintenance"
    school.aircraft.save()
    candidates = solver.find_candidates(booking=school.held, now=now)
    assert candidates
    assert {c.aircraft_id for c in candidates} == {school.twin.pk}


def test_no_candidate_overlaps_the_students_other_bookings(school, now):
    other = BookingFactory(student=school.student, instructor=school.other_instructor, aircraft=school.piper,
                           start=now + timedelta(hours=8), end=now + timedelta(hours=12))
    candidates = solver.find_candidates(booking=school.held, now=now, limit=50)
    assert candidates
    assert not [c for c in candidates if c.start < other.end and other.start < c.end]


def test_solo_lesson_gets_slots_without_an_instructor(school, now, make_user):
    school.held.lesson_type, school.held.instructor = "solo", None
    school.held.save()
    candidates = solver.find_candidates(booking=school.held, now=now)
    assert candidates and all(c.instructor_id is None for c in candidates)
    assert all(c.candidate_id.split("-")[1] == "i0" for c in candidates)


def test_no_free_time_means_no_candidates(school, now):
    for plane in (school.aircraft, school.twin):
        AvailabilityException.objects.create(aircraft=plane, start=now, end=now + timedelta(days=8),
                                             reason="Annual inspection")
    assert solver.find_candidates(booking=school.held, now=now) == []


def test_candidates_carry_the_names_options_show_and_ranking_reads_no_more(school, now, django_assert_num_queries):
    from dataclasses import replace

    from bookings.models import Booking
    from rescheduling.ranking import load_names

    def held():
        return Booking.objects.select_related("student", "instructor", "aircraft", "departure_airport",
                                              "destination_airport").get(pk=school.held.pk)

    def names_read(candidates):
        return load_names([replace(c, instructor_name=None, aircraft_name=None) for c in candidates])

    candidates = solver.find_candidates(booking=held(), now=now)
    assert {c.instructor_id for c in candidates} == {school.instructor.pk}
    with django_assert_num_queries(0):
        carried = load_names(candidates)
    # The same words as reading every instructor and aircraft by id.
    with django_assert_num_queries(2):
        assert carried == names_read(candidates)
    assert carried.aircraft[school.aircraft.pk] == "N101SP (Cessna 172S)"
    # A booking read without its instructor: that one name is read when an option needs it.
    bare = solver.find_candidates(booking=Booking.objects.get(pk=school.held.pk), now=now)
    assert bare == candidates
    with django_assert_num_queries(1):
        assert load_names(bare) == carried

    # The booking's instructor is away all week: the other one flies, and is named as the database names them.
    AvailabilityException.objects.create(instructor=school.instructor, start=now, end=now + timedelta(days=9),
                                         reason="leave")
    others = solver.find_candidates(booking=held(), now=now)
    assert {c.instructor_id for c in others} == {school.other_instructor.pk}
    with django_assert_num_queries(0):
        carried = load_names(others)
    assert carried == names_read(others) and carried.instructors[school.other_instructor.pk] == "Sam Second"
