"""The audit trail cannot be rewritten, not even by raw SQL: the database itself refuses."""

import pytest
from django.db import DatabaseError, connection, transaction

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
