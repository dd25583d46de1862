"""Metrics: EMF log lines the jobs print, and `/api/v1/metrics/` for operations staff."""

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from audit.metrics import emit
from notifications.models import Channel
from notifications.tests.factories import NotificationFactory

URL = "/api/v1/metrics/"


def test_emit_writes_one_embedded_metric_format_line_and_returns_it():
    out = io.StringIO()

    payload = emit({"NotificationDeliveryRate": 97.5, "NotificationsSent": 39, "Skipped": None},
                   units={"NotificationDeliveryRate": "Percent", "NotificationsSent": "Count"},
                   dimensions={"Stage": "production"}, stream=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == payload
    directive = payload["_aws"]["CloudWatchMetrics"][0]
    assert directive == {
        "Namespace": "FlightSchedulePro",
        "Dimensions": [["Stage"], []],
        "Metrics": [{"Name": "NotificationDeliveryRate", "Unit": "Percent"},
                    {"Name": "NotificationsSent", "Unit": "Count"}],
    }
    assert payload["Stage"] == "production"
    assert payload["NotificationDeliveryRate"] == 97.5 and "Skipped" not in payload
    assert abs(payload["_aws"]["Timestamp"] - datetime.now(UTC).timestamp() * 1000) < 5000


def test_emit_without_dimensions_and_to_stdout(capsys):
    emit({"WeatherProviderSuccessRate": 100.0}, units={"WeatherProviderSuccessRate": "Percent"})

    line = json.loads(capsys.readouterr().out)
    assert line["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [[]]
    assert line["WeatherProviderSuccessRate"] == 100.0


def test_emit_refuses_a_unit_cloudwatch_does_not_know():
    with pytest.raises(ValueError, match="not a CloudWatch unit"):
        emit({"Latency": 1.0}, units={"Latency": "Minutes"}, stream=io.StringIO())


@pytest.mark.django_db
def test_staff_read_the_figures_of_a_period(api, staff, owner):
    now = timezone.now()
    NotificationFactory(recipient=owner, channel=Channel.EMAIL, status="sent", sent_at=now,
                        event_at=now - timedelta(seconds=20))
    NotificationFactory(recipient=owner, channel=Channel.EMAIL, status="failed", sent_at=None)

    response = api.as_user(staff).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["notification_delivery_rate"] == 0.5
    assert body["avg_seconds_detection_to_notification"] == pytest.approx(20, abs=0.01)
    assert body["notifications"]["sent"] == 1 and body["notifications"]["failed"] == 1
    for key in ("weather_provider_success_rate", "reschedule_acceptance_rate", "avg_seconds_conflict_to_confirmed"):
        assert key in body
    assert {"requests", "successes", "success_rate"} <= set(body["weather"])
    assert {"requests", "accepted", "acceptance_rate"} <= set(body["rescheduling"])
    since = datetime.fromisoformat(body["since"])
    until = datetime.fromisoformat(body["until"])
    assert until - since == timedelta(days=7)


@pytest.mark.django_db
def test_a_chosen_period_excludes_what_happened_outside_it(api, staff, owner):
    NotificationFactory(recipient=owner, channel=Channel.EMAIL, status="sent")

    response = api.as_user(staff).get(URL, {"since": "2020-01-01T00:00:00Z", "until": "2020-01-08T00:00:00Z"})

    assert response.status_code == 200
    assert response.json()["notifications"]["sent"] == 0
    assert response.json()["notification_delivery_rate"] is None
    assert response.json()["since"].startswith("2020-01-01T00:00:00")


@pytest.mark.django_db
@pytest.mark.parametrize("params", [
    {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
    {"since": "last tuesday"},
    {"since": "2020-01-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
])
def test_a_bad_period_is_a_clear_400(api, staff, params):
    response = api.as_user(staff).get(URL, params)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "since" in response.json()["fields"]


@pytest.mark.django_db
def test_only_operations_staff_see_metrics(api, owner, colleague):
    assert api.as_user(owner).get(URL).status_code == 403
    assert api.as_user(colleague).get(URL).status_code == 403
    api.credentials()
    assert api.get(URL).status_code == 401
