from django.db import migrations

# The contract's defaults (section 4), frozen here: later edits happen in the admin and are audited.
DEFAULTS = {
    "student_pilot": dict(ceiling_ft=3000, visibility_sm="5.00", wind_kt=10, gust_kt=15, crosswind_kt=8,
                          imc_allowed=False),
    "private_pilot": dict(ceiling_ft=1000, visibility_sm="3.00", wind_kt=20, gust_kt=25, crosswind_kt=15,
                          imc_allowed=False),
    "instrument_rated": dict(ceiling_ft=200, visibility_sm="0.50", wind_kt=30, gust_kt=35, crosswind_kt=20,
                             imc_allowed=True),
}


def seed(apps, schema_editor):
    WeatherMinimums = apps.get_model("weather", "WeatherMinimums")
    for level, values in DEFAULTS.items():
        WeatherMinimums.objects.get_or_create(training_level=level, defaults=values)


class Migration(migrations.Migration):
    dependencies = [("weather", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
