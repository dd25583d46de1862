"""The Lambda deployment, proven offline: the Zappa stages, secrets from a local fake of Secrets Manager, and
Zappa's own handler answering API Gateway and scheduled events with production settings."""

import base64
import json
import re
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from zappa.cli import ZappaCLI
from zappa.core import Zappa

from audit.alarms import stage_resources
from config.secrets import SecretsUnavailable, load_secrets_into_environment
from config.tests.deploy_support import (
    FAKE_AWS_CREDENTIALS,
    ROOT,
    child_env,
    moto_server,
    shared_database_url,
)
from tests.lambda_events import HEALTH_EVENT, scheduled_event

ZAPPA_SETTINGS = ROOT / "zappa_settings.json"
STAGES = ("staging", "production")
# Contract, section 5: the three jobs and how often each runs.
JOBS = {
    "weather.jobs.run_monitor": "rate(10 minutes)",
    "rescheduling.jobs.run_deadlines": "rate(5 minutes)",
    "notifications.jobs.run_delivery": "rate(2 minutes)",
}
SECRET_NAME = re.compile(r"(SECRET_KEY|PASSWORD|TOKEN|API_KEY|_KEY$|DATABASE_URL|BROKER_URL|EMAIL_URL)")


def zappa_cli(stage: str, monkeypatch) -> ZappaCLI:
    """The stage exactly as Zappa resolves it (extends, defaults), without touching AWS."""
    for key, value in FAKE_AWS_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_settings(str(ZAPPA_SETTINGS))
    return cli


# Runs Zappa's real handler module the way Lambda does: the generated `zappa_settings` module on the path,
# a cold process, one invocation per event. Prints nothing but what the app prints; results go to a file.
LAMBDA_DRIVER = textwrap.dedent("""
    import json, sys, types
    settings_dir, events_path, results_path = sys.argv[1:4]
    sys.path.insert(0, settings_dir)
    from zappa.handler import lambda_handler
    context = types.SimpleNamespace(function_name="flight-schedule-pro-production", memory_limit_in_mb=1024,
                                    aws_request_id="test-invocation", get_remaining_time_in_millis=lambda: 60000)
    results = []
    for event in json.load(open(events_path)):
        try:
            results.append({"result": lambda_handler(event, context)})
        except Exception as exc:
            results.append({"error": f"{type(exc).__name__}: {exc}"})
    json.dump(results, open(results_path, "w"), default=str)
""")


def invoke_lambda(tmp_path, *, events: list[dict], secrets_endpoint: str, extra_env=None):
    """Package-free cold start of the production stage: returns (results, stdout, stderr)."""
    cli = ZappaCLI()
    cli.api_stage = "production"
    cli.load_settings(str(ZAPPA_SETTINGS))
    (tmp_path / "zappa_settings.py").write_text(cli.get_zappa_settings_string())
    events_path, results_path = tmp_path / "events.json", tmp_path / "results.json"
    events_path.write_text(json.dumps(events))
    env = child_env(
        **FAKE_AWS_CREDENTIALS,
        AWS_ENDPOINT_URL_SECRETS_MANAGER=secrets_endpoint,
        # Anything that would leave this machine is pointed at a closed loopback port.
        AVIATIONWEATHER_BASE_URL="http://127.0.0.1:9", OPENWEATHERMAP_BASE_URL="http://127.0.0.1:9",
        WEATHERAPI_BASE_URL="http://127.0.0.1:9", ANTHROPIC_BASE_URL="http://127.0.0.1:9",
        EMAIL_URL="consolemail://",
        **(extra_env or {}),
    )
    completed = subprocess.run(
        [sys.executable, "-c", LAMBDA_DRIVER, str(tmp_path), str(events_path), str(results_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(results_path.read_text()), completed.stdout, completed.stderr


def put_secret(endpoint: str, name: str, values) -> None:
    """Create the secret, or give it a new value when an earlier test created it (names outlive values)."""
    import boto3

    client = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    text = values if isinstance(values, str) else json.dumps(values)
    try:
        client.create_secret(Name=name, SecretString=text)
    except client.exceptions.ResourceExistsException:
        client.put_secret_value(SecretId=name, SecretString=text)


@pytest.fixture(scope="module")
def secrets_endpoint():
    with moto_server() as url:
        yield url


# --- zappa_settings.json --------------------------------------------------------------------------

@pytest.mark.parametrize(("stage", "memory", "timeout", "retention"),
                         [("staging", 512, 30, 7), ("production", 1024, 60, 90)])
def test_each_stage_extends_common_with_its_size_and_log_retention(stage, memory, timeout, retention, monkeypatch):
    raw = json.loads(ZAPPA_SETTINGS.read_text())
    assert raw[stage]["extends"] == "common"
    cli = zappa_cli(stage, monkeypatch)
    assert cli.lambda_name == f"flight-schedule-pro-{stage}"
    assert cli.django_settings == "config.settings.production"
    assert cli.runtime == "python3.11"
    assert (cli.memory_size, cli.timeout_seconds) == (memory, timeout)
    assert "log_retention_days" not in cli.stage_config  # Zappa ignores it; create_alarms applies retention
    assert stage_resources(stage=stage).log_retention_days == retention
    assert cli.stage_config["vpc_config"]["SubnetIds"] and cli.stage_config["vpc_config"]["SecurityGroupIds"]


def _keys_zappa_reads() -> set[str]:
    """Every stage setting the installed Zappa looks up, read from its own source."""
    import zappa.cli
    import zappa.core

    source = Path(zappa.cli.__file__).read_text() + Path(zappa.core.__file__).read_text()
    keys = set(re.findall(r'stage_config(?:\.get\(|\[)\s*"([a-z0-9_]+)"', source))
    return keys | set(zappa.cli.CUSTOM_SETTINGS) | {"extends", "s3_bucket"}


@pytest.mark.parametrize("stage", ("common", *STAGES))
def test_every_key_of_zappa_settings_is_one_zappa_reads(stage):
    raw = json.loads(ZAPPA_SETTINGS.read_text())
    assert set(raw[stage]) - _keys_zappa_reads() == set()


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_schedules_the_three_jobs_at_the_contract_rates(stage, monkeypatch):
    cli = zappa_cli(stage, monkeypatch)
    scheduled = {event["function"]: event["expression"] for event in cli.stage_config["events"]}
    assert scheduled == JOBS
    # The same cadence as Celery beat, where a broker runs the jobs instead.
    beat = {entry["task"].replace(".tasks.", ".jobs."): entry["schedule"]
            for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {name: f"rate({int(seconds // 60)} minutes)" for name, seconds in beat.items()} == JOBS


@pytest.mark.parametrize("stage", STAGES)
def test_schedule_rule_names_lead_zappas_handler_back_to_the_job(stage, monkeypatch):
    cli = zappa_cli(stage, monkeypatch)
    core = Zappa.__new__(Zappa)
    for event in cli.stage_config["events"]:
        rule = core.get_scheduled_event_name(event, event["function"], cli.lambda_name)
        assert len(rule) <= 64
        # zappa.handler finds the function as the text after the rule name's last "-".
        assert rule.split("-")[-1] == event["function"]


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_may_read_only_its_own_secret_and_send_only_as_its_own_domain(stage, monkeypatch):
    from fnmatch import fnmatchcase

    cli = zappa_cli(stage, monkeypatch)
    variables = cli.stage_config["environment_variables"]
    other = next(s for s in STAGES if s != stage)
    secrets = [p["Resource"] for p in cli.stage_config["extra_permissions"]
               if "secretsmanager:GetSecretValue" in p["Action"]]
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:{}-AbC123"
    assert any(fnmatchcase(arn.format(variables["AWS_SECRETS_NAME"]), r) for r in secrets)
    assert not any(fnmatchcase(arn.format(f"flight-schedule-pro/{other}"), r) for r in secrets)
    assert not any(fnmatchcase(arn.format(f"flight-schedule-pro/{stage}-old"), r) for r in secrets)
    senders = [p["Resource"] for p in cli.stage_config["extra_permissions"] if "ses:SendRawEmail" in p["Action"]]
    domain = variables["SES_FROM_EMAIL"].rsplit("@", 1)[1]
    assert senders == [f"arn:aws:ses:*:*:identity/{domain}"]


@pytest.mark.parametrize(("stage", "cap"), [("staging", 20), ("production", 50)])
def test_each_stage_caps_its_concurrency_below_the_databases_connections(stage, cap, monkeypatch):
    # Each container holds at most one connection; a db.t3.micro allows about 80 (docs/DEPLOYMENT.md).
    assert zappa_cli(stage, monkeypatch).stage_config["lambda_concurrency"] == cap


@pytest.mark.parametrize("stage", STAGES)
def test_no_secret_is_written_into_the_settings_file(stage, monkeypatch):
    cli = zappa_cli(stage, monkeypatch)
    variables = {**cli.environment_variables, **cli.aws_environment_variables}
    assert variables["AWS_SECRETS_NAME"] == f"flight-schedule-pro/{stage}"
    leaked = [name for name in variables if SECRET_NAME.search(name)]
    assert leaked == []
    # The function's role may read exactly the stage secrets and send through SES.
    granted = {action for permission in cli.stage_config["extra_permissions"] for action in permission["Action"]}
    assert {"secretsmanager:GetSecretValue", "ses:SendRawEmail"} <= granted
    generated = cli.get_zappa_settings_string()
    assert "DJANGO_SETTINGS='config.settings.production'" in generated
    assert "SECRET_KEY" not in generated and "PASSWORD" not in generated


def test_every_per_account_placeholder_is_documented():
    placeholders = set(re.findall(r"[\w-]*EXAMPLE[\w-]*", ZAPPA_SETTINGS.read_text()))
    assert placeholders, "per-account ids are example values an operator replaces"
    guide = (ROOT / "docs" / "DEPLOYMENT.md").read_text()
    assert sorted(p for p in placeholders if p not in guide) == []


def test_package_leaves_out_the_virtualenv_tests_and_local_data(monkeypatch):
    cli = zappa_cli("production", monkeypatch)
    excluded = set(cli.stage_config["exclude"]) | set(cli.stage_config["exclude_glob"])
    assert {".venv", ".git", "*.sqlite3", ".env", "tests", "*/tests", "docs", "node_modules"} <= excluded


# --- Secrets Manager ------------------------------------------------------------------------------

@pytest.fixture
def aws_fake(secrets_endpoint, monkeypatch):
    for key, value in FAKE_AWS_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", secrets_endpoint)
    return secrets_endpoint


def test_secrets_fill_the_environment_and_the_environment_wins(aws_fake):
    name = f"fsp/{uuid.uuid4().hex}"
    put_secret(aws_fake, name, {"SECRET_KEY": "from-the-secret", "DATABASE_URL": "postgres://db/x",
                                   "CONN_MAX_AGE": 120, "DEBUG": False})
    environ = {"AWS_SECRETS_NAME": name, "AWS_REGION": "us-east-1", "DATABASE_URL": "postgres://override/y"}
    applied = load_secrets_into_environment(environ)
    assert sorted(applied) == ["CONN_MAX_AGE", "DEBUG", "SECRET_KEY"]
    assert environ["SECRET_KEY"] == "from-the-secret"
    assert environ["DATABASE_URL"] == "postgres://override/y"
    assert (environ["CONN_MAX_AGE"], environ["DEBUG"]) == ("120", "false")


def test_a_missing_secret_is_a_clear_error(aws_fake):
    environ = {"AWS_SECRETS_NAME": "fsp/does-not-exist", "AWS_REGION": "us-east-1"}
    with pytest.raises(SecretsUnavailable, match="fsp/does-not-exist.*ResourceNotFoundException.*no secret"):
        load_secrets_into_environment(environ)
    assert set(environ) == {"AWS_SECRETS_NAME", "AWS_REGION"}


def test_a_secret_that_is_not_a_json_object_is_refused(aws_fake):
    name = f"fsp/{uuid.uuid4().hex}"
    put_secret(aws_fake, name, "just-a-password")
    with pytest.raises(SecretsUnavailable, match="JSON object"):
        load_secrets_into_environment({"AWS_SECRETS_NAME": name})


def test_without_a_secret_name_nothing_is_read():
    environ = {"SECRET_KEY": "x"}
    assert load_secrets_into_environment(environ) == []
    assert environ == {"SECRET_KEY": "x"}


def _start_production(secrets_endpoint, **env):
    script = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=child_env(**FAKE_AWS_CREDENTIALS, AWS_ENDPOINT_URL_SECRETS_MANAGER=secrets_endpoint,
                      DJANGO_SETTINGS_MODULE="config.settings.production", **env),
    )


def test_production_starts_with_its_secret_key_from_secrets_manager(secrets_endpoint):
    name = f"fsp/{uuid.uuid4().hex}"
    key = "secret-from-secrets-manager-" + uuid.uuid4().hex
    put_secret(secrets_endpoint, name, {"SECRET_KEY": key, "DATABASE_URL": "postgres://u:p@db.internal/fsp"})
    started = _start_production(secrets_endpoint, AWS_SECRETS_NAME=name)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == key


def test_production_refuses_to_start_when_the_named_secret_is_missing(secrets_endpoint):
    started = _start_production(secrets_endpoint, AWS_SECRETS_NAME="fsp/never-created")
    assert started.returncode != 0
    assert "SecretsUnavailable" in started.stderr
    assert "Could not read secret 'fsp/never-created'" in started.stderr


# --- Zappa's handler: the Lambda entry point --------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_lambda_answers_api_gateway_health_with_production_settings(tmp_path, secrets_endpoint):
    put_secret(secrets_endpoint, "flight-schedule-pro/production",
                  {"SECRET_KEY": "lambda-test-" + uuid.uuid4().hex * 2, "DATABASE_URL": shared_database_url()})
    results, _, stderr = invoke_lambda(tmp_path, events=[HEALTH_EVENT], secrets_endpoint=secrets_endpoint)
    response = results[0].get("result")
    assert response is not None, results[0].get("error", stderr)
    assert response["statusCode"] == 200, response
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    assert json.loads(body) == {"status": "ok", "checks": {"database": "ok"}}
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["headers"]["X-Request-ID"]


def _custom_metrics_watched_by_alarms() -> set[tuple[str, frozenset]]:
    from audit.alarms import NAMESPACE, alarm_definitions, stage_resources

    watched = set()
    for alarm in alarm_definitions(stage_resources(stage="production", settings_file=ZAPPA_SETTINGS)):
        metrics = [q["MetricStat"]["Metric"] for q in alarm.get("Metrics", []) if "MetricStat" in q] or [alarm]
        watched |= {(m["MetricName"], frozenset((d["Name"], d["Value"]) for d in m["Dimensions"]))
                    for m in metrics if m["Namespace"] == NAMESPACE}
    return watched


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_each_scheduled_event_runs_its_job(tmp_path, secrets_endpoint, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from accounts.tests.factories import AdminFactory
    from bookings.tests.factories import BookingFactory

    # A flight in the monitor's window while every weather provider is unreachable, and someone in operations
    # to be told the forecast is unknown: each job then has real work and real figures.
    AdminFactory(email="ops@example.com")
    booking = BookingFactory(start=datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=3))
    put_secret(secrets_endpoint, "flight-schedule-pro/production",
               {"SECRET_KEY": "lambda-test-" + uuid.uuid4().hex * 2, "DATABASE_URL": shared_database_url()})
    cli = zappa_cli("production", monkeypatch)
    core = Zappa.__new__(Zappa)
    events = [scheduled_event(core.get_scheduled_event_name(e, e["function"], cli.lambda_name))
              for e in cli.stage_config["events"]]
    results, stdout, stderr = invoke_lambda(tmp_path, events=events, secrets_endpoint=secrets_endpoint)
    summaries = {}
    for event, outcome in zip(cli.stage_config["events"], results, strict=True):
        assert "error" not in outcome, f"{event['function']}: {outcome['error']}\n{stderr[-3000:]}"
        assert isinstance(outcome["result"], dict), f"{event['function']} returned {outcome['result']!r}"
        summaries[event["function"]] = outcome["result"]
    assert set(summaries) == set(JOBS)
    monitor = summaries["weather.jobs.run_monitor"]
    assert (monitor["bookings"], monitor["unknown"], monitor["unknown_alerts"]) == (1, 1, 1)
    assert monitor["provider_success_rate"] == 0.0
    assert summaries["notifications.jobs.run_delivery"]["delivery_rate"] == 1.0
    # No forecast is not a reason to touch a flight.
    booking.refresh_from_db()
    assert booking.status == "scheduled"

    # The jobs' figures reach CloudWatch as Embedded Metric Format lines; every custom metric an alarm
    # watches must be among them, with the same dimensions, or the alarm would watch nothing.
    emitted = set()
    for line in stdout.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            record = json.loads(line)
            for directive in record["_aws"]["CloudWatchMetrics"]:
                assert directive["Namespace"] == "FlightSchedulePro"
                dims = frozenset((key, record[key]) for key in directive["Dimensions"][0])
                emitted |= {(metric["Name"], dims) for metric in directive["Metrics"]}
    watched = _custom_metrics_watched_by_alarms()
    assert watched and watched <= emitted, f"alarms watch {sorted(watched - emitted)}, never emitted"
