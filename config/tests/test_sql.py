"""`config.sql.instance_where`: rows by key read the way the ORM reads them, in one statement built once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.tests.factories import InstructorFactory, StudentFactory
from bookings.models import Aircraft, Airport
from bookings.tests.factories import AircraftFactory, AirportFactory
from config.sql import _ROW_STATEMENTS, instance_where, instances_where
from weather.models import WeatherMinimums


def fields_of(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


@pytest.mark.django_db
class TestInstanceWhere:
    def test_every_field_is_what_the_orm_reads(self):
        student = StudentFactory(night_endorsement=True, training_level="private_pilot")
        airport = AirportFactory(icao="KPAO", runway_headings=[130, 310])
        plane = AircraftFactory(home_airport=airport, max_crosswind_kt=12)
        for model, found in ((User, instance_where(User, pk=student.pk)),
                             (Airport, instance_where(Airport, icao="KPAO")),
                             (Aircraft, instance_where(Aircraft, id=plane.pk))):
            expected = model.objects.get(pk=found.pk)
            assert fields_of(found) == fields_of(expected)
            assert found._state.db == "default" and not found._state.adding
        # A JSON column comes back decoded, as through the ORM.
        assert instance_where(Airport, icao="KPAO").runway_headings == [130, 310]

    def test_one_statement_whose_text_is_built_once(self):
        student = StudentFactory()
        instance_where(User, pk=student.pk, role="student")
        statements = len(_ROW_STATEMENTS)
        with CaptureQueriesContext(connection) as queries:
            found = instance_where(User, pk=student.pk, role="student")
        assert found == student and len(queries) == 1
        assert len(_ROW_STATEMENTS) == statements

    def test_every_field_given_must_match(self):
        student, instructor = StudentFactory(), InstructorFactory()
        assert instance_where(User, pk=student.pk, role="student", is_active=True) == student
        assert instance_where(User, pk=instructor.pk, role="student") is None
        User.objects.filter(pk=student.pk).update(is_active=False)
        assert instance_where(User, pk=student.pk, role="student", is_active=True) is None
        assert instance_where(User, pk=10**6) is None

    def test_values_are_checked_as_the_orm_checks_them(self):
        student = StudentFactory()
        assert instance_where(User, pk=str(student.pk)) == student
        # Beyond the column's range is no row, not a database error (as the ORM's exact lookup answers).
        for value in (2**63, -(2**63) - 1, 10**30):
            assert instance_where(User, pk=value) is None
            assert not User.objects.filter(pk=value).exists()
        with pytest.raises(ValueError):
            instance_where(User, pk="abc")
        with pytest.raises(TypeError):
            instance_where(User, pk=[1])

    def test_many_rows_for_many_rows_and_refused_for_one(self):
        expected = {r.pk: fields_of(r) for r in WeatherMinimums.objects.all()}
        assert len(expected) == 3
        assert {r.pk: fields_of(r) for r in instances_where(WeatherMinimums)} == expected
        StudentFactory(), StudentFactory()
        with pytest.raises(User.MultipleObjectsReturned):
            instance_where(User, role="student")



@pytest.mark.django_db
def test_insert_instance_writes_what_save_would():
    from config.sql import insert_instance

    airport = AirportFactory.build(icao="KSNS", runway_headings=[80, 260])
    insert_instance(airport)
    assert airport.pk is not None and not airport._state.adding
    assert fields_of(Airport.objects.get(pk=airport.pk)) == fields_of(airport)
    # A second row gets its own key; the statement is the same.
    other = AirportFactory.build(icao="KMRY")
    insert_instance(other)
    assert other.pk != airport.pk and Airport.objects.filter(icao__in=["KSNS", "KMRY"]).count() == 2


def test_nothing_listens_for_the_saves_insert_instance_skips():
    from django.db.models.signals import post_save, pre_save

    from audit.models import AuditEvent
    from bookings.models import Booking

    for model in (AuditEvent, Booking):
        assert not pre_save.has_listeners(model) and not post_save.has_listeners(model), model


@pytest.mark.django_db
def test_insert_instance_refuses_an_unsaved_related_object_as_save_does():
    from config.sql import insert_instance

    plane = AircraftFactory.build(home_airport=AirportFactory.build(icao="KSQL"))
    with pytest.raises(ValueError, match="unsaved related object"):
        insert_instance(plane)
    assert not Aircraft.objects.exists() and not Airport.objects.filter(icao="KSQL").exists()
