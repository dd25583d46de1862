from django.db import migrations


def student_pilots_by_day(apps, schema_editor):
    # The contract's default: a student pilot flies in daylight unless endorsed for night.
    apps.get_model("weather", "WeatherMinimums").objects.filter(training_level="student_pilot").update(
        night_allowed=False)


class Migration(migrations.Migration):
    dependencies = [("weather", "0004_daylight_solo_margins_confidence")]

    operations = [migrations.RunPython(student_pilots_by_day, migrations.RunPython.noop)]
