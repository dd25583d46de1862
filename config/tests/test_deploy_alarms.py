"""`manage.py create_alarms` against moto's CloudWatch, CloudWatch Logs and STS on loopback."""

import io
import json

import boto3
import pytest
from django.core.management import CommandError, call_command

from audit.alarms import NAMESPACE
from config.tests.deploy_support import FAKE_AWS_CREDENTIALS, moto_server

TOPIC = "arn:aws:sns:us-east-1:123456789012:fsp-oncall"


@pytest.fixture
def aws(monkeypatch):
    with moto_server() as endpoint:
        for key, value in FAKE_AWS_CREDENTIALS.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        yield boto3.session.Session(region_name="us-east-1")


def create_alarms(*args) -> str:
    out = io.StringIO()
    call_command("create_alarms", *args, stdout=out)
    return out.getvalue()


def alarms_by_name(session) -> dict:
    return {a["AlarmName"]: a for a in session.client("cloudwatch").describe_alarms()["MetricAlarms"]}


HEARTBEATS = {
    "FlightSchedulePro-production-WeatherMonitorHeartbeat",
    "FlightSchedulePro-production-RescheduleDeadlinesHeartbeat",
    "FlightSchedulePro-production-NotificationDeliveryHeartbeat",
}


def test_creates_the_five_promised_alarms_with_their_thresholds(aws):
    output = create_alarms("--stage", "production")
    alarms = alarms_by_name(aws)
    assert set(alarms) == {
        "FlightSchedulePro-production-WeatherProviderFailures",
        "FlightSchedulePro-production-NotificationDeliveryLow",
        "FlightSchedulePro-production-LambdaErrorRate",
        "FlightSchedulePro-production-Api5xxRate",
        "FlightSchedulePro-production-RdsCpuHigh",
    } | HEARTBEATS
    weather = alarms["FlightSchedulePro-production-WeatherProviderFailures"]
    assert (weather["ComparisonOperator"], weather["Threshold"]) == ("GreaterThanThreshold", 5.0)
    queries = {q["Id"]: q for q in weather["Metrics"]}
    assert queries["failures"]["Expression"] == "100 - success"
    assert queries["success"]["MetricStat"]["Metric"] == {
        "Namespace": NAMESPACE, "MetricName": "WeatherProviderSuccessRate",
        "Dimensions": [{"Name": "Job", "Value": "weather-monitor"}]}

    delivery = alarms["FlightSchedulePro-production-NotificationDeliveryLow"]
    assert (delivery["Namespace"], delivery["MetricName"]) == (NAMESPACE, "NotificationDeliveryRate")
    assert (delivery["ComparisonOperator"], delivery["Threshold"]) == ("LessThanThreshold", 90.0)

    errors = alarms["FlightSchedulePro-production-LambdaErrorRate"]
    queries = {q["Id"]: q for q in errors["Metrics"]}
    assert queries["pct"]["Expression"] == "IF(total > 0, 100 * FILL(part, 0) / total, 0)"
    assert queries["part"]["MetricStat"]["Metric"]["MetricName"] == "Errors"
    assert queries["total"]["MetricStat"]["Metric"]["Dimensions"] == [
        {"Name": "FunctionName", "Value": "flight-schedule-pro-production"}]
    assert errors["Threshold"] == 5.0

    api = {q["Id"]: q for q in alarms["FlightSchedulePro-production-Api5xxRate"]["Metrics"]}
    assert api["part"]["MetricStat"]["Metric"]["MetricName"] == "5XXError"
    assert api["total"]["MetricStat"]["Metric"]["Namespace"] == "AWS/ApiGateway"
    assert {d["Name"]: d["Value"] for d in api["total"]["MetricStat"]["Metric"]["Dimensions"]} == {
        "ApiName": "flight-schedule-pro-production", "Stage": "production"}

    cpu = alarms["FlightSchedulePro-production-RdsCpuHigh"]
    assert (cpu["Namespace"], cpu["MetricName"], cpu["Threshold"]) == ("AWS/RDS", "CPUUtilization", 80.0)
    assert cpu["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": "flight-schedule-pro-production"}]

    assert "0 updated, 0 unchanged" in output and "10 created" in output


def test_each_scheduled_job_has_a_heartbeat_on_its_runs_where_missing_data_breaches(aws):
    create_alarms("--stage", "production")
    alarms = alarms_by_name(aws)
    expected = {  # alarm: (Job dimension the job's runs report under, minutes between runs in zappa_settings.json)
        "FlightSchedulePro-production-WeatherMonitorHeartbeat": ("weather-monitor", 10),
        "FlightSchedulePro-production-RescheduleDeadlinesHeartbeat": ("reschedule-deadlines", 5),
        "FlightSchedulePro-production-NotificationDeliveryHeartbeat": ("notifications.run_delivery", 2),
    }
    for name, (job, minutes) in expected.items():
        alarm = alarms[name]
        assert (alarm["Namespace"], alarm["MetricName"]) == (NAMESPACE, "JobRuns")
        assert alarm["Dimensions"] == [{"Name": "Job", "Value": job}]
        assert (alarm["Statistic"], alarm["Period"]) == ("Sum", minutes * 60)
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanThreshold", 1.0)
        assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (3, 3)
        assert alarm["TreatMissingData"] == "breaching"


def test_a_changed_schedule_updates_only_that_jobs_heartbeat(aws, tmp_path):
    from config.tests.deploy_support import ROOT

    stages = json.loads((ROOT / "zappa_settings.json").read_text())
    create_alarms("--stage", "staging")
    for event in stages["common"]["events"]:
        if event["function"] == "weather.jobs.run_monitor":
            event["expression"] = "rate(15 minutes)"
    changed = tmp_path / "zappa_settings.json"
    changed.write_text(json.dumps(stages))
    output = create_alarms("--stage", "staging", "--settings-file", str(changed))
    assert "0 created, 1 updated, 9 unchanged" in output
    assert "updated   alarm     FlightSchedulePro-staging-WeatherMonitorHeartbeat" in output
    assert alarms_by_name(aws)["FlightSchedulePro-staging-WeatherMonitorHeartbeat"]["Period"] == 900


def test_builds_the_main_dashboard_and_sets_log_retention_per_stage(aws):
    create_alarms("--stage", "production")
    create_alarms("--stage", "staging")
    cloudwatch, logs = aws.client("cloudwatch"), aws.client("logs")
    body = json.loads(cloudwatch.get_dashboard(DashboardName="FlightSchedulePro-Main")["DashboardBody"])
    titles = [w["properties"].get("title") for w in body["widgets"]]
    assert "Weather provider success rate (%)" in titles and "Notification delivery rate (%)" in titles
    alarm_widget = next(w for w in body["widgets"] if w["type"] == "alarm")
    assert len(alarm_widget["properties"]["alarms"]) == 8
    assert all(arn.startswith("arn:aws:cloudwatch:us-east-1:") for arn in alarm_widget["properties"]["alarms"])
    retention = {g["logGroupName"]: g.get("retentionInDays")
                 for g in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]}
    assert retention == {"/aws/lambda/flight-schedule-pro-production": 90,
                         "/aws/lambda/flight-schedule-pro-staging": 7}
    assert "FlightSchedulePro-Main-staging" in {
        d["DashboardName"] for d in cloudwatch.list_dashboards()["DashboardEntries"]}


def test_a_second_run_changes_nothing(aws):
    create_alarms("--stage", "production")
    before = alarms_by_name(aws)
    output = create_alarms("--stage", "production")
    assert "0 created, 0 updated, 10 unchanged" in output
    after = alarms_by_name(aws)
    # Not rewritten: put_metric_alarm would have bumped the configuration timestamp.
    assert {n: a["AlarmConfigurationUpdatedTimestamp"] for n, a in after.items()} == {
        n: a["AlarmConfigurationUpdatedTimestamp"] for n, a in before.items()}


def test_adding_an_sns_topic_updates_every_alarm(aws):
    create_alarms("--stage", "production")
    output = create_alarms("--stage", "production", "--sns-topic-arn", TOPIC)
    assert "0 created, 8 updated, 2 unchanged" in output
    for alarm in alarms_by_name(aws).values():
        assert alarm["AlarmActions"] == [TOPIC] and alarm["OKActions"] == [TOPIC]


def test_changed_retention_and_names_are_applied(aws):
    create_alarms("--stage", "staging")
    output = create_alarms("--stage", "staging", "--log-retention-days", "14", "--db-instance", "fsp-db-staging")
    assert "updated   log group /aws/lambda/flight-schedule-pro-staging" in output
    group = aws.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"][0]
    assert group["retentionInDays"] == 14
    cpu = alarms_by_name(aws)["FlightSchedulePro-staging-RdsCpuHigh"]
    assert cpu["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": "fsp-db-staging"}]


def test_an_unknown_stage_is_refused_before_anything_is_created(aws):
    with pytest.raises(CommandError, match="no stage 'prod'"):
        create_alarms("--stage", "prod")
    assert alarms_by_name(aws) == {}


def deployed_api(session, stage: str) -> str:
    """The REST API and stage `zappa deploy` leaves behind (a proxy resource, no throttling, no WAF)."""
    apigateway = session.client("apigateway")
    api_id = apigateway.create_rest_api(name=f"flight-schedule-pro-{stage}")["id"]
    root = apigateway.get_resources(restApiId=api_id)["items"][0]["id"]
    apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod="ANY", authorizationType="NONE")
    apigateway.put_integration(restApiId=api_id, resourceId=root, httpMethod="ANY", type="MOCK")
    apigateway.create_deployment(restApiId=api_id, stageName=stage)
    return api_id


def stage_throttling(session, api_id: str, stage: str) -> tuple:
    settings = session.client("apigateway").get_stage(restApiId=api_id, stageName=stage)["methodSettings"]["*/*"]
    return settings["throttlingRateLimit"], settings["throttlingBurstLimit"]


def test_production_gets_its_throttling_and_a_waf_rate_rule_once(aws):
    api_id = deployed_api(aws, "production")
    first = create_alarms("--stage", "production")
    assert "created   throttle  flight-schedule-pro-production/production 1000/s burst 2000" in first
    assert "created   waf       flight-schedule-pro-production-rate-limit" in first
    assert stage_throttling(aws, api_id, "production") == (1000.0, 2000)
    wafv2 = aws.client("wafv2")
    stage_arn = f"arn:aws:apigateway:us-east-1::/restapis/{api_id}/stages/production"
    acl = wafv2.get_web_acl_for_resource(ResourceArn=stage_arn)["WebACL"]
    assert acl["Name"] == "flight-schedule-pro-production-rate-limit"
    assert [r["Statement"]["RateBasedStatement"] for r in acl["Rules"]] == [{"Limit": 2000, "AggregateKeyType": "IP"}]
    assert [list(r["Action"]) for r in acl["Rules"]] == [["Block"]]

    again = create_alarms("--stage", "production")
    assert "0 created, 0 updated, 12 unchanged" in again
    assert len(wafv2.list_web_acls(Scope="REGIONAL")["WebACLs"]) == 1


def test_a_changed_throttle_is_put_back_and_staging_has_no_waf(aws):
    api_id = deployed_api(aws, "staging")
    aws.client("apigateway").update_stage(restApiId=api_id, stageName="staging", patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "50"}])
    output = create_alarms("--stage", "staging")
    assert "updated   throttle  flight-schedule-pro-staging/staging 500/s burst 1000" in output
    assert "waf" not in output
    assert stage_throttling(aws, api_id, "staging") == (500.0, 1000)
    assert aws.client("wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"] == []


def test_before_the_first_deploy_throttling_and_waf_wait_and_say_so(aws):
    output = create_alarms("--stage", "production")
    assert "skipped   throttle" in output and "skipped   waf" in output
    assert "2 skipped: API Gateway has no API flight-schedule-pro-production yet" in output
