"""On PostgreSQL the database itself refuses overlapping active bookings for one student, instructor or aircraft.

Raw SQL rather than `ExclusionConstraint` so the same migrations also run on the SQLite development
database, where the service's write-locked check is the guard instead.
"""

from django.db import migrations

ACTIVE = "status IN ('scheduled', 'confirmed', 'weather_hold')"
PARTIES = ("student", "instructor", "aircraft")


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for party in PARTIES:
        schema_editor.execute(
            f"ALTER TABLE bookings_booking ADD CONSTRAINT booking_no_{party}_overlap "
            f"EXCLUDE USING gist ({party}_id WITH =, tstzrange(start, \"end\", '[)') WITH &&) "
            f"WHERE ({ACTIVE})"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for party in PARTIES:
        schema_editor.execute(f"ALTER TABLE bookings_booking DROP CONSTRAINT IF EXISTS booking_no_{party}_overlap")


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
