"""CloudWatch alarms, the main dashboard and log retention for one deployed stage.

The alarms are the ones operators were promised: weather provider failures over 5 %, notification delivery
under 90 %, Lambda errors over 5 %, API 5xx over 5 % and RDS CPU over 80 %, plus one heartbeat per scheduled job
that fires when the job stops reporting runs (missing data breaches). The app's own figures come from the
Embedded Metric Format lines the jobs print (`audit.metrics.emit`, namespace FlightSchedulePro); the rest are
the metrics AWS keeps for Lambda, API Gateway and RDS. Percentages AWS does not publish are metric math.

Applying is idempotent: each alarm carries a fingerprint of its definition in its description, so a second
run compares and reports "unchanged" instead of rewriting it (put_metric_alarm would also reset its state).
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

NAMESPACE = "FlightSchedulePro"
MAIN_DASHBOARD = "FlightSchedulePro-Main"
DEFAULT_PROJECT = "flight-schedule-pro"
# How long each stage keeps its logs: Zappa has no setting for it, so `create_alarms` applies it.
DEFAULT_LOG_RETENTION_DAYS = {"staging": 7, "production": 90}

# API Gateway's stage-wide throttling (steady requests per second, burst), and in production a WAF rule that
# blocks one address sending more than WAF_RATE_LIMIT requests in five minutes.
API_THROTTLING = {"staging": (500, 1000), "production": (1000, 2000)}
WAF_STAGES = ("production",)
WAF_RATE_LIMIT = 2000

CREATED, UPDATED, UNCHANGED, SKIPPED = "created", "updated", "unchanged", "skipped"

# The dimensions each job emits its figures with: a CloudWatch metric is its name *and* its dimensions, so an
# alarm on the bare name would watch a metric nobody writes. config/tests/test_deploy.py checks these against
# what the jobs really print.
WEATHER_SUCCESS = ("WeatherProviderSuccessRate", {"Job": "weather-monitor"})
DELIVERY_RATE = ("NotificationDeliveryRate", {})
DETECTION_LATENCY = ("DetectionToNotificationSeconds", {})

# Each scheduled job (the Zappa event's function), the Job dimension its runs report under
# (config.request_context.job_context writes JobRuns on every run, failed ones included) and its alarm.
JOB_RUNS = "JobRuns"
JOB_HEARTBEATS = {
    "weather.jobs.run_monitor": ("weather-monitor", "WeatherMonitorHeartbeat"),
    "rescheduling.jobs.run_deadlines": ("reschedule-deadlines", "RescheduleDeadlinesHeartbeat"),
    "notifications.jobs.run_delivery": ("notifications.run_delivery", "NotificationDeliveryHeartbeat"),
}
# The contract's rates, for when the stage's events cannot be read from zappa_settings.json.
DEFAULT_JOB_RATES_MINUTES = {"weather.jobs.run_monitor": 10, "rescheduling.jobs.run_deadlines": 5,
                             "notifications.jobs.run_delivery": 2}
# A heartbeat fires after this many scheduled runs in a row reported nothing: one late or lost run is not news.
HEARTBEAT_MISSED_RUNS = 3
_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_RATE_MINUTES = {"minute": 1, "minutes": 1, "hour": 60, "hours": 60, "day": 1440, "days": 1440}


@dataclass(frozen=True)
class StageResources:
    """Names of what Zappa and the operator created for one stage."""

    stage: str
    region: str
    function_name: str  # the Lambda function; Zappa names it "<project_name>-<stage>"
    api_name: str  # the API Gateway REST API; Zappa gives it the function's name
    db_instance: str  # the RDS instance identifier (docs/DEPLOYMENT.md names it the same way)
    log_retention_days: int
    # (Zappa event function, minutes between runs) of each scheduled job of the stage.
    job_rates: tuple[tuple[str, int], ...] = field(default=tuple(DEFAULT_JOB_RATES_MINUTES.items()))

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def dashboard_name(self) -> str:
        # One account per stage is the recommended layout; a shared account still gets one dashboard each.
        return MAIN_DASHBOARD if self.stage == "production" else f"{MAIN_DASHBOARD}-{self.stage}"

    def alarm_name(self, short: str) -> str:
        return f"FlightSchedulePro-{self.stage}-{short}"


def stage_resources(*, stage: str, settings_file: Path | None = None, region: str | None = None,
                    function_name: str | None = None, api_name: str | None = None, db_instance: str | None = None,
                    log_retention_days: int | None = None) -> StageResources:
    """Resolve a stage from zappa_settings.json (following `extends`), letting explicit values win."""
    config = _zappa_stage(settings_file, stage) if settings_file and settings_file.is_file() else {}
    default_name = f"{config.get('project_name', DEFAULT_PROJECT)}-{stage}"
    function_name = function_name or default_name
    retention = log_retention_days or DEFAULT_LOG_RETENTION_DAYS.get(stage, 30)
    return StageResources(
        stage=stage,
        region=region or config.get("aws_region") or "us-east-1",
        function_name=function_name,
        api_name=api_name or function_name,
        db_instance=db_instance or default_name,
        log_retention_days=int(retention),
        job_rates=_job_rates(config.get("events")),
    )


def _job_rates(events: list[dict] | None) -> tuple[tuple[str, int], ...]:
    if events is None:
        return tuple(DEFAULT_JOB_RATES_MINUTES.items())
    rates = []
    for event in events:
        function = event.get("function")
        match = _RATE.fullmatch(event.get("expression", "").strip())
        if function not in JOB_HEARTBEATS:
            continue
        # A cron expression has no single interval: the contract's rate is the expected one.
        minutes = int(match[1]) * _RATE_MINUTES[match[2]] if match else DEFAULT_JOB_RATES_MINUTES[function]
        rates.append((function, minutes))
    return tuple(rates)


def heartbeat_alarms(resources: StageResources) -> list[dict]:
    """One alarm per scheduled job on its JobRuns: it fires when HEARTBEAT_MISSED_RUNS runs in a row did not
    report, because the schedule is off or every invocation dies before the job starts. No data is the
    very thing watched here, so missing data breaches."""
    alarms = []
    for function, minutes in resources.job_rates:
        job, short = JOB_HEARTBEATS[function]
        period = max(60, minutes * 60)
        alarms.append({
            "AlarmName": resources.alarm_name(short),
            "AlarmDescription": (f"{function} reported no run in {HEARTBEAT_MISSED_RUNS} periods of {minutes} "
                                 f"minutes in a row (it is scheduled every {minutes} minutes)."),
            "Namespace": NAMESPACE,
            "MetricName": JOB_RUNS,
            "Dimensions": [{"Name": "Job", "Value": job}],
            "Statistic": "Sum",
            "Period": period,
            "ComparisonOperator": "LessThanThreshold",
            "Threshold": 1.0,
            "EvaluationPeriods": HEARTBEAT_MISSED_RUNS,
            "DatapointsToAlarm": HEARTBEAT_MISSED_RUNS,
            "TreatMissingData": "breaching",
        })
    return alarms


def _zappa_stage(path: Path, stage: str) -> dict:
    stages = json.loads(path.read_text())
    if stage not in stages:
        raise KeyError(f"{path.name} has no stage {stage!r} (it has: {', '.join(sorted(stages))})")
    resolved, seen = {}, set()
    while stage and stage not in seen:
        seen.add(stage)
        resolved = {**stages[stage], **resolved}
        stage = stages[stage].get("extends")
    return resolved


def _metric(namespace: str, name: str, dimensions: dict[str, str], *, stat: str, period: int) -> dict:
    return {
        "Metric": {
            "Namespace": namespace,
            "MetricName": name,
            "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions.items()],
        },
        "Period": period,
        "Stat": stat,
    }


def _percentage_of(*, numerator: dict, denominator: dict, label: str) -> list[dict]:
    """100 * numerator / denominator, and 0 (not missing) when nothing happened in the period."""
    return [
        {"Id": "part", "MetricStat": numerator, "ReturnData": False},
        {"Id": "total", "MetricStat": denominator, "ReturnData": False},
        {"Id": "pct", "Expression": "IF(total > 0, 100 * FILL(part, 0) / total, 0)", "Label": label,
         "ReturnData": True},
    ]


def alarm_definitions(resources: StageResources, *, sns_topic_arn: str | None = None) -> list[dict]:
    """`put_metric_alarm` arguments for every alarm of the stage, fingerprinted."""
    lambda_dims = {"FunctionName": resources.function_name}
    api_dims = {"ApiName": resources.api_name, "Stage": resources.stage}
    alarms = [
        {
            "AlarmName": resources.alarm_name("WeatherProviderFailures"),
            "AlarmDescription": "More than 5 % of weather provider requests failed (two 15-minute periods).",
            # The monitor publishes its success rate in percent every 10 minutes; failures are the rest.
            "Metrics": [
                {"Id": "success", "ReturnData": False,
                 "MetricStat": _metric(NAMESPACE, *WEATHER_SUCCESS, stat="Average", period=900)},
                {"Id": "failures", "Expression": "100 - success", "Label": "Weather provider failures (%)",
                 "ReturnData": True},
            ],
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 5.0,
            "EvaluationPeriods": 2,
            "DatapointsToAlarm": 2,
            # No bookings to check means no requests and no figure: quiet, not alarming.
            "TreatMissingData": "notBreaching",
        },
        {
            "AlarmName": resources.alarm_name("NotificationDeliveryLow"),
            "AlarmDescription": "Less than 90 % of notification emails were delivered (two 10-minute periods).",
            **_metric(NAMESPACE, *DELIVERY_RATE, stat="Average", period=600)["Metric"],
            "Statistic": "Average",
            "Period": 600,
            "ComparisonOperator": "LessThanThreshold",
            "Threshold": 90.0,
            "EvaluationPeriods": 2,
            "DatapointsToAlarm": 2,
            "TreatMissingData": "notBreaching",
        },
        {
            "AlarmName": resources.alarm_name("LambdaErrorRate"),
            "AlarmDescription": "More than 5 % of Lambda invocations (requests and jobs) failed.",
            "Metrics": _percentage_of(
                numerator=_metric("AWS/Lambda", "Errors", lambda_dims, stat="Sum", period=300),
                denominator=_metric("AWS/Lambda", "Invocations", lambda_dims, stat="Sum", period=300),
                label="Lambda errors (%)",
            ),
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 5.0,
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 2,
            "TreatMissingData": "notBreaching",
        },
        {
            "AlarmName": resources.alarm_name("Api5xxRate"),
            "AlarmDescription": "More than 5 % of API Gateway responses were 5xx.",
            "Metrics": _percentage_of(
                numerator=_metric("AWS/ApiGateway", "5XXError", api_dims, stat="Sum", period=300),
                denominator=_metric("AWS/ApiGateway", "Count", api_dims, stat="Sum", period=300),
                label="API 5xx (%)",
            ),
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 5.0,
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 2,
            "TreatMissingData": "notBreaching",
        },
        {
            "AlarmName": resources.alarm_name("RdsCpuHigh"),
            "AlarmDescription": "RDS CPU above 80 % for 15 minutes.",
            "Namespace": "AWS/RDS",
            "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": resources.db_instance}],
            "Statistic": "Average",
            "Period": 300,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 80.0,
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 3,
            # A database that stops reporting is itself a problem.
            "TreatMissingData": "breaching",
        },
        *heartbeat_alarms(resources),
    ]
    actions = [sns_topic_arn] if sns_topic_arn else []
    tags = [{"Key": "Project", "Value": "FlightSchedulePro"}, {"Key": "Stage", "Value": resources.stage}]
    for alarm in alarms:
        alarm.update(ActionsEnabled=True, AlarmActions=actions, OKActions=actions, Tags=tags)
        alarm["AlarmDescription"] += f" See docs/OPERATIONS.md. [config {fingerprint(alarm)}]"
    return alarms


def fingerprint(definition: dict) -> str:
    stable = {key: value for key, value in definition.items() if key not in {"AlarmDescription", "Tags"}}
    return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()[:16]


def dashboard_body(resources: StageResources, *, alarm_arns: list[str]) -> dict:
    region, fn, api, db = resources.region, resources.function_name, resources.api_name, resources.db_instance

    def graph(title, metrics, *, x, y, stat="Sum", period=300, width=12, unit_label=None):
        properties = {"title": title, "region": region, "view": "timeSeries", "stacked": False,
                      "stat": stat, "period": period, "metrics": metrics}
        if unit_label:
            properties["yAxis"] = {"left": {"label": unit_label, "min": 0}}
        return {"type": "metric", "x": x, "y": y, "width": width, "height": 6, "properties": properties}

    widgets = [
        {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {
            "markdown": f"## Flight Schedule Pro ({resources.stage})\nWhat each alarm means and what to do: "
                        "docs/OPERATIONS.md. App figures come from the jobs' Embedded Metric Format log lines."}},
        {"type": "alarm", "x": 0, "y": 2, "width": 24, "height": 3,
         "properties": {"title": "Alarms", "alarms": alarm_arns}},
        graph("Weather provider success rate (%)", [_widget_metric(*WEATHER_SUCCESS)],
              x=0, y=5, stat="Average", period=900, width=8, unit_label="%"),
        graph("Notification delivery rate (%)", [_widget_metric(*DELIVERY_RATE)],
              x=8, y=5, stat="Average", period=600, width=8, unit_label="%"),
        graph("Detection to notification (s)", [_widget_metric(*DETECTION_LATENCY)],
              x=16, y=5, stat="Average", period=600, width=8, unit_label="seconds"),
        {"type": "metric", "x": 0, "y": 11, "width": 24, "height": 6, "properties": {
            "title": "Every app metric (jobs)", "region": region, "view": "timeSeries", "stacked": False,
            "metrics": [[{"expression": f"SEARCH('{{{NAMESPACE}}}', 'Average', 600)", "id": "app",
                          "label": ""}]]}},
        graph("Lambda invocations, errors, throttles",
              [["AWS/Lambda", "Invocations", "FunctionName", fn], [".", "Errors", ".", "."],
               [".", "Throttles", ".", "."]], x=0, y=17),
        graph("Lambda duration (ms)", [["AWS/Lambda", "Duration", "FunctionName", fn, {"stat": "p95"}],
                                       ["...", {"stat": "Average"}]], x=12, y=17, stat="Average"),
        graph("API requests, 4xx, 5xx",
              [["AWS/ApiGateway", "Count", "ApiName", api, "Stage", resources.stage],
               [".", "4XXError", ".", ".", ".", "."], [".", "5XXError", ".", ".", ".", "."]], x=0, y=23),
        graph("API latency (ms)", [["AWS/ApiGateway", "Latency", "ApiName", api, "Stage", resources.stage,
                                    {"stat": "p95"}]], x=12, y=23, stat="Average"),
        graph("RDS CPU (%) and connections",
              [["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", db],
               [".", "DatabaseConnections", ".", ".", {"yAxis": "right"}]], x=0, y=29, stat="Average"),
        graph("RDS free storage (bytes)", [["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", db]],
              x=12, y=29, stat="Minimum"),
    ]
    job_metrics = [[NAMESPACE, metric, "Job", JOB_HEARTBEATS[function][0]]
                   for function, _ in resources.job_rates for metric in (JOB_RUNS, "JobFailures")]
    if job_metrics:
        widgets.append(graph("Scheduled job runs and failures", job_metrics, x=0, y=35, width=24))
    return {"start": "-PT12H", "periodOverride": "inherit", "widgets": widgets}


def _widget_metric(name: str, dimensions: dict[str, str]) -> list[str]:
    return [NAMESPACE, name, *[part for pair in dimensions.items() for part in pair]]


def _error_code(exc) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


def apply_alarms(*, cloudwatch, definitions: list[dict]) -> list[tuple[str, str]]:
    names = [d["AlarmName"] for d in definitions]
    existing = {}
    paginator = cloudwatch.get_paginator("describe_alarms")
    for page in paginator.paginate(AlarmNames=names, AlarmTypes=["MetricAlarm"]):
        existing.update({a["AlarmName"]: a.get("AlarmDescription", "") for a in page["MetricAlarms"]})
    outcomes = []
    for definition in definitions:
        name = definition["AlarmName"]
        if name in existing and f"[config {fingerprint(definition)}]" in existing[name]:
            outcomes.append((name, UNCHANGED))
            continue
        cloudwatch.put_metric_alarm(**definition)
        outcomes.append((name, UPDATED if name in existing else CREATED))
    return outcomes


def apply_dashboard(*, cloudwatch, name: str, body: dict) -> str:
    from botocore.exceptions import ClientError

    try:
        current = json.loads(cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"])
    except ClientError as exc:
        if _error_code(exc) not in {"ResourceNotFound", "ResourceNotFoundException"}:
            raise
        current = None
    if current == body:
        return UNCHANGED
    response = cloudwatch.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body))
    problems = [m.get("Message", "") for m in response.get("DashboardValidationMessages", [])]
    if problems:
        raise ValueError(f"CloudWatch refused parts of dashboard {name}: {'; '.join(problems)}")
    return CREATED if current is None else UPDATED


def apply_log_retention(*, logs, group: str, days: int) -> str:
    """Zappa leaves the function's log group at "never expire"; the stage's retention is set here."""
    groups = logs.describe_log_groups(logGroupNamePrefix=group).get("logGroups", [])
    current = next((g for g in groups if g["logGroupName"] == group), None)
    if current is None:
        # Lambda creates the group on the first invocation; creating it first lets retention apply from day one.
        logs.create_log_group(logGroupName=group)
    elif current.get("retentionInDays") == days:
        return UNCHANGED
    logs.put_retention_policy(logGroupName=group, retentionInDays=days)
    return CREATED if current is None else UPDATED


def _rest_api_id(apigateway, name: str) -> str | None:
    for page in apigateway.get_paginator("get_rest_apis").paginate():
        for api in page.get("items", []):
            if api["name"] == name:
                return api["id"]
    return None


def apply_api_throttling(*, apigateway, api_id: str, stage: str, rate: int, burst: int) -> str:
    """Stage-wide throttling on every method (`*/*`); Zappa deploys the API without any."""
    current = apigateway.get_stage(restApiId=api_id, stageName=stage).get("methodSettings", {}).get("*/*", {})
    if (current.get("throttlingRateLimit"), current.get("throttlingBurstLimit")) == (float(rate), burst):
        return UNCHANGED
    apigateway.update_stage(restApiId=api_id, stageName=stage, patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(rate)},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(burst)},
    ])
    return UPDATED if current else CREATED


def _waf_rules(limit: int) -> list[dict]:
    return [{"Name": "rate-per-address", "Priority": 0,
             "Statement": {"RateBasedStatement": {"Limit": limit, "AggregateKeyType": "IP"}},
             "Action": {"Block": {}},
             "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                                  "MetricName": "RatePerAddress"}}]


def apply_waf_rate_rule(*, wafv2, name: str, resource_arn: str, limit: int) -> str:
    """A regional web ACL with one rate-based rule, associated with the API's stage."""
    visibility = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}
    existing = next((acl for acl in wafv2.list_web_acls(Scope="REGIONAL").get("WebACLs", []) if acl["Name"] == name),
                    None)
    if existing is None:
        arn = wafv2.create_web_acl(Name=name, Scope="REGIONAL", DefaultAction={"Allow": {}}, Rules=_waf_rules(limit),
                                   VisibilityConfig=visibility)["Summary"]["ARN"]
        outcome = CREATED
    else:
        arn = existing["ARN"]
        acl = wafv2.get_web_acl(Name=name, Scope="REGIONAL", Id=existing["Id"])
        limits = [r["Statement"].get("RateBasedStatement", {}).get("Limit") for r in acl["WebACL"].get("Rules", [])]
        if limits == [limit]:
            outcome = UNCHANGED
        else:
            wafv2.update_web_acl(Name=name, Scope="REGIONAL", Id=existing["Id"], LockToken=acl["LockToken"],
                                 DefaultAction={"Allow": {}}, Rules=_waf_rules(limit), VisibilityConfig=visibility)
            outcome = UPDATED
    try:
        associated = wafv2.get_web_acl_for_resource(ResourceArn=resource_arn).get("WebACL", {}).get("ARN")
    except wafv2.exceptions.WAFNonexistentItemException:
        associated = None
    if associated != arn:
        wafv2.associate_web_acl(WebACLArn=arn, ResourceArn=resource_arn)
        outcome = UPDATED if outcome == UNCHANGED else outcome
    return outcome


def apply_stage_protection(*, resources: StageResources, session) -> list[tuple[str, str, str]]:
    """API Gateway throttling for the stage and, in production, the WAF rule; skipped until Zappa has
    created the API (run `create_alarms` again after the first deploy)."""
    apigateway = session.client("apigateway")
    api_id = _rest_api_id(apigateway, resources.api_name)
    rows = []
    rate, burst = API_THROTTLING.get(resources.stage, API_THROTTLING["staging"])
    label = f"{resources.api_name}/{resources.stage} {rate}/s burst {burst}"
    if api_id is None:
        rows.append(("throttle", label, SKIPPED))
    else:
        rows.append(("throttle", label, apply_api_throttling(apigateway=apigateway, api_id=api_id,
                                                             stage=resources.stage, rate=rate, burst=burst)))
    if resources.stage in WAF_STAGES:
        name = f"{resources.function_name}-rate-limit"
        if api_id is None:
            rows.append(("waf", name, SKIPPED))
        else:
            arn = f"arn:aws:apigateway:{resources.region}::/restapis/{api_id}/stages/{resources.stage}"
            rows.append(("waf", name, apply_waf_rate_rule(wafv2=session.client("wafv2"), name=name,
                                                          resource_arn=arn, limit=WAF_RATE_LIMIT)))
    return rows


def apply_stage_monitoring(*, resources: StageResources, sns_topic_arn: str | None = None,
                           session=None) -> list[tuple[str, str, str]]:
    """Alarms, dashboard, log retention, API throttling and (production) the WAF rule for one stage; returns
    (kind, name, outcome) rows."""
    import boto3

    session = session or boto3.session.Session(region_name=resources.region)
    cloudwatch = session.client("cloudwatch")
    definitions = alarm_definitions(resources, sns_topic_arn=sns_topic_arn)
    rows = [("alarm", name, outcome) for name, outcome in apply_alarms(cloudwatch=cloudwatch,
                                                                        definitions=definitions)]
    account = session.client("sts").get_caller_identity()["Account"]
    arns = [f"arn:aws:cloudwatch:{resources.region}:{account}:alarm:{d['AlarmName']}" for d in definitions]
    body = dashboard_body(resources, alarm_arns=arns)
    rows.append(("dashboard", resources.dashboard_name,
                 apply_dashboard(cloudwatch=cloudwatch, name=resources.dashboard_name, body=body)))
    rows.append(("log group", resources.log_group,
                 apply_log_retention(logs=session.client("logs"), group=resources.log_group,
                                     days=resources.log_retention_days)))
    return rows + apply_stage_protection(resources=resources, session=session)
