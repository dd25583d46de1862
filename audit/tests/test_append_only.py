"""The audit trail cannot be rewritten, not even by raw SQL: the database itself refuses."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from audit.services import audit_record

pytestmark = pytest.mark.postgres


@pytest.fixture
def event(staff):
    return audit_record(action="booking.created", object_type="booking", object_id=42, actor=staff,
                        after={"status": "scheduled"})


@pytest.mark.django_db
def test_a_raw_sql_update_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["booking.deleted", event.pk])

    event.refresh_from_db()
    assert event.action == "booking.created"


@pytest.mark.django_db
def test_a_raw_sql_delete_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])

    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_the_orm_cannot_change_or_delete_either(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(after={"status": "cancelled"})
    with pytest.raises(DatabaseError), transaction.atomic():
        event.delete()

    event.refresh_from_db()
    assert event.after == {"status": "scheduled"}


@pytest.mark.django_db
def test_appending_still_works(event, staff):
    audit_record(action="booking.cancelled", object_type="booking", object_id=42, actor=staff)

    assert list(AuditEvent.objects.filter(object_id="42").values_list("action", flat=True)) == [
        "booking.cancelled", "booking.created"]


@pytest.mark.django_db
def test_many_rows_travel_as_one_document_and_read_back_as_the_orm_would_write_them(staff):
    from audit.services import _INSERT_EVENTS_SQL, AUDIT_DOCUMENT_MIN_ROWS, audit_record_many
    from config.request_context import job_context

    events = [{"action": "booking.weather_changed", "object_type": "booking", "object_id": k,
               "before": {"weather_status": "unknown"}, "after": {"weather_status": "ok", "note": "Zürich ✈"}}
              for k in range(AUDIT_DOCUMENT_MIN_ROWS + 5)]
    events[3] = {**events[3], "actor": staff, "ip_address": "2001:db8::7", "before": None}
    with job_context("weather-monitor") as run_id, CaptureQueriesContext(connection) as queries:
        rows = audit_record_many(events=events)
    assert len([q for q in queries if "audit_auditevent" in q["sql"]]) == 1
    stored = {e.pk: e for e in AuditEvent.objects.filter(action="booking.weather_changed")}
    assert [r.object_id for r in rows] == [str(k) for k in range(len(events))]
    assert sorted(stored) == sorted(r.pk for r in rows)
    for row in rows:
        assert stored[row.pk].object_id == row.object_id and stored[row.pk].request_id == run_id
        assert stored[row.pk].created_at == row.created_at
    odd = stored[rows[3].pk]
    assert (odd.actor_id, odd.ip_address, odd.before) == (staff.pk, "2001:db8::7", None)
    assert stored[rows[0].pk].after == {"weather_status": "ok", "note": "Zürich ✈"}
    inserted = [c.strip() for c in _INSERT_EVENTS_SQL.split("(", 1)[1].split(")", 1)[0].split(",")]
    assert {f.column for f in AuditEvent._meta.concrete_fields} - {"id"} == set(inserted)


@pytest.mark.django_db
def test_one_row_is_one_statement_and_reads_back_as_written(staff):
    from config.request_context import job_context

    with job_context("weather-monitor") as run_id, CaptureQueriesContext(connection) as queries:
        event = audit_record(action="booking.created", object_type="booking", object_id=7, actor=staff,
                             before=None, after={"start": "2027-01-04T09:00:00Z", "note": "Zürich ✈"},
                             ip_address="2001:db8::7")
    assert len(queries) == 1
    stored = AuditEvent.objects.get(pk=event.pk)
    assert not event._state.adding and event._state.db == "default"
    for field in AuditEvent._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(event, field.attname), field.name
    assert (stored.actor_id, stored.object_id, stored.request_id, stored.before) == (staff.pk, "7", run_id, None)
    assert stored.after == {"start": "2027-01-04T09:00:00Z", "note": "Zürich ✈"}
    assert stored.created_at is not None


@pytest.mark.django_db
def test_a_before_or_after_that_events_share_is_made_json_safe_once_and_stored_on_each():
    from datetime import UTC, datetime

    from audit import services
    from audit.services import AUDIT_DOCUMENT_MIN_ROWS, audit_record_many

    checked = datetime(2026, 3, 1, 12, 30, 0, 250000, tzinfo=UTC)
    shared_after = {"weather_status": "ok", "checked_at": checked}
    own_after = {"weather_status": "conflict", "checked_at": checked}
    events = [{"action": "booking.weather_changed", "object_type": "booking", "object_id": k,
               "before": {"weather_status": "unknown"}, "after": own_after if k == 7 else shared_after}
              for k in range(AUDIT_DOCUMENT_MIN_ROWS + 5)]
    made_safe = []
    real = services._jsonable

    def counted(value):
        made_safe.append(value)
        return real(value)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "_jsonable", counted)
        rows = audit_record_many(events=events)
    # Each event's own before, the shared after once, the odd after once.
    assert len(made_safe) == len(events) + 2
    stored = {int(e.object_id): e for e in AuditEvent.objects.filter(action="booking.weather_changed")}
    assert stored[7].after == {"weather_status": "conflict", "checked_at": "2026-03-01T12:30:00.250Z"}
    assert {k: e.after["weather_status"] for k, e in stored.items() if k != 7} == {
        k: "ok" for k in range(len(events)) if k != 7}
    assert all(e.after["checked_at"] == "2026-03-01T12:30:00.250Z" for e in stored.values())
    assert rows[0].after == stored[0].after and rows[0].after is rows[1].after
