"""Operations staff edit the minimums, the night rule and the solo margins in the admin; every change is audited."""

import pytest

from audit.models import AuditEvent
from weather.models import WeatherMinimums


@pytest.mark.django_db
def test_staff_edit_night_and_solo_margins_in_the_admin_and_it_is_audited(client, staff):
    client.force_login(staff)
    row = WeatherMinimums.objects.get(training_level="student_pilot")
    assert row.night_allowed is False and float(row.solo_visibility_margin_sm) == 1.0
    page = client.get(f"/admin/weather/weatherminimums/{row.pk}/change/")
    assert page.status_code == 200 and b"solo_ceiling_margin_ft" in page.content
    form = {name: getattr(row, name) for name in ("ceiling_ft", "visibility_sm", "wind_kt", "gust_kt",
                                                  "crosswind_kt", "solo_visibility_margin_sm", "solo_wind_margin_kt")}
    response = client.post(f"/admin/weather/weatherminimums/{row.pk}/change/",
                           {**form, "solo_ceiling_margin_ft": 800, "night_allowed": "on"})
    assert response.status_code == 302, response.content[:2000]
    row.refresh_from_db()
    assert row.night_allowed is True and row.solo_ceiling_margin_ft == 800
    event = AuditEvent.objects.filter(action="weather.minimums_changed").latest("id")
    assert event.before["night_allowed"] is False and event.after["solo_ceiling_margin_ft"] == 800
