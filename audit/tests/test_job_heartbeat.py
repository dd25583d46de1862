"""Every run of a scheduled job writes its heartbeat metrics, also when it fails; the heartbeat alarms
(audit.alarms.heartbeat_alarms) watch them."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from audit.alarms import JOB_HEARTBEATS


def heartbeat_lines(text: str) -> list[dict]:
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{") and '"_aws"' in line]
    return [record for record in records if "JobRuns" in record]


@pytest.mark.django_db
def test_a_run_that_fails_still_reports_that_it_ran_and_failed(settings, capsys):
    from weather.jobs import run_monitor

    # A stage deployed with a misspelt provider: the monitor cannot even start judging.
    settings.WEATHER_PROVIDERS = ["aviationwether"]
    with pytest.raises(ImproperlyConfigured):
        run_monitor()
    [line] = heartbeat_lines(capsys.readouterr().out)
    assert (line["Job"], line["JobRuns"], line["JobFailures"]) == ("weather-monitor", 1, 1)
    assert line["JobSeconds"] >= 0
    directive = line["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "FlightSchedulePro" and directive["Dimensions"] == [["Job"], []]
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "JobRuns": "Count", "JobFailures": "Count", "JobSeconds": "Seconds"}


@pytest.mark.django_db
def test_each_job_reports_its_runs_under_the_name_its_heartbeat_watches(capsys):
    from notifications.jobs import run_delivery
    from rescheduling.jobs import run_deadlines
    from weather.jobs import run_monitor

    for job in (run_monitor, run_deadlines, run_delivery):
        job()
    lines = heartbeat_lines(capsys.readouterr().out)
    assert [(line["Job"], line["JobRuns"], line["JobFailures"]) for line in lines] == [
        (JOB_HEARTBEATS[function][0], 1, 0)
        for function in ("weather.jobs.run_monitor", "rescheduling.jobs.run_deadlines",
                         "notifications.jobs.run_delivery")]
