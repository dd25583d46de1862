"""Twenty people press "book" at the same moment: exactly one wins, nineteen hear 409, nobody sees a 500."""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from bookings.models import Booking
from bookings.services import LOCK_NAMESPACES
from bookings.tests.factories import AircraftFactory, AirportFactory

THREADS = 20
BOOKINGS = "/api/v1/bookings/"


def post_all_at_once(bodies, user) -> list[int]:
    token = str(RefreshToken.for_user(user).access_token)
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(body):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait(timeout=30)
            status = client.post(BOOKINGS, body, format="json").status_code
        finally:
            connections.close_all()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=worker, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return sorted(statuses)


def slot(i: int) -> dict:
    # Every request overlaps every other one: all start within the first one's two hours.
    return {"start": f"2027-03-02T16:{i:02d}:00Z", "end": f"2027-03-02T18:{i:02d}:00Z"}


@pytest.fixture
def school(transactional_db):
    airport = AirportFactory()
    return {
        "staff": AdminFactory(),
        "students": [StudentFactory() for _ in range(THREADS)],
        "instructors": [InstructorFactory() for _ in range(THREADS)],
        "aircraft": [AircraftFactory(home_airport=airport) for _ in range(THREADS)],
    }


def body(*, student, instructor, aircraft, i):
    return {"student": student.pk, "instructor": instructor.pk, "aircraft": aircraft.pk, "departure_airport": "KPAO",
            "lesson_type": "dual", "override_availability": True, **slot(i)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("shared", ["aircraft", "instructor", "student"])
def test_twenty_simultaneous_requests_for_one_party_give_one_booking(school, shared):
    def party(kind, i):
        return school[{"aircraft": "aircraft", "instructor": "instructors", "student": "students"}[kind]][
            0 if kind == shared else i]

    bodies = [body(student=party("student", i), instructor=party("instructor", i), aircraft=party("aircraft", i), i=i)
              for i in range(THREADS)]
    statuses = post_all_at_once(bodies, school["staff"])
    assert statuses == [201] + [409] * (THREADS - 1)
    assert Booking.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(BOOKING_LOCK_TIMEOUT_SECONDS=0.2)
def test_a_lock_held_too_long_is_409_with_retry_after(school):
    aircraft = school["aircraft"][0]
    holding, release = threading.Event(), threading.Event()

    def hold_the_aircraft():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACES["aircraft"], aircraft.pk])
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_aircraft)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(school['staff']).access_token}")
        response = client.post(BOOKINGS, body(student=school["students"][0], instructor=school["instructors"][0],
                                              aircraft=aircraft, i=0), format="json")
    finally:
        release.set()
        holder.join(timeout=30)
    assert response.status_code == 409
    assert response.json()["code"] == "booking_busy" and response["Retry-After"] == "1"
    assert not Booking.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_one_statement_takes_every_lock_and_puts_the_lock_timeout_back(django_assert_num_queries):
    from bookings.services.rules import lock_parties

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', '1234ms', true)")
        with django_assert_num_queries(1):
            lock_parties(student_id=11, instructor_id=22, aircraft_id=33)
        cursor.execute("SELECT current_setting('lock_timeout')")
        assert cursor.fetchone()[0] == "1234ms"
        cursor.execute("SELECT classid, objid FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                       "AND granted ORDER BY classid")
        assert cursor.fetchall() == sorted([(LOCK_NAMESPACES["student"], 11), (LOCK_NAMESPACES["instructor"], 22),
                                            (LOCK_NAMESPACES["aircraft"], 33)])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_request_that_loses_on_the_exclusion_constraint_answers_409_and_leaves_nothing(school):
    """Something that takes no party lock (a script, the admin) inserts an overlapping booking and commits while
    the request's insert waits on it: the request's own transaction rolls back whole, and the answer is the 409
    naming that booking, as with a savepoint around the insert."""
    from audit.models import AuditEvent

    aircraft, airport = school["aircraft"][0], school["aircraft"][0].home_airport
    inserted, release = threading.Event(), threading.Event()
    other: list[Booking] = []

    def script():
        with transaction.atomic():
            other.append(Booking.objects.create(
                student=school["students"][1], instructor=school["instructors"][1], aircraft=aircraft,
                departure_airport=airport, destination_airport=airport, lesson_type="dual",
                start="2027-03-02T16:30:00Z", end="2027-03-02T18:30:00Z"))
            inserted.set()
            release.wait(10)
        connections.close_all()

    thread = threading.Thread(target=script)
    thread.start()
    inserted.wait(10)
    answers = []

    def request():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(school['staff']).access_token}")
        answers.append(client.post(BOOKINGS, body(student=school["students"][0], instructor=school["instructors"][0],
                                                  aircraft=aircraft, i=0), format="json"))
        connections.close_all()

    requester = threading.Thread(target=request)
    requester.start()
    # Let the script commit only once the request's insert is waiting on its row: past every check before it.
    waiting = False
    for _ in range(200):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND query LIKE 'INSERT INTO \"bookings_booking\"%%'")
            waiting = cursor.fetchone()[0] == 1
        if waiting:
            break
        time.sleep(0.05)
    release.set()
    thread.join(20)
    requester.join(20)
    [response] = answers

    assert waiting
    assert response.status_code == 409
    answer = response.json()
    assert answer["code"] == "booking_conflict" and answer["conflicting_booking_ids"] == [other[0].pk]
    assert list(Booking.objects.values_list("pk", flat=True)) == [other[0].pk]
    assert not AuditEvent.objects.filter(action="booking.created").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_creation_request_needs_no_savepoint_of_its_own(school):
    """As the outermost transaction the insert goes without a savepoint pair (a lost race rolls it all back and is
    still the 409 above)."""
    from django.test.utils import CaptureQueriesContext

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(school['staff']).access_token}")
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(BOOKINGS, body(student=school["students"][0], instructor=school["instructors"][0],
                                              aircraft=school["aircraft"][0], i=0), format="json")

    assert response.status_code == 201
    statements = [q["sql"] for q in ctx.captured_queries]
    assert not [sql for sql in statements if "SAVEPOINT" in sql]
    # The token's user, student, instructor, aircraft; BEGIN, the airport, the party locks, the overlap check,
    # the aircraft's exceptions, the minimums and forecasts it is judged by, the insert, its audit row, COMMIT.
    assert len(statements) == 14
