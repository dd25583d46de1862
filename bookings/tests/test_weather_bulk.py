"""The weather monitor's set-based verdict write: a few statements for any number of bookings, audited per booking."""

import pytest

from audit.models import AuditEvent
from bookings import services
from bookings.models import Booking
from bookings.tests.factories import BookingFactory
from config.exceptions import ApplicationError
from config.request_context import job_context


@pytest.mark.django_db
class TestBookingsRecordWeatherBulk:
    def test_every_change_is_stored_and_audited_in_a_fixed_number_of_statements(
            self, now, django_assert_max_num_queries):
        bookings = [BookingFactory() for _ in range(12)]
        ok, marginal = bookings[:8], bookings[8:]
        changes = [(b.pk, "unknown", "ok") for b in ok] + [(b.pk, "unknown", "marginal") for b in marginal]
        with job_context("weather-monitor") as run_id, django_assert_max_num_queries(6):
            # a savepoint and its release, one locking read, one UPDATE per new status, one audit insert
            assert services.bookings_record_weather_bulk(changes=changes, checked_at=now) == 12
        stored = dict(Booking.objects.values_list("pk", "weather_status"))
        assert {stored[b.pk] for b in ok} == {"ok"} and {stored[b.pk] for b in marginal} == {"marginal"}
        assert set(Booking.objects.values_list("weather_checked_at", flat=True)) == {now}
        events = AuditEvent.objects.filter(action="booking.weather_changed")
        assert sorted(int(e.object_id) for e in events) == sorted(b.pk for b in bookings)
        assert {e.request_id for e in events} == {run_id}
        event = events.get(object_id=str(marginal[0].pk))
        assert event.before == {"weather_status": "unknown"}
        assert event.after["weather_status"] == "marginal"
        assert event.after["checked_at"].startswith(now.date().isoformat())

    def test_the_audited_before_is_what_the_database_held(self, now):
        booking = BookingFactory(weather_status="marginal")
        # The caller last saw "unknown"; another writer stored "marginal" meanwhile.
        services.bookings_record_weather_bulk(changes=[(booking.pk, "unknown", "ok")], checked_at=now)
        event = AuditEvent.objects.get(action="booking.weather_changed", object_id=str(booking.pk))
        assert event.before == {"weather_status": "marginal"}

    def test_an_unchanged_verdict_writes_no_audit_row_and_a_missing_booking_is_skipped(self, now):
        booking = BookingFactory(weather_status="ok")
        assert services.bookings_record_weather_bulk(
            changes=[(booking.pk, "ok", "ok"), (booking.pk + 1000, "unknown", "ok")], checked_at=now) == 0
        booking.refresh_from_db()
        assert booking.weather_checked_at == now
        assert not AuditEvent.objects.filter(action="booking.weather_changed").exists()

    def test_an_unknown_status_changes_nothing(self, now):
        first, second = BookingFactory(), BookingFactory()
        with pytest.raises(ApplicationError) as exc:
            services.bookings_record_weather_bulk(
                changes=[(first.pk, "unknown", "ok"), (second.pk, "unknown", "stormy")], checked_at=now)
        assert exc.value.code == "invalid" and "weather_status" in exc.value.fields
        assert set(Booking.objects.values_list("weather_status", flat=True)) == {"unknown"}
        assert not AuditEvent.objects.filter(action="booking.weather_changed").exists()

    def test_no_changes_no_statements(self, now, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert services.bookings_record_weather_bulk(changes=[], checked_at=now) == 0


@pytest.mark.postgres
@pytest.mark.django_db
def test_verdict_changes_rewrite_rows_in_place_without_touching_the_indexes(now):
    """The bookings table keeps room on its pages (fillfactor), so a verdict change is a heap-only update:
    none of the seventeen indexes, the three exclusion constraints among them, gets a new entry.

    The bookings were checked before, as nearly every booking a sweep judges was: a booking's very first
    verdict also fills its empty `weather_checked_at` (eight bytes more), and on a page filled right up to the
    fillfactor the last of its rows can then miss the room by a few bytes and move (seen: 1 row of a page of
    26)."""
    from datetime import timedelta

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'bookings_booking'")
        assert "fillfactor=50" in cursor.fetchone()[0]
    bookings = [BookingFactory(weather_checked_at=now - timedelta(hours=1)) for _ in range(40)]

    def updates() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_get_xact_tuples_updated(%s::regclass), "
                           "pg_stat_get_xact_tuples_hot_updated(%s::regclass)", ["bookings_booking"] * 2)
            return cursor.fetchone()

    before = updates()
    assert services.bookings_record_weather_bulk(changes=[(b.pk, "unknown", "ok") for b in bookings],
                                                 checked_at=now) == 40
    after = updates()
    assert (after[0] - before[0], after[1] - before[1]) == (40, 40)
