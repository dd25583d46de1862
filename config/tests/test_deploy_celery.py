"""Background work beyond Lambda: with CELERY_BROKER_URL set, a real Celery worker process (production
settings, the local Redis or moto's SQS as broker) delivers notifications and runs the scheduled jobs' tasks."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction

from config.celery_app import app as celery_app
from config.tests.deploy_support import FAKE_AWS_CREDENTIALS, ROOT, child_env, moto_server, shared_database_url
from notifications.tests.smtp import FakeSMTPServer

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# A database number of its own, so the other suites on this Redis never see these messages.
BROKER_URL = os.environ.get("DEPLOY_TEST_BROKER_URL", f"redis://{REDIS_HOST}:{REDIS_PORT}/11")


def redis_reachable() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def wait_for(predicate, *, timeout: float, what: str, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    tail = "\n".join((log or [])[-40:])
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\nworker log:\n{tail}")


def production_env(*, queue: str, broker_url: str, transport_options: dict, **overrides) -> dict:
    """A child's environment as a worker host's (or the function's) would be, sharing the test database."""
    return child_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="worker-test-" + uuid.uuid4().hex * 2,
        DATABASE_URL=shared_database_url(),
        CELERY_BROKER_URL=broker_url,
        CELERY_BROKER_TRANSPORT_OPTIONS=json.dumps(transport_options),
        LOG_FORMAT="plain",
        WEATHER_PROVIDERS="demo",
        CELERY_TASK_DEFAULT_QUEUE=queue,
        **overrides,
    )


@contextmanager
def celery_worker(*, queue: str, email_url: str, broker_url: str = BROKER_URL, transport_options=None):
    """`celery -A config worker` as an operator starts it, sharing the test database."""
    env = production_env(queue=queue, broker_url=broker_url, transport_options=transport_options or {},
                         EMAIL_URL=email_url)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--queues", queue,
         "--hostname", f"{queue}@%h", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
         "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    log: list[str] = []
    reader = threading.Thread(target=lambda: log.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any(" ready." in line for line in log) or process.poll() is not None,
                 timeout=90, what="the worker to start", log=log)
        assert process.poll() is None, "the worker exited:\n" + "".join(log[-40:])
        yield log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def broker(settings):
    """This process queues to Redis instead of running tasks in place, on a queue only our worker reads."""
    if not redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}")
        pytest.skip(f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}; the Celery worker test needs it")
    queue = f"fsp-deploy-{uuid.uuid4().hex[:8]}"
    with sending_to(settings, broker_url=BROKER_URL, transport_options={}, queue=queue):
        yield queue


@contextmanager
def sending_to(settings, *, broker_url: str, transport_options: dict, queue: str):
    keys = ("broker_url", "broker_transport_options", "task_always_eager", "task_default_queue")
    saved = {key: celery_app.conf.get(key) for key in keys}
    settings.CELERY_BROKER_URL = broker_url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = transport_options
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.update(broker_url=broker_url, broker_transport_options=transport_options,
                           task_always_eager=False, task_default_queue=queue)
    forget_connections()
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        forget_connections()


def forget_connections():
    """Earlier tests may have built the app's producer pool and routing from the eager configuration; both are
    cached on the app, so they are dropped to be rebuilt from the broker and queue set here."""
    celery_app.close()
    celery_app.__dict__.pop("amqp", None)


BEAT_TASKS = {"weather.tasks.run_monitor", "rescheduling.tasks.run_deadlines", "notifications.tasks.run_delivery"}


def test_beat_runs_the_same_three_jobs_as_the_zappa_events():
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} == BEAT_TASKS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_notification_is_delivered_by_a_real_worker(broker, owner):
    from notifications.models import Notification
    from notifications.services import notify
    from notifications.tests.factories import BookingFactory

    booking = BookingFactory(student=owner)
    with FakeSMTPServer() as smtp, celery_worker(queue=broker, email_url=smtp.url) as log:
        with transaction.atomic():
            created = notify(kind="weather_conflict", recipients=[owner], booking=booking,
                             reasons=["visibility 2.0 sm below 5 sm (student_pilot) at KPAO 17:00Z"],
                             idempotency_key=f"weather_conflict:{booking.pk}:worker-test")
        email = next(n for n in created if n.channel == "email")
        wait_for(lambda: smtp.to(owner.email), timeout=60, what="the email to arrive over SMTP", log=log)
        email.refresh_from_db()
        assert email.status == "sent" and email.attempts == 1
        [message] = smtp.to(owner.email)
        assert "visibility 2.0 sm below 5 sm" in message.get_body(("plain",)).get_content()
        assert any("deliver_notification[" in line and "received" in line for line in log)
        # The worker's banner lists what it can run: every beat entry must be among them.
        registered = {line.strip()[2:] for line in log if line.strip().startswith(". ")}
        assert BEAT_TASKS | {"notifications.tasks.deliver_notification"} <= registered
    # Sent by the worker, not by this process (whose test mail backend would have kept it).
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=owner, channel="email").count() == 1


def _pending_email(owner):
    """An "options ready" email to `owner`, pending and long due: what the delivery job must pick up."""
    from notifications.models import Notification
    from notifications.tests.factories import BookingFactory

    booking = BookingFactory(student=owner)
    return Notification.objects.create(
        recipient=owner, kind="options_ready", channel="email", idempotency_key=f"options_ready:{booking.pk}",
        booking=booking, subject="New times for your flight", body_text="Three new times are ready.",
        status="pending", next_attempt_at=booking.start.replace(year=2020),
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_delivery_job_runs_on_the_worker_and_sends_what_was_left_pending(broker, owner):
    # Queued while the broker was down: the row stays pending and due, for the delivery job to find.
    pending = _pending_email(owner)
    with FakeSMTPServer() as smtp, celery_worker(queue=broker, email_url=smtp.url) as log:
        celery_app.send_task("notifications.tasks.run_delivery", queue=broker)
        wait_for(lambda: smtp.to(owner.email), timeout=60, what="the pending email to be sent", log=log)
    pending.refresh_from_db()
    assert pending.status == "sent"
    assert [m["Subject"] for m in smtp.to(owner.email)] == ["New times for your flight"]


def test_only_the_worker_hosts_install_what_consuming_sqs_needs():
    """A worker consumes SQS through kombu's curl client, so celery[sqs] and pycurl are in
    requirements/worker.txt; pycurl's only wheel for CPython 3.11 on Linux needs glibc 2.28, newer than Lambda's,
    so production.txt, which Zappa packages, has neither (the function only sends, which boto3 does alone).
    When kombu stops requiring pycurl for SQS this fails: then celery[sqs] can move into production.txt."""
    from importlib.metadata import requires, version

    sqs_requirements = [r for r in requires("kombu") if 'extra == "sqs"' in r]
    assert any(r.startswith("pycurl") for r in sqs_requirements), sqs_requirements
    requirements = ROOT / "requirements"
    worker = (requirements / "worker.txt").read_text().splitlines()
    assert {"-r production.txt", f"celery[sqs]=={version('celery')}", f"pycurl=={version('pycurl')}"} <= set(worker)
    assert "-r worker.txt" in (requirements / "test.txt").read_text().splitlines()
    lambda_package = (requirements / "production.txt").read_text() + (requirements / "base.txt").read_text()
    assert "[sqs]" not in lambda_package and "pycurl" not in lambda_package


@pytest.fixture
def sqs(settings):
    """moto's SQS (server mode, on loopback) as the broker: this process sends to it, the worker consumes."""
    with moto_server() as endpoint:
        broker_url = "sqs://testing:testing@" + endpoint.removeprefix("http://")
        # The endpoint is the URL's host and port; moto speaks plain http, hence is_secure. Short polls keep the
        # test quick (a worker host keeps kombu's long polling).
        options = {"region": "us-east-1", "is_secure": False, "wait_time_seconds": 1, "polling_interval": 0.2}
        queue = f"fsp-sqs-{uuid.uuid4().hex[:8]}"
        with sending_to(settings, broker_url=broker_url, transport_options=options, queue=queue):
            yield SimpleNamespace(url=broker_url, options=options, queue=queue, endpoint=endpoint)


def queue_depth(sqs) -> tuple[int, int]:
    """Messages waiting on the queue, and messages a consumer holds without having deleted them yet."""
    import boto3

    client = boto3.client("sqs", endpoint_url=sqs.endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    url = client.get_queue_url(QueueName=sqs.queue)["QueueUrl"]
    attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_notification_goes_through_sqs_to_a_real_worker(sqs, owner):
    from notifications.services import notify
    from notifications.tests.factories import BookingFactory

    booking = BookingFactory(student=owner)
    with FakeSMTPServer() as smtp, celery_worker(queue=sqs.queue, email_url=smtp.url, broker_url=sqs.url,
                                                 transport_options=sqs.options) as log:
        assert any(f"transport:   sqs://testing:**@{sqs.endpoint.removeprefix('http://')}" in line for line in log)
        with transaction.atomic():
            created = notify(kind="weather_conflict", recipients=[owner], booking=booking,
                             reasons=["ceiling 800 ft below 3000 ft (student_pilot) at KPAO 17:00Z"],
                             idempotency_key=f"weather_conflict:{booking.pk}:sqs-worker-test")
        email = next(n for n in created if n.channel == "email")
        wait_for(lambda: smtp.to(owner.email), timeout=60, what="the email to arrive over SMTP", log=log)
        email.refresh_from_db()
        assert email.status == "sent" and email.attempts == 1
        [message] = smtp.to(owner.email)
        assert "ceiling 800 ft below 3000 ft" in message.get_body(("plain",)).get_content()
        assert any("deliver_notification[" in line and "received" in line for line in log)
        # Acknowledged once the task finished: the worker deleted the message from the queue.
        wait_for(lambda: queue_depth(sqs) == (0, 0), timeout=30, what="the message to be deleted", log=log)
    assert mail.outbox == []


# The function's side, as in the Lambda package: pycurl is not there, so importing it fails.
SEND_WITHOUT_PYCURL = """
import sys
sys.modules["pycurl"] = None
import django
django.setup()
from config import celery_app
celery_app.send_task("notifications.tasks.run_delivery", queue=sys.argv[1])
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sender_without_pycurl_queues_the_delivery_job_on_sqs_for_the_worker(sqs, owner):
    pending = _pending_email(owner)
    with FakeSMTPServer() as smtp, celery_worker(queue=sqs.queue, email_url=smtp.url, broker_url=sqs.url,
                                                 transport_options=sqs.options) as log:
        sender = subprocess.run(
            [sys.executable, "-c", SEND_WITHOUT_PYCURL, sqs.queue], cwd=ROOT, capture_output=True, text=True,
            timeout=120, env=production_env(queue=sqs.queue, broker_url=sqs.url, transport_options=sqs.options,
                                            **FAKE_AWS_CREDENTIALS),
        )
        assert sender.returncode == 0, sender.stderr
        wait_for(lambda: smtp.to(owner.email), timeout=60, what="the pending email to be sent", log=log)
        assert any("notifications.tasks.run_delivery[" in line and "received" in line for line in log)
    pending.refresh_from_db()
    assert pending.status == "sent"
    assert [m["Subject"] for m in smtp.to(owner.email)] == ["New times for your flight"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_fanned_out_weather_sweep_runs_its_shards_on_a_real_worker(broker, settings):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.tests.factories import StudentFactory
    from bookings.models import Booking
    from bookings.tests.factories import AircraftFactory, AirportFactory, BookingFactory
    from weather.geo import airport_location
    from weather.jobs import run_monitor
    from weather.models import MonitorShard, WeatherCheck
    from weather.providers.demo import next_block_with

    settings.WEATHER_PROVIDERS = ["demo"]
    settings.WEATHER_SHARD_AIRPORTS = 1
    bookings = []
    for i in range(3):
        airport = AirportFactory(icao=f"KW{chr(65 + i)}{chr(65 + i)}", latitude=36.0 + i, longitude=-119.0 - i)
        block = next_block_with(airport_location(airport).key, "clear", after=timezone.now() + timedelta(hours=3),
                                within=timedelta(hours=40))
        start = block + timedelta(minutes=30)
        # The first airport's flight is a student pilot's solo at night (02:30 PST), which the rules ground
        # whatever the weather: its reaction becomes a task of its own.
        night = (timezone.now() + timedelta(hours=4)).replace(hour=10, minute=30, second=0, microsecond=0)
        night += timedelta(days=1) if night < timezone.now() + timedelta(hours=3) else timedelta()
        bookings.append(BookingFactory(
            student=StudentFactory(training_level="student_pilot" if i == 0 else "instrument_rated"),
            instructor=None, lesson_type="solo", aircraft=AircraftFactory(home_airport=airport),
            departure_airport=airport, start=night if i == 0 else start,
            end=(night if i == 0 else start) + timedelta(hours=1)))
    with FakeSMTPServer() as smtp, celery_worker(queue=broker, email_url=smtp.url) as log:
        summary = run_monitor()
        assert (summary["dispatch"], summary["shards"], summary["dispatched"]) == ("celery", 3, 3)
        wait_for(lambda: MonitorShard.objects.filter(status="done").count() == 3, timeout=90,
                 what="the worker to sweep the three shards", log=log)
        handed_off = sum(row.summary.get("handed_off", 0) for row in MonitorShard.objects.all())
        wait_for(lambda: sum(1 for line in log if "weather.tasks.act_on_verdict[" in line
                             and "succeeded" in line) >= handed_off, timeout=60,
                 what="the worker to act on each handed-off verdict", log=log)
    assert WeatherCheck.objects.count() == 3 and handed_off == 1
    assert sum(1 for line in log if "weather.tasks.run_shard[" in line and "received" in line) == 3
    assert Booking.objects.get(pk=bookings[0].pk).status == "weather_hold"
