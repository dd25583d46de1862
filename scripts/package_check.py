"""Drives Zappa's handler from the unpacked Lambda package, with AWS on moto (server mode, loopback).

`scripts/package_check.sh` builds the archive exactly as `zappa package` does and then runs this with the
project's test virtualenv (it has moto). Each step is a cold Python 3.11 process that sees only the package
and a stand-in for the runtime's boto3 (`scripts/package_driver.py`):

1. the deploy step an operator runs (`zappa manage <stage> migrate`, `createsuperuser`, `enrol_totp_device`);
2. the cold start measured: an API Gateway `/health` event, then signing in through the API (with the
   one-time code of the enrolled device, computed from the printed otpauth:// link as an authenticator does);
3. a signed-in API request, an admin page and each of the stage's scheduled events.

    python scripts/package_check.py ARCHIVE RUNTIME_SITE_PACKAGES [--stage production]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.tests.deploy_support import FAKE_AWS_CREDENTIALS, moto_server  # noqa: E402
from tests.lambda_events import HEALTH_EVENT, api_event, scheduled_event  # noqa: E402

# What the python3.11 runtime brings itself (/var/runtime), which zappa_settings.json leaves out of the package.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "dateutil", "jmespath", "six.py")
COLD_START_GOAL_S = 1.0
OPERATOR = "ops@package-check.example"


def stage_config(stage: str):
    from zappa.cli import ZappaCLI
    from zappa.core import Zappa

    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_settings(str(ROOT / "zappa_settings.json"))
    core = Zappa.__new__(Zappa)
    rules = [(e["function"], core.get_scheduled_event_name(e, e["function"], cli.lambda_name))
             for e in cli.stage_config["events"]]
    return cli, rules


def fresh_database(base_url: str, name: str) -> str:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{base_url}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{base_url}/{name}"


def prepare_aws(endpoint: str, secret_name: str, secret: dict, sender: str) -> None:
    import boto3

    kwargs = {"endpoint_url": endpoint, "region_name": "us-east-1", "aws_access_key_id": "testing",
              "aws_secret_access_key": "testing"}
    boto3.client("secretsmanager", **kwargs).create_secret(Name=secret_name, SecretString=json.dumps(secret))
    boto3.client("ses", **kwargs).verify_domain_identity(Domain=sender.rsplit("@", 1)[-1])


def invoke(task: Path, runtime: Path, events: list[dict], env: dict, work: Path,
           output: list[str] | None = None) -> list[dict]:
    events_path, results_path = work / f"events-{uuid.uuid4().hex}.json", work / "results.json"
    events_path.write_text(json.dumps(events))
    completed = subprocess.run(
        [shutil.which("python3.11") or "python3.11", "-S", str(ROOT / "scripts" / "package_driver.py"),
         str(task), str(runtime), str(events_path), str(results_path)],
        env=env, capture_output=True, text=True, timeout=300)
    if completed.returncode != 0:
        raise SystemExit(f"the handler's process failed:\n{completed.stderr[-4000:]}")
    if output is not None:
        output.append(completed.stdout)
    return json.loads(results_path.read_text())


def totp_code_from_link(output: str) -> str:
    """The current code of the device whose otpauth:// link `enrol_totp_device` printed (RFC 6238)."""
    from urllib.parse import parse_qs, urlsplit

    from django_otp.oath import totp

    match = re.search(r"otpauth://totp/\S+", output)
    if match is None:
        raise SystemExit(f"FAIL: enrol_totp_device printed no otpauth:// link:\n{output[-2000:]}")
    query = parse_qs(urlsplit(match[0]).query)
    secret = query["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digits = int(query.get("digits", ["6"])[0])
    return f"{totp(key, step=int(query.get('period', ['30'])[0]), digits=digits):0{digits}d}"


def response_of(outcome: dict, what: str) -> dict:
    if "error" in outcome:
        raise SystemExit(f"FAIL: {what}: {outcome['error']}")
    return outcome["result"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("archive")
    parser.add_argument("runtime_site_packages")
    parser.add_argument("--stage", default="production")
    args = parser.parse_args()
    cli, rules = stage_config(args.stage)
    variables = cli.stage_config.get("environment_variables", {})
    work = Path(tempfile.mkdtemp(prefix="fsp-package-check-"))
    problems: list[str] = []
    try:
        task, runtime = work / "task", work / "runtime"
        with zipfile.ZipFile(args.archive) as archive:
            archive.extractall(task)
        runtime.mkdir()
        for name in RUNTIME_PACKAGES:
            source = Path(args.runtime_site_packages) / name
            if source.exists():
                (runtime / name).symlink_to(source)
        database = fresh_database(os.environ.get("PACKAGE_CHECK_DATABASE", "postgres://postgres@127.0.0.1:5432"),
                                  os.environ.get("PACKAGE_CHECK_DATABASE_NAME", "fsp_package_check"))
        password = uuid.uuid4().hex
        with moto_server() as endpoint:
            secret_name = variables["AWS_SECRETS_NAME"]
            prepare_aws(endpoint, secret_name, {"SECRET_KEY": uuid.uuid4().hex * 2, "DATABASE_URL": database},
                        variables["SES_FROM_EMAIL"])
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **FAKE_AWS_CREDENTIALS,
                "AWS_ENDPOINT_URL": endpoint, "AWS_LAMBDA_FUNCTION_NAME": cli.lambda_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(cli.stage_config.get("memory_size", 512)),
                "PACKAGE_CHECK_TIMEOUT_S": str(cli.stage_config.get("timeout_seconds", 30)),
                "DJANGO_SUPERUSER_PASSWORD": password,
                # Anything that would leave this machine is pointed at a closed loopback port.
                "AVIATIONWEATHER_BASE_URL": "http://127.0.0.1:9", "OPENWEATHERMAP_BASE_URL": "http://127.0.0.1:9",
                "WEATHERAPI_BASE_URL": "http://127.0.0.1:9", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",
            }
            output: list[str] = []
            for outcome in invoke(task, runtime, [{"manage": "migrate --no-input"},
                                                  {"manage": f"createsuperuser --no-input --email {OPERATOR}"},
                                                  {"manage": f"enrol_totp_device {OPERATOR}"}],
                                  env, work, output):
                response_of(outcome, "deploy step")
            # Both stages run production settings, where staff sign in with a one-time code (ADMIN_REQUIRE_OTP).
            credentials = {"email": OPERATOR, "password": password, "otp_token": totp_code_from_link(output[0])}

            cold = invoke(task, runtime, [HEALTH_EVENT, api_event("POST", "/api/v1/auth/login/", body=credentials)],
                          env, work)
            health = response_of(cold[0], "/health")
            login = response_of(cold[1], "sign-in")
            cold_start = cold[0]["cold_start_seconds"]
            print(f"/health:       {health['statusCode']} {health['body'][:80]}")
            print(f"sign-in:       {login['statusCode']} (password and the enrolled device's one-time code)")
            if health["statusCode"] != 200:
                problems.append(f"/health answered {health['statusCode']}")
            if login["statusCode"] != 200:
                problems.append(f"sign-in answered {login['statusCode']}: {login['body'][:200]}")
                access = ""
            else:
                access = json.loads(login["body"])["access"]

            # The two commands a fanned-out weather sweep invokes this function with (asynchronously, on Lambda):
            # Zappa's handler must route each to its function in the package. Neither names a row that exists.
            commands = [{"command": "weather.shards.shard_event", "run_id": "package-check", "index": 0},
                        {"command": "weather.shards.outcome_event", "booking_id": 0, "check_id": 0}]
            events = [api_event("GET", "/api/v1/auth/me/", headers={"Authorization": f"Bearer {access}"}),
                      api_event("GET", "/admin/login/")] + [scheduled_event(rule) for _, rule in rules] + commands
            outcomes = invoke(task, runtime, events, env, work)
            command_outcomes = outcomes[len(outcomes) - len(commands):]
            outcomes = outcomes[:len(outcomes) - len(commands)]
            shard, outcome = (o.get("result") for o in command_outcomes)
            print(f"shard command:   {str(shard)[:90]}")
            print(f"outcome command: {outcome}")
            if not (isinstance(shard, dict) and shard.get("shard") == 0 and shard.get("skipped")):
                problems.append(f"weather.shards.shard_event: {command_outcomes[0].get('error') or shard!r}")
            if outcome != "gone":
                problems.append(f"weather.shards.outcome_event: {command_outcomes[1].get('error') or outcome!r}")
            me = response_of(outcomes[0], "signed-in request")
            admin = response_of(outcomes[1], "admin page")
            print(f"signed in API: {me['statusCode']} {me['body'][:60]}")
            print(f"admin page:    {admin['statusCode']}")
            if me["statusCode"] != 200 or OPERATOR not in me["body"]:
                problems.append(f"GET /api/v1/auth/me/ answered {me['statusCode']}")
            if admin["statusCode"] != 200 or "csrfmiddlewaretoken" not in admin["body"]:
                problems.append(f"GET /admin/login/ answered {admin['statusCode']}")
            for (function, _), outcome in zip(rules, outcomes[2:], strict=True):
                if "error" in outcome or not isinstance(outcome.get("result"), dict):
                    problems.append(f"{function}: {outcome.get('error') or outcome.get('result')!r}")
                print(f"{function + ':':34} {outcome.get('seconds', 0):.2f} s  {str(outcome.get('result'))[:90]}")
        print(f"cold start:    {cold_start:.2f} s (import {cold[0]['import_seconds']:.2f} s + first /health "
              f"{cold[0]['seconds']:.2f} s; goal {COLD_START_GOAL_S:.1f} s: "
              f"{'MET' if cold_start <= COLD_START_GOAL_S else 'MISSED'})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"handler check: {time.monotonic() - started:.0f} s")
    sys.exit(code)
