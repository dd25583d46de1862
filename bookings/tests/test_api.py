import pytest

from audit.models import AuditEvent
from bookings.models import Booking
from bookings.tests.conftest import at
from bookings.tests.factories import AircraftFactory, AirportFactory, BookingFactory

BOOKINGS = "/api/v1/bookings/"
CONTRACT_FIELDS = {"id", "student", "instructor", "aircraft", "departure_airport", "destination_airport", "start",
                   "end", "lesson_type", "status", "weather_status", "rescheduled_from", "rescheduled_to",
                   "created_at", "updated_at"}
# Why a flight is held or was cancelled, beside the contract's fields.
FIELDS = CONTRACT_FIELDS | {"hold_reason", "cancel_reason_code", "cancel_reason", "late_cancellation"}


def body(plane, **overrides):
    data = {"aircraft": plane.pk, "departure_airport": "KPAO", "destination_airport": "KSNS",
            "start": "2026-06-02T16:00:00Z", "end": "2026-06-02T18:00:00-00:00", "lesson_type": "dual"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
class TestCreate:
    def test_student_books_for_themself(self, api, now, owner, colleague, plane, open_hours):
        response = api.as_user(owner).post(BOOKINGS, body(plane, instructor=colleague.pk))
        assert response.status_code == 201, response.json()
        data = response.json()
        assert set(data) == FIELDS
        assert (data["student"], data["instructor"], data["aircraft"]) == (owner.pk, colleague.pk, plane.pk)
        assert (data["departure_airport"], data["destination_airport"]) == ("KPAO", "KSNS")
        assert data["start"] == "2026-06-02T16:00:00Z" and data["end"] == "2026-06-02T18:00:00Z"
        assert (data["status"], data["weather_status"], data["rescheduled_to"]) == ("scheduled", "unknown", None)

    def test_overlap_is_409_with_the_conflicting_ids(self, api, now, owner, colleague, plane, open_hours):
        first = api.as_user(owner).post(BOOKINGS, body(plane, instructor=colleague.pk)).json()
        response = api.post(BOOKINGS, body(plane, instructor=colleague.pk, start="2026-06-02T17:30:00Z",
                                           end="2026-06-02T19:00:00Z"))
        assert response.status_code == 409
        assert response.json()["code"] == "booking_conflict"
        assert response.json()["conflicting_booking_ids"] == [first["id"]]
        assert Booking.objects.count() == 1

    @pytest.mark.parametrize("overrides,field", [
        ({"start": "2026-06-02T16:00:00"}, "start"),
        ({"end": "2026-06-02T15:00:00Z"}, "end"),
        ({"end": "2026-06-03T16:00:00Z"}, "end"),
        ({"start": "2026-05-30T16:00:00Z", "end": "2026-05-30T18:00:00Z"}, "start"),
        ({"departure_airport": "XXXX"}, "departure_airport"),
        ({"lesson_type": "aerobatics"}, "lesson_type"),
        ({"instructor": None}, "instructor"),
    ])
    def test_bad_input_is_a_clear_400_and_nothing_is_saved(self, api, now, owner, colleague, plane, open_hours,
                                                           overrides, field):
        response = api.as_user(owner).post(BOOKINGS, body(plane, **{"instructor": colleague.pk, **overrides}))
        assert response.status_code == 400, response.json()
        assert field in response.json()["fields"] and response.json()["message"]
        assert not Booking.objects.exists()

    @pytest.mark.parametrize("field,value,message", [
        ("student", "abc", "Incorrect type. Expected pk value, received str."),
        ("student", True, "Incorrect type. Expected pk value, received bool."),
        ("student", [1], "Incorrect type. Expected pk value, received list."),
        ("instructor", {"id": 1}, "Incorrect type. Expected pk value, received dict."),
        ("aircraft", 10**30, f'Invalid pk "{10**30}" - object does not exist.'),
        ("aircraft", -1, 'Invalid pk "-1" - object does not exist.'),
        ("aircraft", "", "This field may not be null."),
        ("instructor", 2**63, f'Invalid pk "{2**63}" - object does not exist.'),
    ])
    def test_a_party_that_is_not_an_id_of_one_is_named_in_the_400(self, api, now, staff, owner, colleague, plane,
                                                                  open_hours, field, value, message):
        data = {**body(plane, instructor=colleague.pk, student=owner.pk), field: value}
        response = api.as_user(staff).post(BOOKINGS, data, format="json")
        assert response.status_code == 400, response.json()
        assert response.json()["fields"] == {field: [message]}
        assert not Booking.objects.exists()

    def test_a_party_in_the_wrong_role_or_no_longer_active_does_not_exist(self, api, now, staff, owner, colleague,
                                                                         stranger, plane, open_hours):
        named = {"student": colleague.pk, "instructor": owner.pk}
        response = api.as_user(staff).post(BOOKINGS, body(plane, **named), format="json")
        assert response.status_code == 400
        assert response.json()["fields"] == {
            "student": [f'Invalid pk "{colleague.pk}" - object does not exist.'],
            "instructor": [f'Invalid pk "{owner.pk}" - object does not exist.']}
        type(stranger).objects.filter(pk=stranger.pk).update(is_active=False)
        response = api.post(BOOKINGS, body(plane, student=stranger.pk, instructor=colleague.pk), format="json")
        assert response.json()["fields"] == {"student": [f'Invalid pk "{stranger.pk}" - object does not exist.']}
        assert not Booking.objects.exists()
        response = api.post(BOOKINGS, body(plane, student=str(owner.pk), instructor=colleague.pk), format="json")
        assert response.status_code == 201 and response.json()["student"] == owner.pk

    def test_a_student_cannot_book_for_someone_else_or_override(self, api, now, owner, stranger, colleague, plane,
                                                               open_hours):
        client = api.as_user(owner)
        assert client.post(BOOKINGS, body(plane, instructor=colleague.pk, student=stranger.pk)).status_code == 403
        response = client.post(BOOKINGS, body(plane, instructor=colleague.pk, override_availability=True))
        assert response.status_code == 403 and response.json()["code"] == "override_not_allowed"
        assert not Booking.objects.exists()

    def test_staff_override_availability_but_never_an_overlap(self, api, now, owner, stranger, colleague, staff,
                                                              plane):
        client = api.as_user(staff)
        first = client.post(BOOKINGS, body(plane, instructor=colleague.pk, student=owner.pk))
        assert first.status_code == 400 and first.json()["code"] == "outside_availability"
        ok = client.post(BOOKINGS, body(plane, instructor=colleague.pk, student=owner.pk, override_availability=True))
        assert ok.status_code == 201
        clash = client.post(BOOKINGS, body(plane, instructor=colleague.pk, student=stranger.pk,
                                           override_availability=True))
        assert clash.status_code == 409


@pytest.mark.django_db
class TestWhoSeesWhat:
    @pytest.fixture
    def bookings(self, owner, stranger, colleague, plane, now):
        mine = BookingFactory(student=owner, instructor=colleague, aircraft=plane, start=at(2, 16), end=at(2, 18))
        theirs = BookingFactory(student=stranger, aircraft=plane, start=at(3, 16), end=at(3, 18))
        return mine, theirs

    def test_each_sees_only_what_they_may(self, api, owner, stranger, colleague, staff, bookings):
        mine, theirs = bookings

        def ids(user):
            return [b["id"] for b in api.as_user(user).get(BOOKINGS).json()["results"]]

        assert ids(owner) == [mine.pk]
        assert ids(stranger) == [theirs.pk]
        assert ids(colleague) == [mine.pk]
        assert ids(staff) == [mine.pk, theirs.pk]

    def test_a_strangers_booking_is_404_everywhere(self, api, stranger, bookings):
        mine, _ = bookings
        client = api.as_user(stranger)
        assert client.get(f"{BOOKINGS}{mine.pk}/").status_code == 404
        assert client.patch(f"{BOOKINGS}{mine.pk}/", {"notes": "x"}).status_code == 404
        assert client.post(f"{BOOKINGS}{mine.pk}/cancel/", {"reason": "mine now"}).status_code == 404
        mine.refresh_from_db()
        assert mine.status == "scheduled"

    def test_anonymous_is_401(self, api, bookings):
        assert api.get(BOOKINGS).status_code == 401

    def test_filters(self, api, staff, owner, plane, bookings):
        client = api.as_user(staff)
        mine, theirs = bookings
        assert [b["id"] for b in client.get(BOOKINGS, {"student": owner.pk}).json()["results"]] == [mine.pk]
        later = client.get(BOOKINGS, {"start_after": "2026-06-03T00:00:00Z", "aircraft": plane.pk}).json()
        assert [b["id"] for b in later["results"]] == [theirs.pk]
        assert client.get(BOOKINGS, {"status": "cancelled"}).json()["count"] == 0
        bad = client.get(BOOKINGS, {"status": "lost", "start_after": "yesterday"})
        assert bad.status_code == 400 and {"status", "start_after"} <= set(bad.json()["fields"])

    def test_list_costs_the_same_whatever_the_page_size(self, api, staff, plane, django_assert_max_num_queries,
                                                        now):
        for day in range(2, 30):
            BookingFactory(aircraft=plane, start=at(day, 16), end=at(day, 18))
        client = api.as_user(staff)
        with django_assert_max_num_queries(3):
            small = client.get(BOOKINGS, {"page_size": 2})
        with django_assert_max_num_queries(3):
            large = client.get(BOOKINGS, {"page_size": 100})
        assert len(small.json()["results"]) == 2 and len(large.json()["results"]) == 28


@pytest.mark.django_db
class TestUpdateAndCancel:
    def test_weather_status_is_read_only(self, api, now, owner, colleague, plane):
        booking = BookingFactory(student=owner, instructor=colleague, aircraft=plane)
        response = api.as_user(owner).patch(f"{BOOKINGS}{booking.pk}/", {"weather_status": "ok"})
        assert response.status_code == 400 and "weather_status" in response.json()["fields"]
        booking.refresh_from_db()
        assert booking.weather_status == "unknown"

    def test_staff_mark_completed_students_cannot(self, api, now, owner, colleague, staff, plane):
        booking = BookingFactory(student=owner, instructor=colleague, aircraft=plane)
        assert api.as_user(owner).patch(f"{BOOKINGS}{booking.pk}/", {"status": "completed"}).status_code == 403
        assert api.as_user(colleague).patch(f"{BOOKINGS}{booking.pk}/", {"status": "confirmed"}).json()[
            "status"] == "confirmed"
        assert api.as_user(staff).patch(f"{BOOKINGS}{booking.pk}/", {"status": "completed"}).json()[
            "status"] == "completed"
        assert api.as_user(staff).patch(f"{BOOKINGS}{booking.pk}/", {"status": "cancelled"}).status_code == 400

    def test_student_moves_own_booking_inside_availability(self, api, now, owner, colleague, plane, open_hours):
        booking = BookingFactory(student=owner, instructor=colleague, aircraft=plane, start=at(2, 16), end=at(2, 18))
        response = api.as_user(owner).put(f"{BOOKINGS}{booking.pk}/", {"start": "2026-06-04T09:00:00-07:00",
                                                                        "end": "2026-06-04T11:00:00-07:00"})
        assert response.status_code == 200, response.json()
        assert response.json()["start"] == "2026-06-04T16:00:00Z"

    def test_cancel_records_who_and_why(self, api, now, owner, colleague, plane):
        booking = BookingFactory(student=owner, instructor=colleague, aircraft=plane)
        missing = api.as_user(colleague).post(f"{BOOKINGS}{booking.pk}/cancel/", {})
        assert missing.status_code == 400 and "reason" in missing.json()["fields"]
        response = api.post(f"{BOOKINGS}{booking.pk}/cancel/", {"reason": "Instructor sick"})
        assert response.status_code == 200 and response.json()["status"] == "cancelled"
        event = AuditEvent.objects.get(action="booking.cancelled", object_id=str(booking.pk))
        assert event.actor == colleague and event.after["cancel_reason"] == "Instructor sick"
        again = api.post(f"{BOOKINGS}{booking.pk}/cancel/", {"reason": "again"})
        assert again.status_code == 409 and again.json()["code"] == "booking_not_cancellable"

    def test_rescheduled_links_show_both_ways(self, api, now, owner):
        old = BookingFactory(student=owner, status="rescheduled")
        new = BookingFactory(student=owner, rescheduled_from=old, start=at(9, 16), end=at(9, 18))
        listed = {b["id"]: b for b in api.as_user(owner).get(BOOKINGS).json()["results"]}
        assert listed[old.pk]["rescheduled_to"] == new.pk and listed[new.pk]["rescheduled_from"] == old.pk
        assert api.get(f"{BOOKINGS}{old.pk}/").json()["rescheduled_to"] == new.pk


@pytest.mark.django_db
class TestAirportsAndAircraft:
    def test_search_adds_a_known_icao_code_on_first_use(self, api, owner):
        response = api.as_user(owner).get("/api/v1/airports/", {"search": "ksns"})
        assert [a["icao"] for a in response.json()["results"]] == ["KSNS"]
        assert response.json()["results"][0]["time_zone"] == "America/Los_Angeles"
        assert api.get("/api/v1/airports/KMRY/").json()["name"] == "Monterey Regional Airport"
        assert api.get("/api/v1/airports/QQQQ/").status_code == 404
        assert api.get("/api/v1/airports/", {"search": "Salinas"}).json()["count"] == 1

    def test_staff_edit_runway_headings(self, api, owner, staff, kpao):
        assert api.as_user(owner).patch("/api/v1/airports/KPAO/", {"runway_headings": [90]}).status_code == 403
        client = api.as_user(staff)
        bad = client.patch("/api/v1/airports/KPAO/", {"runway_headings": [400]})
        assert bad.status_code == 400 and "runway_headings" in bad.json()["fields"]
        response = client.patch("/api/v1/airports/KPAO/", {"runway_headings": [310, 130]})
        assert response.json()["runway_headings"] == [130, 310]

    def test_aircraft_staff_write_everyone_reads(self, api, owner, staff, kpao):
        new = {"tail_number": "n123ab", "model": "Piper PA-28-181", "home_airport": "KPAO"}
        assert api.as_user(owner).post("/api/v1/aircraft/", new).status_code == 403
        created = api.as_user(staff).post("/api/v1/aircraft/", new)
        assert created.status_code == 201 and created.json()["tail_number"] == "N123AB"
        assert api.post("/api/v1/aircraft/", new).status_code == 400
        down = api.patch(f"/api/v1/aircraft/{created.json()['id']}/", {"status": "maintenance"})
        assert down.json()["status"] == "maintenance"
        listed = api.as_user(owner).get("/api/v1/aircraft/", {"status": "maintenance"}).json()
        assert [a["tail_number"] for a in listed["results"]] == ["N123AB"]

    def test_aircraft_list_is_flat_in_queries(self, api, owner, django_assert_max_num_queries):
        AirportFactory()
        for _ in range(30):
            AircraftFactory()
        with django_assert_max_num_queries(3):
            assert api.as_user(owner).get("/api/v1/aircraft/", {"page_size": 100}).json()["count"] == 30


@pytest.mark.django_db
def test_why_a_flight_is_held_reads_the_same_in_the_list_and_the_booking(api, now, owner, colleague, plane):
    held = BookingFactory(student=owner, instructor=colleague, aircraft=plane, status="weather_hold",
                          status_before_hold="scheduled", hold_reason="maintenance")
    client = api.as_user(owner)
    one = client.get(f"{BOOKINGS}{held.pk}/").json()
    listed = client.get(BOOKINGS).json()["results"]
    assert listed == [one]
    assert (one["status"], one["hold_reason"], one["cancel_reason_code"], one["late_cancellation"]) == (
        "weather_hold", "maintenance", "", False)
