"""The bookings list renders plain rows (bookings.selectors.booking_rows) for speed; what a caller reads must stay
exactly what BookingSerializer shows for the same booking, and a page must cost a fixed number of queries."""

import pytest
from django.utils import timezone
from rest_framework import serializers

from audit.models import AuditEvent
from bookings.api.serializers import BookingSerializer
from bookings.models import Booking
from bookings.tests.conftest import at
from bookings.tests.factories import AirportFactory, BookingFactory

BOOKINGS = "/api/v1/bookings/"


@pytest.fixture
def school(owner, stranger, colleague, plane, kpao):
    ksns = AirportFactory(icao="KSNS", name="Salinas Municipal", city="Salinas", latitude=36.6628,
                          longitude=-121.6064, elevation_ft=85)
    old = BookingFactory(student=owner, instructor=colleague, aircraft=plane, start=at(2, 16), end=at(2, 18),
                         status="rescheduled")
    replacement = BookingFactory(student=owner, instructor=colleague, aircraft=plane, rescheduled_from=old,
                                 departure_airport=kpao, destination_airport=ksns, start=at(4, 16), end=at(4, 18),
                                 status="confirmed")
    solo = BookingFactory(student=stranger, instructor=None, lesson_type="solo", aircraft=plane,
                          start=at(3, 16, 30), end=at(3, 17, 45), weather_status="marginal")
    cancelled = BookingFactory(student=stranger, instructor=colleague, aircraft=plane, start=at(5, 9),
                               end=at(5, 10), status="cancelled")
    return [old, solo, replacement, cancelled]


def serialized(bookings):
    """The reference: DRF's own rendering, field by field, of BookingSerializer's declared fields."""
    return [dict(serializers.ModelSerializer.to_representation(BookingSerializer(), Booking.objects.get(pk=b.pk)))
            for b in bookings]


@pytest.mark.django_db
class TestListBody:
    def test_each_row_is_exactly_what_the_serializer_shows(self, api, staff, school):
        body = api.as_user(staff).get(BOOKINGS).json()
        assert body["count"] == 4 and body["next"] is None and body["previous"] is None
        assert body["results"] == serialized(school)
        assert [list(row) for row in body["results"]] == [list(row) for row in serialized(school)]
        old, solo, replacement, _ = body["results"]
        assert (old["rescheduled_to"], replacement["rescheduled_from"]) == (replacement["id"], old["id"])
        assert (replacement["departure_airport"], replacement["destination_airport"]) == ("KPAO", "KSNS")
        assert solo["instructor"] is None and solo["start"] == "2026-06-03T16:30:00Z"

    def test_one_booking_reads_the_same_as_in_the_list(self, api, owner, school):
        old, _, replacement, _ = school
        client = api.as_user(owner)
        listed = {row["id"]: row for row in client.get(BOOKINGS).json()["results"]}
        for booking in (old, replacement):
            assert client.get(f"{BOOKINGS}{booking.pk}/").json() == listed[booking.pk]
        assert listed[old.pk] == serialized([old])[0]

    def test_times_follow_the_active_time_zone_like_the_serializer(self, api, staff, school):
        with timezone.override("America/Los_Angeles"):
            rows = api.as_user(staff).get(BOOKINGS).json()["results"]
            assert rows == serialized(school)
        assert rows[0]["start"] == "2026-06-02T09:00:00-07:00"

    def test_each_person_still_sees_only_their_own(self, api, owner, stranger, colleague, school):
        old, solo, replacement, cancelled = school

        def ids(user, **query):
            return [row["id"] for row in api.as_user(user).get(BOOKINGS, query).json()["results"]]

        assert ids(owner) == [old.pk, replacement.pk]
        assert ids(stranger) == [solo.pk, cancelled.pk]
        assert ids(colleague) == [old.pk, replacement.pk, cancelled.pk]
        assert ids(stranger, student=owner.pk) == []

    def test_pages_without_filters_and_unknown_parameters_are_not_filters(self, api, staff, school):
        client = api.as_user(staff)
        first = client.get(BOOKINGS, {"page_size": 3, "ordering": "-start"}).json()
        assert [row["id"] for row in first["results"]] == [b.pk for b in school[:3]]
        assert first["count"] == 4 and first["next"].endswith("?ordering=-start&page=2&page_size=3")
        second = client.get(first["next"]).json()
        assert [row["id"] for row in second["results"]] == [school[3].pk] and second["previous"]
        assert client.get(BOOKINGS, {"page": 3, "page_size": 3}).status_code == 404


@pytest.mark.django_db
class TestListQueries:
    @pytest.mark.parametrize("who", ["staff", "owner", "colleague"])
    def test_a_page_is_two_queries_whatever_its_size(self, api, request, plane, school, who,
                                                     django_assert_num_queries):
        for day in range(6, 30):
            BookingFactory(student=request.getfixturevalue("owner"), instructor=request.getfixturevalue("colleague"),
                           aircraft=plane, start=at(day, 16), end=at(day, 18))
        client = api.as_user(request.getfixturevalue(who))
        # The signed-in user (JWT), then the count and the page in one statement, airports and replacements inside.
        with django_assert_num_queries(2):
            small = client.get(BOOKINGS, {"page_size": 2})
        with django_assert_num_queries(2):
            large = client.get(BOOKINGS, {"page_size": 100, "status": ["scheduled", "rescheduled"]})
        assert len(small.json()["results"]) == 2 and len(large.json()["results"]) >= 25
        # Exact counts of each whole list, not of the page.
        assert small.json()["count"] == len(client.get(BOOKINGS, {"page_size": 100}).json()["results"])
        assert large.json()["count"] == len(large.json()["results"])

    def test_another_time_zone_is_still_three_queries(self, api, staff, school, django_assert_num_queries):
        with timezone.override("America/Los_Angeles"), django_assert_num_queries(3):
            body = api.as_user(staff).get(BOOKINGS).json()
        assert body["count"] == 4 and body["results"][0]["start"] == "2026-06-02T09:00:00-07:00"


@pytest.mark.django_db
class TestPageWrittenByPostgres:
    def test_times_with_and_without_microseconds_read_as_drf_writes_them(self, api, staff, school):
        old = school[0]
        Booking.objects.filter(pk=old.pk).update(start=old.start.replace(microsecond=120),
                                                 end=old.end.replace(microsecond=0))
        row = api.as_user(staff).get(BOOKINGS).json()["results"][0]
        assert row == serialized([old])[0]
        assert row["start"] == "2026-06-02T16:00:00.000120Z" and row["end"] == "2026-06-02T18:00:00Z"

    def test_empty_lists_last_pages_and_bad_page_numbers_answer_as_before(self, api, staff, owner, school):
        assert api.as_user(owner).get(BOOKINGS, {"status": "completed"}).json() == {
            "count": 0, "next": None, "previous": None, "results": []}
        client = api.as_user(staff)
        last = client.get(BOOKINGS, {"page": "last", "page_size": 1}).json()
        assert last["count"] == 4 and last["next"] is None and last["results"] == serialized(school[3:])
        for page in ("0", "-1", "two", "9"):
            answer = client.get(BOOKINGS, {"page": page})
            assert answer.status_code == 404 and answer.json()["code"] == "not_found", page


@pytest.mark.django_db
def test_a_creation_costs_a_fixed_number_of_statements(api, staff, owner, colleague, plane, kpao,
                                                       django_assert_num_queries):
    body = {"student": owner.pk, "instructor": colleague.pk, "aircraft": plane.pk, "departure_airport": "KPAO",
            "start": at(8, 16).isoformat(), "end": at(8, 18).isoformat(), "override_availability": True}
    client = api.as_user(staff)
    # The user (JWT), student, instructor, aircraft, the airport once for a local flight, the three locks in one
    # statement, overlaps, availability exceptions, the minimums and the stored forecasts that judge the new
    # flight's weather at once, the insert in its savepoint, the audit row, and the savepoint pair of the
    # service's atomic block (a transaction outside tests). Before: 20.
    with django_assert_num_queries(16):
        answer = client.post(BOOKINGS, body, format="json")
    assert answer.status_code == 201
    assert answer.json()["departure_airport"] == answer.json()["destination_airport"] == "KPAO"
    assert AuditEvent.objects.filter(action="booking.created", object_id=str(answer.json()["id"])).count() == 1
